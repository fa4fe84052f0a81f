package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestArchiveSumsInTheBackground: what a view cannot hash within its
// budget is hashed by one pass in the background and shown by a later
// view, each sum that of the file; a file written again is hashed again.
func TestArchiveSumsInTheBackground(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{}
	write := func(name string, fill byte) {
		b := bytes.Repeat([]byte{fill}, 1<<20)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		want[name] = hex.EncodeToString(h[:])
	}
	write("acct-2026-11-20.zip", 1)
	write("acct-2026-11-21.zip", 2)
	write("acct-2026-11.zip", 3)
	s := &Server{sums: &sumCache{budget: 0}, log: slog.New(slog.DiscardHandler)}
	list, hashing, err := s.listArchives(dir, true)
	if err != nil || len(list) != 3 || hashing != 3 {
		t.Fatalf("first view: %d archives, %d being hashed, %v; want 3 and 3", len(list), hashing, err)
	}
	settled := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if list, hashing, err = s.listArchives(dir, true); err != nil || hashing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d archives still being hashed after 10 s", hashing)
			}
		}
		for _, a := range list {
			if a.SHA256 != want[a.Name] {
				t.Errorf("%s: sha256 %q, want %q", a.Name, a.SHA256, want[a.Name])
			}
		}
	}
	settled()
	later := time.Now().Add(time.Minute)
	write("acct-2026-11-21.zip", 4)
	if err := os.Chtimes(filepath.Join(dir, "acct-2026-11-21.zip"), later, later); err != nil {
		t.Fatal(err)
	}
	if _, hashing, _ := s.listArchives(dir, true); hashing != 1 {
		t.Fatalf("after one archive was written again: %d being hashed, want 1", hashing)
	}
	settled()
}

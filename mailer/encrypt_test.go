package mailer_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/ispacct/ispacct/atomicfile"
	"github.com/ispacct/ispacct/mailer"
	"github.com/ispacct/ispacct/mailer/mailtest"
)

// TestEncryptDecryptsWithAgeTool: what the administrator runs,
// age -d -i key.txt acct-….zip.age > acct-….zip, gives the archive back.
func TestEncryptDecryptsWithAgeTool(t *testing.T) {
	mailtest.Need(t, "age")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
	rcptFile := filepath.Join(dir, "recipients.txt")
	os.WriteFile(rcptFile, []byte("# the second admin\n"+other.Recipient().String()+"\n"), 0o644)

	src, data := randomFile(t, "acct-2026-11-21.zip", 1<<20)
	rcpts, err := mailer.AgeRecipients([]string{id.Recipient().String()}, rcptFile)
	if err != nil || len(rcpts) != 2 {
		t.Fatalf("recipients: %d %v", len(rcpts), err)
	}
	dst := filepath.Join(dir, "acct-2026-11-21.zip"+mailer.EncryptedSuffix)
	n, sum, err := mailer.EncryptFile(src, dst, rcpts, atomicfile.Private(0))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dst); fi.Size() != n || len(sum) != 64 {
		t.Fatalf("size %d, reported %d, sha %q", fi.Size(), n, sum)
	}
	out, err := exec.Command("age", "-d", "-i", keyFile, dst).Output()
	if err != nil {
		t.Fatalf("age -d: %v", err)
	}
	if !bytes.Equal(out, data) {
		t.Fatal("age -d did not give the archive back")
	}
	// The second recipient's key opens it too.
	os.WriteFile(keyFile, []byte(other.String()+"\n"), 0o600)
	if out, err := exec.Command("age", "-d", "-i", keyFile, dst).Output(); err != nil || !bytes.Equal(out, data) {
		t.Fatalf("second recipient: %v", err)
	}
}

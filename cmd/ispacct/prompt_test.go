package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the side a user types into, and the
// terminal a program reads.
func openPTY(t *testing.T) (typing, term *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no pseudo-terminal: %v", err)
		}
		t.Skipf("no pseudo-terminal (%v): outside CI the prompt's test is skipped", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func echoes(t *testing.T, term *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(term.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// TestHiddenPrompt: the password prompt reads a line with the echo off
// and turns it on again; Ctrl-C (the command's context ending) gives up
// at once, where the read alone would wait for Enter, and leaves the
// echo on too.
func TestHiddenPrompt(t *testing.T) {
	typing, term := openPTY(t)
	got := make(chan string, 1)
	go func() {
		line, err := askHidden(context.Background(), io.Discard, term, "pw: ")
		if err != nil {
			line = "error: " + err.Error()
		}
		got <- line
	}()
	waitEcho(t, term, false)
	typing.WriteString("a long password\n")
	if line := <-got; line != "a long password" {
		t.Fatalf("read %q", line)
	}
	if !echoes(t, term) {
		t.Error("the echo stays off after the password")
	}

	_, term = openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := askHidden(ctx, io.Discard, term, "pw: ")
		done <- err
	}()
	waitEcho(t, term, false)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("after Ctrl-C: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-C at the prompt: still waiting for a line")
	}
	if !echoes(t, term) {
		t.Error("the echo stays off after Ctrl-C")
	}
}

// waitEcho waits until the terminal's echo is on or off.
func waitEcho(t *testing.T, term *os.File, on bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); echoes(t, term) != on; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the echo is not %v", on)
		}
	}
}

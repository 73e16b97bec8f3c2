//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: its master side and the terminal a program reads as its stdin.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { _ = master.Close() })
	var n uint32
	err = control(master, func(fd int) error {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return err
		}
		n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN)
		return err
	})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { _ = tty.Close() })
	return master, tty
}

// control runs fn on f's descriptor without making f blocking.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// echoing says whether the terminal echoes what is typed.
func echoing(t *testing.T, tty *os.File) bool {
	t.Helper()
	var tio *unix.Termios
	err := control(tty, func(fd int) error {
		var err error
		tio, err = unix.IoctlGetTermios(fd, unix.TCGETS)
		return err
	})
	if err != nil {
		t.Fatalf("reading the terminal's settings: %v", err)
	}
	return tio.Lflag&unix.ECHO != 0
}

func TestLoginReadsThePasswordFromTheTerminalWithoutEcho(t *testing.T) {
	master, tty := openPTY(t)
	if !echoing(t, tty) {
		t.Fatal("a new terminal does not echo: the test would prove nothing")
	}
	useConfig(t)
	f := newFakeAdmin(t, fakeReply{200, nil, sessionJSON})
	done := make(chan result, 1)
	go func() { done <- runReader(tty, "--server", f.url, "login", "--user", "alice") }()

	deadline := time.Now().Add(10 * time.Second)
	for echoing(t, tty) { // the login turns echo off before it reads
		if time.Now().After(deadline) {
			t.Fatal("echo still on after 10s: the login never asked for the password")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := master.Write([]byte(password + "\n")); err != nil {
		t.Fatalf("typing the password: %v", err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("login did not return within 10s")
	}
	if r.code != exitOK || r.stderr != "Password: \n" || !strings.Contains(r.stdout, "session-token-of-alice") {
		t.Fatalf("login: got exit %d, stdout %q, stderr %q, want 0, the token and only the prompt", r.code,
			r.stdout, r.stderr)
	}
	if reqs := f.requests(); len(reqs) != 1 || !strings.Contains(reqs[0].body, `"password":"`+password+`"`) {
		t.Errorf("requests: got %+v, want the typed password sent once", reqs)
	}
	if !echoing(t, tty) {
		t.Error("echo is still off after the login: the terminal was not restored")
	}
	if shown := drain(t, master); strings.Contains(shown, password) || strings.Contains(r.stdout, password) {
		t.Errorf("the password was shown: terminal %q, stdout %q", shown, r.stdout)
	}
}

// drain returns what the terminal has shown and not yet been read: the echo of typed text is written as it is
// typed, so it is there already.
func drain(t *testing.T, master *os.File) string {
	t.Helper()
	if err := master.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Skipf("cannot read the terminal with a deadline: %v", err)
	}
	var out []byte
	buf := make([]byte, 4096)
	for range 64 {
		n, err := master.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Logf("reading the terminal: %v", err)
			}
			break
		}
	}
	return string(out)
}

func TestPasswdReadsThePasswordsFromTheTerminalWithoutEcho(t *testing.T) {
	cases := []struct {
		name   string
		typed  []string
		code   int
		stderr string
		posted bool
	}{
		{"matching", []string{oldPassword, newPassword, newPassword}, exitOK,
			"Current password: \nNew password: \nNew password again: \n", true},
		{"differing", []string{oldPassword, newPassword, newPassword + "x"}, exitError,
			"Current password: \nNew password: \nNew password again: \nportico: the two new passwords typed differ: " +
				"nothing was changed\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			master, tty := openPTY(t)
			if !echoing(t, tty) {
				t.Fatal("a new terminal does not echo: the test would prove nothing")
			}
			f := newFakeAdmin(t, fakeReply{200, nil, `{"user":"alice","role":"subscriber"}`},
				fakeReply{200, nil, `{"name":"alice","changed":true}`})
			done := make(chan result, 1)
			go func() { done <- runReader(tty, "--server", f.url, "--token", testToken, "user", "passwd") }()
			waitNoEcho(t, tty)
			// Typed while echo is off: the terminal handles input as it arrives, so none of it is echoed.
			if _, err := master.Write([]byte(strings.Join(tc.typed, "\n") + "\n")); err != nil {
				t.Fatalf("typing the passwords: %v", err)
			}
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("user passwd did not return within 10s")
			}
			if r.code != tc.code || r.stderr != tc.stderr {
				t.Errorf("user passwd: got exit %d, stderr %q, want %d, %q", r.code, r.stderr, tc.code, tc.stderr)
			}
			reqs := f.requests()
			want := `{"currentPassword":"` + oldPassword + `","password":"` + newPassword + `"}`
			if tc.posted && (len(reqs) != 2 || reqs[1].body != want) || !tc.posted && len(reqs) != 1 {
				t.Errorf("requests: got %+v, want whoami then the change posted: %v", reqs, tc.posted)
			}
			if !echoing(t, tty) {
				t.Error("echo is still off after the command: the terminal was not restored")
			}
			shown := drain(t, master) + r.stdout + r.stderr
			for _, p := range tc.typed {
				if strings.Contains(shown, p) {
					t.Errorf("a password was shown: %q", shown)
				}
			}
		})
	}
}

// waitNoEcho waits, bounded, until the program reading tty turns echo off to ask for a password.
func waitNoEcho(t *testing.T, tty *os.File) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for echoing(t, tty) {
		if time.Now().After(deadline) {
			t.Fatal("echo still on after 10s: the command never asked for a password")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWeb(t *testing.T) {
	tests := []struct {
		name, file, want string // want: the error, or "" for none
	}{
		{"defaults", "", ""},
		{"loopback", "[web]\nlisten = \"127.0.0.1:8080\"\n", ""},
		{"maintenance VLAN", "[web]\nlisten = \"10.0.1.1:8443\"\ncert = \"c.pem\"\nkey = \"k.pem\"\n", ""},
		{"no port", "[web]\nlisten = \"127.0.0.1\"\n", `web.listen = "127.0.0.1": want host:port`},
		{"bad port", "[web]\nlisten = \"127.0.0.1:http\"\n", `web.listen = "127.0.0.1:http": port "http"`},
		{"host name", "[web]\nlisten = \"box.example:8080\"\n", `host "box.example"`},
		{"every address", "[web]\nlisten = \":8080\"\n", `host "": want one IP address of this box`},
		{"every IPv4 address", "[web]\nlisten = \"0.0.0.0:8080\"\n", `host "0.0.0.0": want one IP address`},
		{"every IPv6 address", "[web]\nlisten = \"[::]:8080\"\n", `host "::": want one IP address`},
		{"cert without key", "[web]\ncert = \"c.pem\"\n", `web.cert and web.key go together`},
		{"session too long", "[web]\nsession_hours = 1000\n", `web.session_hours = "1000": must be between 1 and 720`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "ispacct.toml")
			if err := os.WriteFile(p, []byte("state_dir = \"state\"\n"+tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Load(p)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Load error = %v, want it to contain %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, "state", "web.passwd"); c.Web.PasswordFile != want {
				t.Errorf("password file %q, want %q", c.Web.PasswordFile, want)
			}
			if c.Web.Cert != "" && !filepath.IsAbs(c.Web.Cert) {
				t.Errorf("cert %q not resolved against the file", c.Web.Cert)
			}
		})
	}
}

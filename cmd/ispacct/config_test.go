package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigMasksPasswords: ispacct config prints no database password,
// whichever form the URL takes and wherever it comes from.
func TestConfigMasksPasswords(t *testing.T) {
	urls := []string{
		"host=/run/pg user=ispacct password=KvS3cretPW dbname=ispacct",
		`host=/run/pg user=ispacct password='a KvS3cretPW\'c' dbname=ispacct`,
		"postgres://ispacct:KvS3cretPW@db.example/ispacct",
		"postgresql://db.example/ispacct?user=ispacct&password=KvS3cretPW",
	}
	for i, u := range urls {
		for _, from := range []string{"file", "DATABASE_URL"} {
			// Not named after u: the name is in the temporary folder's.
			t.Run(fmt.Sprintf("%s-%d", from, i), func(t *testing.T) {
				dir := isolate(t)
				cfg := filepath.Join(dir, "ispacct.toml")
				body := "timezone = \"UTC\"\n"
				if from == "file" {
					body += "[database]\nurl = '''" + u + "'''\n"
				} else {
					t.Setenv("DATABASE_URL", u)
				}
				if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				code, out, stderr := ispacct(t, "config", "--config", cfg)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if strings.Contains(out+stderr, "KvS3cretPW") {
					t.Errorf("the password is printed:\n%s", out)
				}
				if !strings.Contains(out, "xxxxx") {
					t.Errorf("no masked URL in:\n%s", out)
				}
			})
		}
	}
}

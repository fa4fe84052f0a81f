package config

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMaskConnString(t *testing.T) {
	tests := []struct {
		name, in, want string
		secret         string // must not survive
	}{
		{"empty", "", "", ""},
		{"keyword/value", "host=/run/pg user=ispacct password=KvS3cretPW dbname=ispacct",
			"host=/run/pg user=ispacct password=xxxxx dbname=ispacct", "KvS3cretPW"},
		{"spaces around =", "user=ispacct password = KvS3cretPW dbname=ispacct",
			"user=ispacct password = xxxxx dbname=ispacct", "KvS3cretPW"},
		{"quoted with escapes", `host=db password='a b\'c' dbname=ispacct`,
			"host=db password=xxxxx dbname=ispacct", `b\'c`},
		{"bare with escape", `password=KvS3cret\ PW user=u`, "password=xxxxx user=u", "KvS3cret"},
		{"password last", "dbname=x password=KvS3cretPW", "dbname=x password=xxxxx", "KvS3cretPW"},
		{"sslpassword", "host=db sslpassword=KvS3cretPW", "host=db sslpassword=xxxxx", "KvS3cretPW"},
		{"no password", "host=/run/pg user=ispacct dbname=ispacct", "host=/run/pg user=ispacct dbname=ispacct", ""},
		{"url userinfo", "postgres://ispacct:KvS3cretPW@db.example:5432/ispacct?sslmode=require",
			"postgres://ispacct:xxxxx@db.example:5432/ispacct?sslmode=require", "KvS3cretPW"},
		{"url query", "postgresql://db.example/ispacct?user=ispacct&password=KvS3cretPW",
			"postgresql://db.example/ispacct?password=xxxxx&user=ispacct", "KvS3cretPW"},
		{"url both", "postgres://u:KvS3cretPW@db/x?password=Other5ecret",
			"postgres://u:xxxxx@db/x?password=xxxxx", "5ecret"},
		{"url no password", "postgres://u@db/x", "postgres://u@db/x", ""},
		{"url unreadable", "postgres://u:KvS3cretPW@db:port/x", unreadable, "KvS3cretPW"},
		{"unclosed quote", "password='KvS3cretPW", unreadable, "KvS3cretPW"},
		{"no =", "password KvS3cretPW", unreadable, "KvS3cretPW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaskConnString(tt.in)
			if got != tt.want {
				t.Errorf("MaskConnString(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("MaskConnString(%q) = %q: the secret is still there", tt.in, got)
			}
			// Whatever pgx reads from the input it must read from the
			// masked form too, apart from the password.
			if in, err := pgx.ParseConfig(tt.in); err == nil && tt.in != "" {
				out, err := pgx.ParseConfig(got)
				if err != nil {
					t.Fatalf("masked %q no longer parses: %v", got, err)
				}
				if in.Host != out.Host || in.User != out.User || in.Database != out.Database {
					t.Errorf("masked %q reads as %s@%s/%s, want %s@%s/%s", got, out.User, out.Host, out.Database, in.User, in.Host, in.Database)
				}
				if in.Password != "" && out.Password != masked {
					t.Errorf("masked %q: pgx reads password %q", got, out.Password)
				}
			}
		})
	}
}

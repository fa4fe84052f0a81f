package main

import "testing"

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		noun string
		want string
	}{
		{0, "file", "0 files"}, {1, "file", "1 file"}, {2, "row", "2 rows"},
		{1, "prefix", "1 prefix"}, {3, "prefix", "3 prefixes"}, {2, "table-day", "2 table-days"},
	} {
		if got := plural(tt.n, tt.noun); got != tt.want {
			t.Errorf("plural(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}

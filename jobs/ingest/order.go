package ingest

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Expand resolves globs to files, oldest first in logrotate's sense:
// access.log.3.gz, access.log.2.gz, access.log.1, then access.log; with
// dateext, access.log-20261120.gz before access.log-20261121. A file
// matched by two globs is listed once.
func Expand(globs []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("glob %q: %w", g, err)
		}
		for _, f := range m {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return rotationLess(files[i], files[j]) })
	return files, nil
}

// NoMatch says that none of a source's globs matched a file: a path
// mistyped, or a log moved by an upgrade, which would otherwise give
// empty accounting night after night without a word.
func NoMatch(source string, globs []string) string {
	return fmt.Sprintf("%s: no file matches %s", source, strings.Join(globs, ", "))
}

// LeftOut lists, one line each, what a run of src left out and makes it
// partly done: configured globs that matched no file, files that could
// not be read, files held (in another format, or cut since they were
// read), and rejects above threshold, a share of the lines read.
func LeftOut(src Source, res *Result, threshold float64) []string {
	var out []string
	if len(src.Globs) > 0 && len(src.Files) == 0 {
		out = append(out, NoMatch(src.Name, src.Globs))
	}
	for _, fe := range res.FileErrors {
		out = append(out, fmt.Sprintf("%s: %s not read from offset %d: %s", src.Name, fe.Path, fe.Offset, fe.Err))
	}
	for _, h := range res.Held {
		out = append(out, fmt.Sprintf("%s: %s %s: %s", src.Name, h.Path, h.Reason, h.Fix))
	}
	if res.Table == "mta" && res.Lines > res.Blank && res.MTALines == 0 {
		// Every line read, and not one from Postfix or Sendmail: the wrong
		// file, or a syslog format whose lines we do not take as theirs.
		out = append(out, fmt.Sprintf("%s: no line from the mail server's programs (postfix/…, sendmail, sm-mta) among those read (%d): is it the mail log, and in the format %s?",
			src.Name, res.Lines-res.Blank, src.Format))
	}
	if res.Lines > 0 && float64(res.Rejects)/float64(res.Lines) > threshold {
		out = append(out, fmt.Sprintf("%s: %d of %d lines rejected, above the threshold of %.2f%%",
			src.Name, res.Rejects, res.Lines, 100*threshold))
	}
	return out
}

// rotation describes where a file stands in a rotated set.
type rotation struct {
	base  string
	class int    // 0 numbered, 1 dated, 2 live
	num   int    // .N: higher is older
	date  string // -YYYYMMDD
}

func rotationOf(path string) rotation {
	name := path
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst"} {
		name = strings.TrimSuffix(name, ext)
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		if n, err := strconv.Atoi(name[i+1:]); err == nil && n >= 0 {
			return rotation{base: name[:i], class: 0, num: n}
		}
	}
	if i := strings.LastIndexByte(name, '-'); i > 0 && len(name)-i-1 == 8 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return rotation{base: name[:i], class: 1, date: name[i+1:]}
		}
	}
	return rotation{base: name, class: 2}
}

func rotationLess(a, b string) bool {
	ra, rb := rotationOf(a), rotationOf(b)
	if ra.base != rb.base {
		return ra.base < rb.base
	}
	if ra.class != rb.class {
		return ra.class < rb.class
	}
	switch ra.class {
	case 0:
		if ra.num != rb.num {
			return ra.num > rb.num
		}
	case 1:
		if ra.date != rb.date {
			return ra.date < rb.date
		}
	}
	return a < b
}

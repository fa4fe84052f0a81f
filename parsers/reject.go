package parsers

import "errors"

// reject is why a line could not be parsed: a short, stable, lower-case
// reason ("bad timestamp"). The caller knows the file, line and raw bytes
// and records them with it (ingest: the rejects table).
type reject string

func (r reject) Error() string { return string(r) }

// Reason returns the stable reason text of a parser's error.
func Reason(err error) string {
	var r reject
	if errors.As(err, &r) {
		return string(r)
	}
	return err.Error()
}

// Reasons shared by the line parsers.
var (
	errMissing    = reject("missing fields")
	errBadClient  = reject("bad client address")
	errBadCLFTime = reject("bad timestamp")
	errBadStatus  = reject("bad status")
	errBadSize    = reject("bad size")
)

// ErrBlank is what a parser returns for a blank line (empty, or only
// spaces and tabs): not a record and not a reject. Log files may end with
// one; callers skip it.
var ErrBlank = errors.New("blank line")

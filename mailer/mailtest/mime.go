package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parsed is a received message taken apart as a mail client would.
type Parsed struct {
	Header      mail.Header
	Body        string            // the text/plain part, decoded
	Attachments map[string][]byte // by file name, decoded
}

// Parse reads a message with net/mail and its parts with mime/multipart.
func Parse(raw []byte) (*Parsed, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	p := &Parsed{Header: m.Header, Attachments: map[string][]byte{}}
	if err := p.walk(m.Header, m.Body); err != nil {
		return nil, err
	}
	return p, nil
}

// header is mail.Header or a part's textproto.MIMEHeader.
type header interface{ Get(string) string }

func (p *Parsed) walk(h header, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.walk(part.Header, part); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s part: %w", mt, err)
	}
	_, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if name := dparams["filename"]; name != "" {
		p.Attachments[name] = b
	} else if mt == "text/plain" {
		p.Body += string(b)
	}
	return nil
}

package parsers

import "testing"

func TestFormats(t *testing.T) {
	want := map[string]Table{
		"squid": TableProxy, "squid-common": TableProxy, "squid-combined": TableProxy,
		"apache-common": TableHTTP, "apache-combined": TableHTTP, "apache-vhost": TableHTTP,
		"postfix": TableMTA, "sendmail": TableMTA,
	}
	sample := map[string]string{
		"squid":           "1795215541.000    120 10.4.24.77 TCP_MISS/200 5120 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html",
		"squid-common":    `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT`,
		"squid-combined":  `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 "-" "-" TCP_MISS:HIER_DIRECT`,
		"apache-common":   `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET / HTTP/1.1" 200 5120`,
		"apache-combined": `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET / HTTP/1.1" 200 5120 "-" "-"`,
		"apache-vhost":    `www.kunde.example:443 10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET / HTTP/1.1" 200 5120 "-" "-"`,
		"postfix":         "Nov 21 08:00:03 mx postfix/smtp[1]: 1A2B3C4D5E: to=<b@remote.example>, relay=none, delay=1, dsn=2.0.0, status=sent (ok)",
		"sendmail":        "Nov 21 08:00:03 oldbox sm-mta[1]: 5AL70001004000: to=<b@remote.example>, delay=00:00:02, mailer=esmtp, dsn=2.0.0, stat=Sent",
	}
	if len(Formats) != len(want) {
		t.Errorf("%d formats, want %d", len(Formats), len(want))
	}
	for _, f := range Formats {
		if f.Table != want[f.Name] {
			t.Errorf("%s: table %q, want %q", f.Name, f.Table, want[f.Name])
		}
		if g, ok := LookupFormat(f.Name); !ok || g.Name != f.Name {
			t.Errorf("LookupFormat(%q) = %v, %v", f.Name, g.Name, ok)
		}
		line := []byte(sample[f.Name])
		var err error
		switch f.Table {
		case TableProxy:
			if f.NewHTTP != nil || f.NewMail != nil {
				t.Errorf("%s: more than one constructor", f.Name)
			}
			err = f.NewProxy().Parse(line, new(Proxy))
		case TableHTTP:
			if f.NewProxy != nil || f.NewMail != nil {
				t.Errorf("%s: more than one constructor", f.Name)
			}
			var rec HTTP
			err = f.NewHTTP("www.kunde.example").Parse(line, &rec)
			if string(rec.URL) != "www.kunde.example" {
				t.Errorf("%s: url %q", f.Name, rec.URL)
			}
		case TableMTA:
			if f.NewProxy != nil || f.NewHTTP != nil {
				t.Errorf("%s: more than one constructor", f.Name)
			}
			var rows []Mail
			rows, err = f.NewMail(MailOptions{Location: berlin, Reference: fixtureRef}).Parse(line)
			if len(rows) != 1 {
				t.Errorf("%s: %d rows", f.Name, len(rows))
			}
		}
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
	if _, ok := LookupFormat("nginx"); ok {
		t.Error("LookupFormat found an unknown format")
	}
}

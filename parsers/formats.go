package parsers

// Table names the database table a format's records go to.
type Table string

const (
	TableProxy Table = "proxy" // records of type Proxy
	TableHTTP  Table = "http"  // records of type HTTP
	TableMTA   Table = "mta"   // records of type Mail
)

// ProxyParser turns one line into a Proxy record or a reject.
type ProxyParser interface {
	Parse(line []byte, rec *Proxy) error
}

// HTTPParser turns one line into an HTTP record or a reject.
type HTTPParser interface {
	Parse(line []byte, rec *HTTP) error
}

// Format is a log format the package reads, by the name the configuration
// uses. Exactly the constructor that matches Table is set.
type Format struct {
	Name  string
	Table Table

	NewProxy func() ProxyParser            // TableProxy
	NewHTTP  func(vhost string) HTTPParser // TableHTTP; vhost names the file's virtual host, or ""
	NewMail  func(o MailOptions) *MailLog  // TableMTA
}

// Formats lists every format, in the order of the documentation.
var Formats = []Format{
	{Name: "squid", Table: TableProxy, NewProxy: func() ProxyParser { return new(Squid) }},
	{Name: "squid-common", Table: TableProxy, NewProxy: func() ProxyParser { return new(SquidCommon) }},
	{Name: "squid-combined", Table: TableProxy, NewProxy: func() ProxyParser { return &SquidCommon{Combined: true} }},
	{Name: "apache-common", Table: TableHTTP, NewHTTP: func(v string) HTTPParser { return NewApache(ApacheCommon, v) }},
	{Name: "apache-combined", Table: TableHTTP, NewHTTP: func(v string) HTTPParser { return NewApache(ApacheCombined, v) }},
	{Name: "apache-vhost", Table: TableHTTP, NewHTTP: func(v string) HTTPParser { return NewApache(ApacheVHostCombined, v) }},
	{Name: "postfix", Table: TableMTA, NewMail: NewPostfix},
	{Name: "sendmail", Table: TableMTA, NewMail: NewSendmail},
}

// LookupFormat returns the format called name.
func LookupFormat(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

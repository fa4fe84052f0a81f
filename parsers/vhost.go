package parsers

// NeedsVHost reports whether the format's lines do not say which virtual
// host they are about, so that whoever reads a file of it must name it:
// Apache's common and combined formats, written one file per vhost. The
// http table keys its accounting on the vhost; a row without one cannot
// be accounted to anyone.
func (f Format) NeedsVHost() bool {
	return f.Table == TableHTTP && f.Name != "apache-vhost"
}

module github.com/ispacct/ispacct

go 1.26.8

require (
	github.com/jackc/pgx/v5 v5.12.0
	github.com/vishvananda/netlink v1.3.1
	golang.org/x/sys v0.10.0
)

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/text v0.41.0 // indirect
)

-- A web server with HostnameLookups On logs a client by name: the name
-- is kept here (ip is NULL then), so such requests stay attributable.
ALTER TABLE http ADD COLUMN client_host text;

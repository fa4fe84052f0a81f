-- A web server with HostnameLookups On logs a client by name, not by
-- address. Such a request is still a row, with its bytes: ip is NULL
-- then (the name has no column of its own).
ALTER TABLE http ALTER COLUMN ip DROP NOT NULL;

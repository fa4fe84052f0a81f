-- Aggregates per local day, recomputed whole from the day's partition.
-- A day is marked dirty by every ingest that adds rows to it and clean by
-- the rollup that recomputed it; the row lock on ingest_days orders the two.
ALTER TABLE ingest_days ADD COLUMN dirty boolean NOT NULL DEFAULT true;

-- Proxy traffic per customer LAN; lan_name NULL is the "unassigned" row.
CREATE TABLE agg_proxy_lan (
    day             date   NOT NULL,
    lan_name        text,
    requests        bigint NOT NULL,
    bytes           bigint NOT NULL,
    hit_requests    bigint NOT NULL, -- served from the cache (…HIT…, TCP_REFRESH_UNMODIFIED)
    hit_bytes       bigint NOT NULL,
    miss_requests   bigint NOT NULL, -- fetched from the origin (…MISS…, TCP_REFRESH_MODIFIED)
    miss_bytes      bigint NOT NULL,
    denied_requests bigint NOT NULL, -- …DENIED…
    clients         bigint NOT NULL, -- distinct client addresses
    bytes_2xx       bigint NOT NULL, -- bytes by HTTP status class
    bytes_3xx       bigint NOT NULL,
    bytes_4xx       bigint NOT NULL,
    bytes_5xx       bigint NOT NULL,
    bytes_other     bigint NOT NULL  -- 1xx and 000 (no reply)
);
CREATE UNIQUE INDEX agg_proxy_lan_key ON agg_proxy_lan (day, coalesce(lan_name, ''));

-- Destination hosts per LAN (top sites).
CREATE TABLE agg_proxy_site (
    day      date   NOT NULL,
    lan_name text,
    host     text   NOT NULL,
    requests bigint NOT NULL,
    bytes    bigint NOT NULL
);
CREATE UNIQUE INDEX agg_proxy_site_key ON agg_proxy_site (day, coalesce(lan_name, ''), host);

-- Web server traffic per virtual host and per authenticated user.
CREATE TABLE agg_http_vhost (
    day      date   NOT NULL,
    vhost    text   NOT NULL,
    requests bigint NOT NULL,
    bytes    bigint NOT NULL,
    clients  bigint NOT NULL, -- distinct client addresses
    errors   bigint NOT NULL, -- status 400 and above
    PRIMARY KEY (day, vhost)
);
CREATE TABLE agg_http_user (
    day      date   NOT NULL,
    vhost    text   NOT NULL,
    htuser   text   NOT NULL,
    requests bigint NOT NULL,
    bytes    bigint NOT NULL,
    PRIMARY KEY (day, vhost, htuser)
);

-- Mail per local mailbox and per domain, in (delivered to it) and out
-- (sent by it). messages: distinct messages; recipients: distinct
-- recipients of them; bytes: message sizes, each message once; sent …
-- expired: delivery attempts with that status.
CREATE TABLE agg_mail_mailbox (
    day        date   NOT NULL,
    direction  text   NOT NULL CHECK (direction IN ('in', 'out')),
    mailbox    text   NOT NULL,
    domain     text   NOT NULL,
    messages   bigint NOT NULL,
    recipients bigint NOT NULL,
    bytes      bigint NOT NULL,
    sent       bigint NOT NULL,
    deferred   bigint NOT NULL,
    bounced    bigint NOT NULL,
    expired    bigint NOT NULL,
    PRIMARY KEY (day, direction, mailbox)
);
CREATE TABLE agg_mail_domain (
    day        date   NOT NULL,
    direction  text   NOT NULL CHECK (direction IN ('in', 'out')),
    domain     text   NOT NULL,
    messages   bigint NOT NULL,
    recipients bigint NOT NULL,
    bytes      bigint NOT NULL,
    sent       bigint NOT NULL,
    deferred   bigint NOT NULL,
    bounced    bigint NOT NULL,
    expired    bigint NOT NULL,
    PRIMARY KEY (day, direction, domain)
);

-- Days whose raw partition retention dropped. Their aggregates are all
-- that is left: rollup must not recompute them from nothing, and ingest
-- must not start them again from a late file.
CREATE TABLE retired_days (
    tbl        text NOT NULL,
    day        date NOT NULL,
    retired_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tbl, day)
);

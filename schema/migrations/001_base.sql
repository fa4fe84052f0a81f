-- The tables users query by name (docs/DESIGN.md), the ingest ledger and
-- the rejects. proxy, http and mta are range-partitioned on zeit, one
-- partition per local day; ispacct creates partitions before rows arrive.
-- Text is NULL when empty, never '': the .asc files write NULL as an empty
-- field (COPY ... NULL ''), so rows load back exactly as they were; and no
-- odd log line can fail a load on a NOT NULL text column.

-- Facts fixed when the database was first set up (the time zone that
-- partition boundaries follow).
CREATE TABLE ispacct_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE landefs (
    lan_name text NOT NULL,
    sublan   cidr PRIMARY KEY,
    -- 'vlan.config' for prefixes netsetup manages; anything else was set by hand.
    origin   text NOT NULL DEFAULT 'manual'
);

-- One row per log file ever read. A file is known by the table it feeds and
-- a fingerprint of its first line, so a rename or compression by logrotate
-- is the same file, and so is the same file named on the command line.
CREATE TABLE ingest_files (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tbl         text   NOT NULL,
    fingerprint bytea  NOT NULL,
    source      text   NOT NULL,   -- the source that read it first
    format      text   NOT NULL,
    path        text   NOT NULL,   -- where it was last seen
    byte_offset bigint NOT NULL DEFAULT 0, -- uncompressed bytes read, complete lines only
    lines       bigint NOT NULL DEFAULT 0,
    rows        bigint NOT NULL DEFAULT 0,
    rejects     bigint NOT NULL DEFAULT 0,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tbl, fingerprint)
);

-- Who holds a job's advisory lock, so a second run can say who is busy.
CREATE TABLE run_locks (
    name       text PRIMARY KEY,
    host       text NOT NULL,
    pid        integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rejects (
    file_id     bigint NOT NULL REFERENCES ingest_files (id),
    line        bigint NOT NULL,
    byte_offset bigint NOT NULL,
    reason      text   NOT NULL,
    raw         bytea  NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (file_id, line)
);

-- Local days that received rows, so roll-ups know what to recompute.
CREATE TABLE ingest_days (
    tbl        text NOT NULL,
    day        date NOT NULL,
    touched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tbl, day)
);

CREATE TABLE proxy (
    lan_name   text,              -- NULL: the client is in no LAN ("unassigned")
    ip_client  inet        NOT NULL,
    url        text,
    zeit       timestamptz NOT NULL,
    size       bigint      NOT NULL,
    status     text,              -- Squid result code and HTTP status, TCP_MISS/200
    methode    text,
    elapsed_ms integer,
    ident      text,
    hierarchy  text,
    mime       text,
    src_file   bigint,            -- ingest_files.id: the line this row came from,
    src_line   bigint             -- for proof of access
) PARTITION BY RANGE (zeit);

CREATE TABLE http (
    ip         inet        NOT NULL,
    url        text,              -- the virtual host asked for
    zeit       timestamptz NOT NULL,
    size       bigint      NOT NULL,
    datei      text,              -- the path requested, query string kept
    htuser     text,              -- authenticated user; NULL (empty in http.asc) for none
    methode    text,
    status     smallint,
    referer    text,
    user_agent text,
    src_file   bigint,
    src_line   bigint
) PARTITION BY RANGE (zeit);

CREATE TABLE mta (
    msgid       text,              -- Message-ID
    m_to        text,
    m_from      text,
    m_mailer    text,              -- delivery agent / transport
    m_size      bigint,
    m_remote_id text,              -- queue id on the remote side ("queued as ...")
    m_relay     text,
    m_status    text,
    zeit        timestamptz NOT NULL,
    queue_id    text,
    dsn         text,
    delay       real,
    status_text text,
    orig_to     text,
    src_file    bigint,
    src_line    bigint
) PARTITION BY RANGE (zeit);

-- The run ledger: one row per attempt of a chain (ingest, rollup, archive,
-- deliver) for one period. The daemon computes what is left to do from it
-- (every due period without a finished run), so missed nights are caught
-- up after a power cut and a finished period is never run again.
CREATE TABLE runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         text NOT NULL CHECK (job IN ('daily', 'monthly')),
    period      text NOT NULL,          -- 2026-11-21 (daily) or 2026-11 (monthly)
    -- running: under way (or its process died: the next run marks it
    -- failed); ok; partial: done, but a file was unreadable, rejects were
    -- above the threshold or a message waits in the outbox; failed.
    status      text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    step        text,                   -- the step under way, or the one that failed
    forced      boolean NOT NULL DEFAULT false, -- run again on request (--force)
    started_by  text NOT NULL,          -- daemon or command
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    duration    interval GENERATED ALWAYS AS (finished_at - started_at) STORED,
    rows        bigint  NOT NULL DEFAULT 0, -- loaded by the ingest step
    rejects     bigint  NOT NULL DEFAULT 0,
    deliveries  integer NOT NULL DEFAULT 0, -- the period's messages sent by this run
    error       text,                   -- failed: what went wrong; partial: why
    host        text    NOT NULL,
    pid         integer NOT NULL
);

CREATE INDEX runs_job_period ON runs (job, period);
CREATE INDEX runs_started ON runs (started_at);
-- One chain runs at a time (the "run" advisory lock); the ledger says so too.
CREATE UNIQUE INDEX runs_one_running ON runs ((true)) WHERE status = 'running';
-- A period finishes ok once; only a forced rerun adds another.
CREATE UNIQUE INDEX runs_once ON runs (job, period) WHERE status = 'ok' AND NOT forced;

-- What the ingest step of a run did per source, for status and metrics.
CREATE TABLE run_sources (
    run_id      bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    source      text   NOT NULL,
    files       integer NOT NULL,       -- files with new lines
    lines       bigint NOT NULL,
    rows        bigint NOT NULL,
    rejects     bigint NOT NULL,
    file_errors integer NOT NULL,       -- files that could not be read
    PRIMARY KEY (run_id, source)
);

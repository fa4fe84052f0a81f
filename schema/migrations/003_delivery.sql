-- The delivery ledger: one row per message ispacct means to deliver. A
-- message is rendered once into the outbox (<state_dir>/outbox/) before
-- it is sent, and its row says what became of it: a failed send is
-- retried and never lost, and a delivered one is not sent again unless
-- asked (ispacct resend, which adds a row of the next generation).
CREATE TABLE deliveries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text    NOT NULL CHECK (kind IN ('archive', 'failure')),
    -- archive: the period, 2026-11-21 or 2026-11; failure: the job and
    -- when it failed, "ingest 2026-11-22T01:30:02Z"
    period         text    NOT NULL,
    channel        text    NOT NULL CHECK (channel IN ('smtp', 'maildir')),
    generation     integer NOT NULL DEFAULT 0, -- 0 first, one more per resend
    sender         text    NOT NULL,           -- envelope sender
    recipient      text    NOT NULL,           -- smtp: the addresses, comma-separated; maildir: the folder
    message_id     text    NOT NULL,           -- without angle brackets
    subject        text    NOT NULL,
    eml_path       text    NOT NULL,           -- the rendered message, in the outbox until delivered
    eml_bytes      bigint  NOT NULL,
    eml_sha256     text    NOT NULL,
    archive_sha256 text,                       -- of the zip the message is about
    attached       boolean NOT NULL DEFAULT false, -- false: too large to mail, the body says where it waits
    encrypted      boolean NOT NULL DEFAULT false,
    -- pending: waits for next_attempt; sending: a send was under way (a run
    -- that finds it died mid-send and retries); sent; failed: refused for
    -- good (5xx), kept and listed, not retried until resent; superseded: a
    -- resend replaced it.
    status         text    NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'superseded')),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text,
    next_attempt   timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    delivered_as   text,                       -- the server's reply, or the Maildir file
    UNIQUE (kind, period, channel, generation)
);

CREATE INDEX deliveries_waiting ON deliveries (next_attempt) WHERE status IN ('pending', 'sending', 'failed');

-- Mail log lines of one message span files and runs: the messages a
-- source has open (seen, not yet complete) are kept here, saved in the
-- transaction that commits the rows and the ledger entry they go with.
CREATE TABLE mail_state (
    source     text PRIMARY KEY,
    state      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

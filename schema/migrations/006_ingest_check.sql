-- What a file's checkpoint was taken after: the start and SHA-256 of the
-- last line read. A run that goes on from byte_offset first reads that
-- line again; if it is no longer there, the file was cut or rewritten
-- since, and reading on would load the wrong lines. NULL for files read
-- before this was recorded: only a file shorter than byte_offset is
-- noticed for them.
ALTER TABLE ingest_files ADD COLUMN check_offset bigint;
ALTER TABLE ingest_files ADD COLUMN check_sha256 bytea;

-- SHA-256 of the file's first line alone. The fingerprint also holds the
-- vhost a per-vhost log was read with; a reload finds by this what was
-- loaded from the same file (at the same path) under another vhost or
-- format.
ALTER TABLE ingest_files ADD COLUMN head_sha256 bytea;

-- Rows by the file they came from, so that `ispacct ingest --reload` can
-- find a file's rows without reading every partition whole. BRIN: file
-- ids grow with time as rows do, and it costs the bulk load next to
-- nothing, where a B-tree would be updated for every row; a filled block
-- range is summarized in the background.
CREATE INDEX proxy_src_file ON proxy USING brin (src_file) WITH (autosummarize = on);
CREATE INDEX http_src_file ON http USING brin (src_file) WITH (autosummarize = on);
CREATE INDEX mta_src_file ON mta USING brin (src_file) WITH (autosummarize = on);

-- The src_file BRIN indexes of migration 006 asked autovacuum to summarize
-- each block range as soon as it filled (autosummarize). A day's load
-- fills more ranges than autovacuum's queue of such requests holds, so
-- PostgreSQL logged "request for BRIN range summarization ... was not
-- recorded" dozens of times a night. VACUUM summarizes new ranges anyway,
-- and autovacuum vacuums a day's partition soon after its load (the
-- insert threshold); until then a reload reads a range not yet summarized
-- whole, as it must. PostgreSQL 15 cannot change the options of a
-- partitioned index, so the indexes are made again, without them.
DROP INDEX proxy_src_file;
DROP INDEX http_src_file;
DROP INDEX mta_src_file;
CREATE INDEX proxy_src_file ON proxy USING brin (src_file);
CREATE INDEX http_src_file ON http USING brin (src_file);
CREATE INDEX mta_src_file ON mta USING brin (src_file);

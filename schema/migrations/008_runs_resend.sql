-- A re-request (ispacct resend, or the web page's form) is recorded in the
-- run ledger as well, as job 'resend', with who asked (started_by
-- 'command' or 'web:<user>'). Backlog and Missed look at daily and
-- monthly only, so such rows never stand in for a nightly run.
ALTER TABLE runs DROP CONSTRAINT runs_job_check;
ALTER TABLE runs ADD CONSTRAINT runs_job_check CHECK (job IN ('daily', 'monthly', 'resend'));

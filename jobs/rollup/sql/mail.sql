-- $4: the local mail domains. A delivery to a local domain is mail "in"
-- for the recipient's mailbox; mail from a local domain is "out" for the
-- sender's. With no domains configured, a local transport (local, virtual,
-- lmtp …) marks mail in, any other mail out.
--
-- A message counts once per mailbox and once per domain, with its largest
-- size; recipients are distinct (message, recipient) pairs. Each direction
-- sorts its rows by message once and counts the groups of each message as
-- they pass; only the few totals are hashed. In and out each read the day
-- whole, side by side when a parallel worker is free.
SET LOCAL work_mem = '128MB';
-- The partition may have no statistics yet: the planner would guess the
-- per-message groups few and sort them again for the totals.
SET LOCAL enable_sort = off;
-- Compiling costs more than it saves on a day's rows (and the line above
-- would make every plan look expensive enough for it).
SET LOCAL jit = off;
-- A day split among workers would be merged back in one process: slower.
SET LOCAL min_parallel_table_scan_size = '8GB';
DELETE FROM agg_mail_mailbox WHERE day = $1;
DELETE FROM agg_mail_domain WHERE day = $1;

CREATE TEMP TABLE mail_day ON COMMIT DROP AS
WITH rows AS NOT MATERIALIZED (
    SELECT coalesce(queue_id, '') || '/' || coalesce(msgid, '') AS msg,
           lower(coalesce(m_to, '')) AS rcpt, lower(coalesce(nullif(m_from, ''), '<>')) AS sender,
           coalesce(m_size, 0) AS size, m_status, m_mailer
    FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
), mail_in AS (
    SELECT msg, rcpt AS mailbox, split_part(rcpt, '@', 2) AS domain, size, m_status FROM rows
    WHERE CASE WHEN cardinality($4::text[]) > 0 THEN split_part(rcpt, '@', 2) = ANY ($4::text[])
               ELSE m_mailer IN ('local', 'virtual', 'lmtp', 'dovecot', 'maildrop', 'procmail', 'cyrus') END
), mail_out AS (
    SELECT msg, sender AS mailbox, split_part(sender, '@', 2) AS domain, rcpt, size, m_status FROM rows
    WHERE CASE WHEN cardinality($4::text[]) > 0 THEN split_part(sender, '@', 2) = ANY ($4::text[])
               ELSE m_mailer IS NULL OR m_mailer NOT IN ('local', 'virtual', 'lmtp', 'dovecot', 'maildrop', 'procmail', 'cyrus') END
), in_groups AS (
    -- Mail in: the mailbox is the recipient, so per message there is one
    -- recipient per mailbox. level 0: message and mailbox; 1: message and
    -- domain.
    SELECT grouping(mailbox) AS level, CASE grouping(mailbox) WHEN 0 THEN mailbox ELSE domain END AS name,
           max(size) AS size,
           count(*) FILTER (WHERE m_status = 'sent') AS sent,
           count(*) FILTER (WHERE m_status = 'deferred') AS deferred,
           count(*) FILTER (WHERE m_status = 'bounced') AS bounced,
           count(*) FILTER (WHERE m_status = 'expired') AS expired
    FROM (SELECT * FROM mail_in ORDER BY msg, domain, mailbox) s
    GROUP BY GROUPING SETS ((msg, domain, mailbox), (msg, domain))
), out_groups AS (
    -- Mail out: the mailbox is the sender. level 0: message, mailbox and
    -- recipient; 1: message and mailbox; 2: message, domain and recipient
    -- (a recipient two senders of the domain share counts once); 3:
    -- message and domain.
    SELECT grouping(mailbox, rcpt) AS level, CASE WHEN grouping(mailbox) = 0 THEN mailbox ELSE domain END AS name,
           max(size) AS size,
           count(*) FILTER (WHERE m_status = 'sent') AS sent,
           count(*) FILTER (WHERE m_status = 'deferred') AS deferred,
           count(*) FILTER (WHERE m_status = 'bounced') AS bounced,
           count(*) FILTER (WHERE m_status = 'expired') AS expired
    FROM (SELECT * FROM mail_out ORDER BY msg, domain, mailbox, rcpt) s
    GROUP BY GROUPING SETS ((msg, domain, mailbox, rcpt), (msg, domain, mailbox), (msg, domain, rcpt), (msg, domain))
)
-- One row per direction and mailbox, and per direction and domain. Mail
-- in leaves a domain's recipients to the insert below: they are its
-- mailboxes' recipients, no two of them alike.
SELECT $1::date AS day, 'in' AS direction, level = 1 AS whole_domain, name,
       count(*) AS messages, CASE level WHEN 0 THEN count(*) END AS recipients, sum(size) AS bytes,
       sum(sent) AS sent, sum(deferred) AS deferred, sum(bounced) AS bounced, sum(expired) AS expired
FROM in_groups GROUP BY level, name
UNION ALL
SELECT $1::date, 'out', level >= 2, name,
       count(*) FILTER (WHERE level IN (1, 3)), count(*) FILTER (WHERE level IN (0, 2)), sum(size) FILTER (WHERE level IN (1, 3)),
       sum(sent) FILTER (WHERE level IN (1, 3)), sum(deferred) FILTER (WHERE level IN (1, 3)),
       sum(bounced) FILTER (WHERE level IN (1, 3)), sum(expired) FILTER (WHERE level IN (1, 3))
FROM out_groups GROUP BY level >= 2, name;

INSERT INTO agg_mail_mailbox
SELECT day, direction, name, split_part(name, '@', 2), messages, recipients, bytes, sent, deferred, bounced, expired
FROM mail_day WHERE NOT whole_domain;

INSERT INTO agg_mail_domain
SELECT day, direction, name, messages,
       coalesce(recipients, (SELECT sum(m.recipients) FROM mail_day m
                             WHERE m.direction = d.direction AND NOT m.whole_domain AND split_part(m.name, '@', 2) = d.name)),
       bytes, sent, deferred, bounced, expired
FROM mail_day d WHERE whole_domain;

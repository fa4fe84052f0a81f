-- The mail rollup in its first, plain form (one temporary row per message
-- and mailbox, the domain figures by a subquery per domain): the reference
-- TestMailSameAsReference holds sql/mail.sql to, row for row.
-- $4: the local mail domains. A delivery to a local domain is mail "in"
-- for the recipient's mailbox; mail from a local domain is "out" for the
-- sender's. With no domains configured, a local transport (local, virtual,
-- lmtp …) marks mail in, any other mail out.
DELETE FROM agg_mail_mailbox WHERE day = $1;
DELETE FROM agg_mail_domain WHERE day = $1;

CREATE TEMP TABLE mail_day ON COMMIT DROP AS
WITH rows AS (
    SELECT coalesce(queue_id, '') || '/' || coalesce(msgid, '') AS msg,
           lower(coalesce(m_to, '')) AS rcpt, lower(coalesce(nullif(m_from, ''), '<>')) AS sender,
           coalesce(m_size, 0) AS size, m_status, m_mailer
    FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
), sides AS (
    SELECT 'in' AS direction, rcpt AS mailbox, * FROM rows
    WHERE CASE WHEN cardinality($4::text[]) > 0 THEN split_part(rcpt, '@', 2) = ANY ($4::text[])
               ELSE m_mailer IN ('local', 'virtual', 'lmtp', 'dovecot', 'maildrop', 'procmail', 'cyrus') END
    UNION ALL
    SELECT 'out', sender, * FROM rows
    WHERE CASE WHEN cardinality($4::text[]) > 0 THEN split_part(sender, '@', 2) = ANY ($4::text[])
               ELSE m_mailer IS NULL OR m_mailer NOT IN ('local', 'virtual', 'lmtp', 'dovecot', 'maildrop', 'procmail', 'cyrus') END
)
-- One row per message and mailbox: the message counts once, its size once.
SELECT $1::date AS day, direction, mailbox, split_part(mailbox, '@', 2) AS domain, msg,
       max(size) AS size, array_agg(DISTINCT rcpt) AS rcpts,
       count(*) FILTER (WHERE m_status = 'sent') AS sent,
       count(*) FILTER (WHERE m_status = 'deferred') AS deferred,
       count(*) FILTER (WHERE m_status = 'bounced') AS bounced,
       count(*) FILTER (WHERE m_status = 'expired') AS expired
FROM sides GROUP BY direction, mailbox, msg;

INSERT INTO agg_mail_mailbox
SELECT $1::date, direction, mailbox, min(domain), count(*), sum(cardinality(rcpts)), sum(size),
       sum(sent), sum(deferred), sum(bounced), sum(expired)
FROM mail_day GROUP BY direction, mailbox;

INSERT INTO agg_mail_domain
SELECT $1::date, direction, domain, count(DISTINCT msg),
       (SELECT count(*) FROM (SELECT DISTINCT d2.msg, r FROM mail_day d2, unnest(d2.rcpts) r
                              WHERE d2.direction = d.direction AND d2.domain = d.domain) x),
       (SELECT coalesce(sum(s), 0) FROM (SELECT max(d3.size) AS s FROM mail_day d3
                              WHERE d3.direction = d.direction AND d3.domain = d.domain GROUP BY d3.msg) y),
       sum(sent), sum(deferred), sum(bounced), sum(expired)
FROM mail_day d GROUP BY direction, domain;

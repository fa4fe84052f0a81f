DELETE FROM agg_http_vhost WHERE day = $1;
INSERT INTO agg_http_vhost
SELECT $1::date, url, count(*), coalesce(sum(size), 0), count(DISTINCT ip), count(*) FILTER (WHERE status >= 400)
FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
GROUP BY url;

DELETE FROM agg_http_user WHERE day = $1;
INSERT INTO agg_http_user
SELECT $1::date, url, htuser, count(*), coalesce(sum(size), 0)
FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3 AND htuser IS NOT NULL
GROUP BY url, htuser;

-- $1 day, $2 its first instant, $3 the next day's. {{day_rows}} is the
-- day's partition itself: the cost, and the plan, do not depend on the
-- history in the database.
DELETE FROM agg_proxy_lan WHERE day = $1;
INSERT INTO agg_proxy_lan
SELECT $1::date, lan_name,
       count(*), coalesce(sum(size), 0),
       count(*) FILTER (WHERE hit), coalesce(sum(size) FILTER (WHERE hit), 0),
       count(*) FILTER (WHERE miss), coalesce(sum(size) FILTER (WHERE miss), 0),
       count(*) FILTER (WHERE denied),
       count(DISTINCT ip_client),
       coalesce(sum(size) FILTER (WHERE class = '2'), 0),
       coalesce(sum(size) FILTER (WHERE class = '3'), 0),
       coalesce(sum(size) FILTER (WHERE class = '4'), 0),
       coalesce(sum(size) FILTER (WHERE class = '5'), 0),
       coalesce(sum(size) FILTER (WHERE class NOT IN ('2', '3', '4', '5')), 0)
FROM (
    SELECT lan_name, ip_client, size,
           -- Squid result codes: TCP_HIT, TCP_MEM_HIT, TCP_IMS_HIT … and a
           -- revalidated unchanged object are served from the cache.
           (status LIKE '%HIT%' OR status LIKE 'TCP_REFRESH_UNMODIFIED%') AS hit,
           (status LIKE '%MISS%' OR status LIKE 'TCP_REFRESH_MODIFIED%') AS miss,
           status LIKE '%DENIED%' AS denied,
           left(split_part(status, '/', 2), 1) AS class
    FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
) p
GROUP BY lan_name;

DELETE FROM agg_proxy_site WHERE day = $1;
INSERT INTO agg_proxy_site
SELECT $1::date, lan_name, host, count(*), coalesce(sum(size), 0)
FROM (
    SELECT lan_name, size, lower(CASE
        -- scheme://[user@]host[:port]/…  →  host
        WHEN url ~ '^[A-Za-z][A-Za-z0-9+.-]*://' THEN
            coalesce(substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]/]*\]|[^/?#:]*)'), '')
        -- CONNECT [v6]:port
        WHEN url LIKE '[%' THEN coalesce(substring(url FROM '^(\[[^]]*\])'), url)
        -- CONNECT host:port
        ELSE split_part(url, ':', 1)
    END) AS host
    FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
) p
GROUP BY lan_name, host;

WITH firsts AS (
    SELECT distinct_id AS entity, min(timestamp) AS first_at FROM events
    WHERE workspace_id = $p0 AND distinct_id != '' AND (event = $p5) AND timestamp < epoch_ms($p2::BIGINT)
    GROUP BY distinct_id
), cohort AS (
    SELECT entity, CAST((((epoch_us(first_at) + 28800000000 + 86400000000000000) // 86400000000 - 1000000) + 3) // 7 AS BIGINT) AS pn FROM firsts
    WHERE first_at >= epoch_ms($p1::BIGINT)
), back AS (
    SELECT entity, max(pn) AS pn FROM (SELECT distinct_id AS entity, CAST(((CASE WHEN epoch_us(timestamp) >= 1737734400000000 AND epoch_us(timestamp) < 1809532800000000 THEN ((epoch_us(timestamp) + 28800000000 + 86400000000000000) // 86400000000 - 1000000) ELSE date_diff('day', DATE '1970-01-01', CAST(timezone($p3, timestamp AT TIME ZONE 'UTC') AS DATE)) END) + 3) // 7 AS BIGINT) AS pn FROM events
    WHERE workspace_id = $p0 AND distinct_id != '' AND (event = $p6 AND coalesce(json_type(properties, $p7) NOT IN ('NULL', ''), false)) AND timestamp >= epoch_ms($p1::BIGINT)
      AND distinct_id IN (SELECT entity FROM cohort)) AS r GROUP BY entity
)
SELECT pn, 0 AS k, count(*) AS n FROM cohort GROUP BY pn
UNION ALL
SELECT pn, k, count(*) AS n FROM (
    SELECT c.pn AS pn, least(r.pn - c.pn, $p4) AS k
    FROM cohort AS c JOIN back AS r ON r.entity = c.entity) AS furthest
WHERE k >= 1
GROUP BY pn, k
-- params: {"p0":7,"p1":1772294400000,"p2":1774972800000,"p3":"Asia/Shanghai","p4":4,"p5":"signup","p6":"login","p7":"/plan"}

SELECT CAST(((CASE WHEN epoch_ms(timestamp) >= 1737734400000 AND epoch_ms(timestamp) < 1809532800000 THEN ((epoch_ms(timestamp) + 28800000 + 86400000000000) // 86400000 - 1000000) ELSE date_diff('day', DATE '1970-01-01', CAST(timezone($p3, timestamp AT TIME ZONE 'UTC') AS DATE)) END) + 3) // 7 AS BIGINT) AS pn, count(*), count(DISTINCT nullif(distinct_id, '')), count(DISTINCT nullif(account_id, ''))
FROM events
WHERE workspace_id = $p0 AND (event = $p4 AND NOT coalesce(json_type(properties, $p5) IN ('VARCHAR') AND json_extract_string(properties, $p5) = $p6, false)) AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p2::BIGINT)
GROUP BY pn
ORDER BY pn
-- params: {"p0":7,"p1":1772294400000,"p2":1774972800000,"p3":"Asia/Shanghai","p4":"login","p5":"/plan","p6":"free"}

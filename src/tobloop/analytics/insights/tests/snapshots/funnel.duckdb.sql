WITH matched AS (
    SELECT account_id AS entity, epoch_ms(timestamp) AS ts,
           CASE WHEN (event = $p7) THEN 1 ELSE 0 END AS m0,
           CASE WHEN (event = $p8 AND coalesce(json_type(properties, $p9) IN ('VARCHAR') AND json_extract_string(properties, $p9) = $p10, false)) THEN 1 ELSE 0 END AS m1,
           CASE WHEN (event = $p11 AND coalesce(json_type(properties, $p12) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND TRY_CAST(json_extract_string(properties, $p12) AS DOUBLE) >= $p13, false)) THEN 1 ELSE 0 END AS m2
    FROM events
    WHERE workspace_id = $p0 AND account_id IS NOT NULL AND account_id != '' AND event IN ($p5, $p6)
      AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p4::BIGINT)
), moments AS (
    SELECT entity, ts, sum(m0) AS c0, (ts - $p1) * 32 + least(sum(m0), 3)::BIGINT * 1 + least(sum(m1), 1)::BIGINT * 4 + least(sum(m2), 3)::BIGINT * 8 AS key FROM matched WHERE m0 + m1 + m2 > 0 GROUP BY entity, ts
), entities AS (
    SELECT entity, list_sort(list(key)) AS g, min(CASE WHEN c0 > 0 AND ts >= $p1 AND ts < $p2 THEN ts END) AS first_ts
    FROM moments GROUP BY entity
), reached AS (
    SELECT entity, list_reduce(g, lambda acc, x: [
        greatest(acc[1], CASE WHEN (x // 32 + $p1) >= $p1 AND (x // 32 + $p1) < $p2 AND (x // 32 + $p1) = first_ts AND (x % 4) >= 1 THEN (x // 32 + $p1) ELSE -4611686018427387904 END),
        greatest(acc[2], CASE WHEN (x // 32 + $p1) >= $p1 AND (x // 32 + $p1) < $p2 AND (x // 32 + $p1) = first_ts AND (x % 4) >= 1 AND (x // 4 % 2) >= 1 THEN (x // 32 + $p1) ELSE -4611686018427387904 END, CASE WHEN acc[1] >= (x // 32 + $p1) - $p3 AND (x // 4 % 2) >= 1 THEN acc[1] ELSE -4611686018427387904 END),
        greatest(acc[3], CASE WHEN (x // 32 + $p1) >= $p1 AND (x // 32 + $p1) < $p2 AND (x // 32 + $p1) = first_ts AND (x % 4) >= 1 AND (x // 4 % 2) >= 1 AND (x // 8 % 4) >= 2 THEN (x // 32 + $p1) ELSE -4611686018427387904 END, CASE WHEN acc[1] >= (x // 32 + $p1) - $p3 AND (x // 4 % 2) >= 1 AND (x // 8 % 4) >= 1 THEN acc[1] ELSE -4611686018427387904 END, CASE WHEN acc[2] >= (x // 32 + $p1) - $p3 AND (x // 8 % 4) >= 1 THEN acc[2] ELSE -4611686018427387904 END)
    ], [-4611686018427387904, -4611686018427387904, -4611686018427387904]::BIGINT[]) AS f
    FROM entities
)
SELECT count(*) FILTER (WHERE f[1] > -4611686018427387904), count(*) FILTER (WHERE f[2] > -4611686018427387904), count(*) FILTER (WHERE f[3] > -4611686018427387904)
FROM reached
-- params: {"p0":7,"p1":1772294400000,"p10":"admin","p11":"signup","p12":"/seats","p13":5.0,"p2":1774972800000,"p3":604800000,"p4":1775577600000,"p5":"signup","p6":"invite","p7":"signup","p8":"invite","p9":"/role"}

WITH scoped AS (
    SELECT '' AS bv, CAST((((epoch_us(timestamp) + 28800000000 + 86400000000000000) // 86400000000 - 1000000) + 3) // 7 AS BIGINT) - $p6 AS off, distinct_id, account_id
    FROM events
    WHERE workspace_id = $p0 AND (event = $p3 AND NOT coalesce(json_type(properties, $p4) IN ('VARCHAR') AND json_extract_string(properties, $p4) = $p5, false)) AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p2::BIGINT)
), marks AS MATERIALIZED (
    SELECT GROUPING(off) AS level, bv, off, blk, distinct_id, account_id, count(*) AS n,
           bit_or(1::UBIGINT << (off % 64)::UBIGINT) AS m
    FROM (SELECT bv, off, off // 64 AS blk, distinct_id, account_id FROM scoped) AS s
    GROUP BY GROUPING SETS ((bv, off), (bv, distinct_id, account_id, blk))
), folded AS (SELECT * FROM marks), events AS (
    SELECT bv, off, sum(n) AS n FROM folded WHERE level = 0 GROUP BY bv, off
), users AS (
    SELECT bv, blk, bit_or(m) AS m FROM folded WHERE level = 1 AND distinct_id != ''
    GROUP BY bv, distinct_id, blk
), accounts AS (
    SELECT bv, blk, bit_or(m) AS m FROM folded
    WHERE level = 1 AND account_id IS NOT NULL AND account_id != ''
    GROUP BY bv, account_id, blk
), user_counts AS (
    SELECT bv, blk * 64 + b AS off, count(*) AS n FROM users, range(64) AS r(b)
    WHERE (m >> b::UBIGINT) & 1::UBIGINT = 1 GROUP BY ALL
), account_counts AS (
    SELECT bv, blk * 64 + b AS off, count(*) AS n FROM accounts, range(64) AS r(b)
    WHERE (m >> b::UBIGINT) & 1::UBIGINT = 1 GROUP BY ALL
)
SELECT e.off + $p6 AS pn, e.n, coalesce(u.n, 0), coalesce(a.n, 0)
FROM events AS e
LEFT JOIN user_counts AS u ON u.bv = e.bv AND u.off = e.off
LEFT JOIN account_counts AS a ON a.bv = e.bv AND a.off = e.off
ORDER BY pn
-- params: {"p0":7,"p1":1772294400000,"p2":1774972800000,"p3":"login","p4":"/plan","p5":"free","p6":2930}

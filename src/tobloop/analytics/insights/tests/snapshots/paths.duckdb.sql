WITH sequences AS (
    SELECT list(event ORDER BY epoch_ms(timestamp), event) AS l FROM events WHERE workspace_id = $p0 AND account_id IS NOT NULL AND account_id != '' AND type IN ('track', 'page', 'screen') AND event != '' AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p2::BIGINT) GROUP BY account_id
), anchored AS (
    SELECT s, coalesce(list_position(s, $p3), 0) AS pos FROM (
        SELECT list_reverse(l) AS s FROM (SELECT list_filter(l, lambda x, i: i = 1 OR x != l[i - 1]) AS l
                                    FROM sequences) AS c) AS o
)
SELECT list_slice(s, pos, pos + $p4 - 1) AS path, count(*) AS n FROM anchored WHERE pos > 0 GROUP BY path
-- params: {"p0":7,"p1":1772323200000,"p2":1775001600000,"p3":"purchase","p4":4}

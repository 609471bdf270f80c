WITH codes AS MATERIALIZED (
    SELECT event, (row_number() OVER (ORDER BY event) - 1)::BIGINT AS code
    FROM (SELECT DISTINCT event FROM events WHERE workspace_id = $p0 AND account_id IS NOT NULL AND account_id != '' AND type IN ('track', 'page', 'screen') AND event != '' AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p2::BIGINT)) AS named
), dictionary AS (
    SELECT count(*)::BIGINT AS w, list(event ORDER BY code) AS names,
           coalesce(max(code) FILTER (WHERE event = $p3), -1) AS anchor_code
    FROM codes
), sequences AS (
    SELECT list((epoch_us(timestamp) // 1000 - $p1::BIGINT) * w + code) AS l, max((epoch_us(timestamp) // 1000 - $p1::BIGINT) * w + code) FILTER (WHERE code = anchor_code) AS anchor_at
    FROM events JOIN codes USING (event) CROSS JOIN dictionary
    WHERE workspace_id = $p0 AND account_id IS NOT NULL AND account_id != '' AND type IN ('track', 'page', 'screen') AND event != '' AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p2::BIGINT)
    GROUP BY account_id
), anchored AS (
    SELECT s, list_position(s, anchor_at) AS pos
    FROM (SELECT list_reverse_sort(l) AS s, anchor_at FROM sequences WHERE anchor_at IS NOT NULL) AS o
), heads AS (
    SELECT list_filter(h, lambda x, i: i = 1 OR x != h[i - 1]) AS h, s, pos FROM (
        SELECT list_transform(list_slice(s, pos, pos + 31), lambda x: x % w) AS h, s, pos
        FROM anchored CROSS JOIN dictionary) AS cut
), paths AS (
    SELECT list_slice(CASE WHEN len(h) >= 4 OR len(s) - pos < 32 THEN h
        ELSE list_filter(list_transform(list_slice(s, pos, len(s)), lambda x: x % w),
                         lambda x, i: i = 1 OR x != s[pos + i - 2] % w) END, 1, 4) AS path, count(*) AS n
    FROM heads CROSS JOIN dictionary
    GROUP BY path
)
SELECT list_transform(path, lambda c: names[c + 1]) AS path, n FROM paths CROSS JOIN dictionary
-- params: {"p0":7,"p1":1772323200000,"p2":1775001600000,"p3":"purchase"}

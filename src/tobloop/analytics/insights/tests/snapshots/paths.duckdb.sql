WITH codes AS MATERIALIZED (
    SELECT event, (row_number() OVER (ORDER BY event) - 1)::BIGINT AS code
    FROM (SELECT DISTINCT event FROM events WHERE workspace_id = $p0 AND account_id IS NOT NULL AND account_id != '' AND type IN ('track', 'page', 'screen') AND event != '' AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p2::BIGINT)) AS named
), dictionary AS (
    SELECT count(*)::BIGINT AS w, list(event ORDER BY code) AS names,
           coalesce(max(code) FILTER (WHERE event = $p3), -1) AS anchor_code
    FROM codes
), sequences AS (
    SELECT max((epoch_us(timestamp) // 1000 - $p1::BIGINT) * w + code, 32) AS head, count(*) AS total, list((epoch_us(timestamp) // 1000 - $p1::BIGINT) * w + code) AS l,
           max((epoch_us(timestamp) // 1000 - $p1::BIGINT) * w + code) FILTER (WHERE code = anchor_code) AS anchor_at
    FROM events JOIN codes USING (event) CROSS JOIN dictionary
    WHERE workspace_id = $p0 AND account_id IS NOT NULL AND account_id != '' AND type IN ('track', 'page', 'screen') AND event != '' AND timestamp >= epoch_ms($p1::BIGINT) AND timestamp < epoch_ms($p2::BIGINT)
    GROUP BY account_id
), anchored AS (
    SELECT head, total, l, anchor_at, coalesce(list_position(head, anchor_at), 0) AS hpos
    FROM sequences WHERE anchor_at IS NOT NULL
), heads AS (
    SELECT list_transform(list_filter(list_zip(h, list_prepend(-1, h)), lambda pair: pair[1] != pair[2]), lambda pair: pair[1]) AS h, hpos, total, l, anchor_at FROM (
        SELECT list_transform(list_slice(head, greatest(hpos, 1), 32), lambda x: x % w) AS h,
               hpos, total, l, anchor_at
        FROM anchored CROSS JOIN dictionary) AS cut
), tails AS (
    SELECT h, hpos > 0 AND (len(h) >= 4 OR total <= 32) AS enough,
           CASE WHEN enough THEN NULL ELSE list_transform(list_reverse_sort(list_filter(l, lambda x: x <= anchor_at)), lambda x: x % w) END AS t
    FROM heads CROSS JOIN dictionary
), paths AS (
    SELECT list_slice(CASE WHEN enough THEN h ELSE list_transform(list_filter(list_zip(t, list_prepend(-1, t)), lambda pair: pair[1] != pair[2]), lambda pair: pair[1]) END, 1, 4) AS path,
           count(*) AS n
    FROM tails
    GROUP BY path
)
SELECT list_transform(path, lambda c: names[c + 1]) AS path, n FROM paths CROSS JOIN dictionary
-- params: {"p0":7,"p1":1772323200000,"p2":1775001600000,"p3":"purchase"}

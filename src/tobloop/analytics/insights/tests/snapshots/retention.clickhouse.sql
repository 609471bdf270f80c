WITH firsts AS (
    SELECT distinct_id AS entity, min(timestamp) AS first_at FROM events
    WHERE workspace_id = {p0:UInt64} AND distinct_id != '' AND (event = {p5:String}) AND timestamp < fromUnixTimestamp64Milli({p2:Int64})
    GROUP BY distinct_id
), cohort AS (
    SELECT entity, intDiv(toInt64(dateDiff('day', toDate('1970-01-01'), toDate(first_at, {p3:String}))) + 3, 7) AS pn FROM firsts
    WHERE first_at >= fromUnixTimestamp64Milli({p1:Int64})
), back AS (
    SELECT entity, max(pn) AS pn FROM (SELECT distinct_id AS entity, intDiv(toInt64(dateDiff('day', toDate('1970-01-01'), toDate(timestamp, {p3:String}))) + 3, 7) AS pn FROM events
    WHERE workspace_id = {p0:UInt64} AND distinct_id != '' AND (event = {p6:String} AND coalesce(JSONType(properties, {p7:String}) NOT IN ('Null', ''), false)) AND timestamp >= fromUnixTimestamp64Milli({p1:Int64})
      AND distinct_id IN (SELECT entity FROM cohort)) AS r GROUP BY entity
)
SELECT pn, 0 AS k, count(*) AS n FROM cohort GROUP BY pn
UNION ALL
SELECT pn, k, count(*) AS n FROM (
    SELECT c.pn AS pn, least(r.pn - c.pn, {p4:Int64}) AS k
    FROM cohort AS c JOIN back AS r ON r.entity = c.entity) AS furthest
WHERE k >= 1
GROUP BY pn, k
-- params: {"p0":7,"p1":1772294400000,"p2":1774972800000,"p3":"Asia/Shanghai","p4":4,"p5":"signup","p6":"login","p7":"plan"}

WITH matched AS (
    SELECT account_id AS entity, toUnixTimestamp64Milli(timestamp) AS ts,
           CASE WHEN (event = {p7:String}) THEN 1 ELSE 0 END AS m0,
           CASE WHEN (event = {p8:String} AND coalesce(JSONType(properties, {p9:String}) IN ('String') AND JSONExtractString(properties, {p9:String}) = {p10:String}, false)) THEN 1 ELSE 0 END AS m1,
           CASE WHEN (event = {p11:String} AND coalesce(JSONType(properties, {p12:String}) IN ('Int64', 'UInt64', 'Double') AND JSONExtractFloat(properties, {p12:String}) >= {p13:Float64}, false)) THEN 1 ELSE 0 END AS m2
    FROM events
    WHERE workspace_id = {p0:UInt64} AND account_id IS NOT NULL AND account_id != '' AND event IN ({p5:String}, {p6:String})
      AND timestamp >= fromUnixTimestamp64Milli({p1:Int64}) AND timestamp < fromUnixTimestamp64Milli({p4:Int64})
), moments AS (
    SELECT entity, ts, sum(m0) AS c0, (ts - {p1:Int64}) * 32 + toInt64(least(sum(m0), 3)) * 1 + toInt64(least(sum(m1), 1)) * 4 + toInt64(least(sum(m2), 3)) * 8 AS key FROM matched WHERE m0 + m1 + m2 > 0 GROUP BY entity, ts
), entities AS (
    SELECT entity, arraySort(groupArray(key)) AS g, min(CASE WHEN c0 > 0 AND ts >= {p1:Int64} AND ts < {p2:Int64} THEN ts END) AS first_ts
    FROM moments GROUP BY entity
), reached AS (
    SELECT entity, arrayFold((acc, x) -> [
        greatest(acc[1], CASE WHEN (intDiv(x, 32) + {p1:Int64}) >= {p1:Int64} AND (intDiv(x, 32) + {p1:Int64}) < {p2:Int64} AND (intDiv(x, 32) + {p1:Int64}) = first_ts AND (x % 4) >= 1 THEN (intDiv(x, 32) + {p1:Int64}) ELSE -4611686018427387904 END),
        greatest(acc[2], CASE WHEN (intDiv(x, 32) + {p1:Int64}) >= {p1:Int64} AND (intDiv(x, 32) + {p1:Int64}) < {p2:Int64} AND (intDiv(x, 32) + {p1:Int64}) = first_ts AND (x % 4) >= 1 AND (intDiv(x, 4) % 2) >= 1 THEN (intDiv(x, 32) + {p1:Int64}) ELSE -4611686018427387904 END, CASE WHEN acc[1] >= (intDiv(x, 32) + {p1:Int64}) - {p3:Int64} AND (intDiv(x, 4) % 2) >= 1 THEN acc[1] ELSE -4611686018427387904 END),
        greatest(acc[3], CASE WHEN (intDiv(x, 32) + {p1:Int64}) >= {p1:Int64} AND (intDiv(x, 32) + {p1:Int64}) < {p2:Int64} AND (intDiv(x, 32) + {p1:Int64}) = first_ts AND (x % 4) >= 1 AND (intDiv(x, 4) % 2) >= 1 AND (intDiv(x, 8) % 4) >= 2 THEN (intDiv(x, 32) + {p1:Int64}) ELSE -4611686018427387904 END, CASE WHEN acc[1] >= (intDiv(x, 32) + {p1:Int64}) - {p3:Int64} AND (intDiv(x, 4) % 2) >= 1 AND (intDiv(x, 8) % 4) >= 1 THEN acc[1] ELSE -4611686018427387904 END, CASE WHEN acc[2] >= (intDiv(x, 32) + {p1:Int64}) - {p3:Int64} AND (intDiv(x, 8) % 4) >= 1 THEN acc[2] ELSE -4611686018427387904 END)
    ], g, CAST([-4611686018427387904, -4611686018427387904, -4611686018427387904] AS Array(Int64))) AS f
    FROM entities
)
SELECT countIf(f[1] > -4611686018427387904), countIf(f[2] > -4611686018427387904), countIf(f[3] > -4611686018427387904)
FROM reached
-- params: {"p0":7,"p1":1772294400000,"p10":"admin","p11":"signup","p12":"seats","p13":5.0,"p2":1774972800000,"p3":604800000,"p4":1775577600000,"p5":"signup","p6":"invite","p7":"signup","p8":"invite","p9":"role"}

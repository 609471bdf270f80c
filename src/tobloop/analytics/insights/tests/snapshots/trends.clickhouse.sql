SELECT intDiv(toInt64(dateDiff('day', toDate('1970-01-01'), toDate(timestamp, {p3:String}))) + 3, 7) AS pn, count(), uniqExact(nullIf(distinct_id, '')), uniqExact(nullIf(account_id, ''))
FROM events
WHERE workspace_id = {p0:UInt64} AND (event = {p4:String} AND NOT coalesce(JSONType(properties, {p5:String}) IN ('String') AND JSONExtractString(properties, {p5:String}) = {p6:String}, false)) AND timestamp >= fromUnixTimestamp64Milli({p1:Int64}) AND timestamp < fromUnixTimestamp64Milli({p2:Int64})
GROUP BY pn
ORDER BY pn
-- params: {"p0":7,"p1":1772294400000,"p2":1774972800000,"p3":"Asia/Shanghai","p4":"login","p5":"plan","p6":"free"}

WITH sequences AS (
    SELECT arrayMap(x -> x.2, arraySort(groupArray((toUnixTimestamp64Milli(timestamp), toString(event))))) AS l FROM events WHERE workspace_id = {p0:UInt64} AND account_id IS NOT NULL AND account_id != '' AND type IN ('track', 'page', 'screen') AND event != '' AND timestamp >= fromUnixTimestamp64Milli({p1:Int64}) AND timestamp < fromUnixTimestamp64Milli({p2:Int64}) GROUP BY account_id
), anchored AS (
    SELECT s, indexOf(s, {p3:String}) AS pos FROM (
        SELECT arrayReverse(l) AS s FROM (SELECT arrayFilter((x, i) -> i = 1 OR x != l[i - 1], l, arrayEnumerate(l)) AS l
                                    FROM sequences) AS c) AS o
)
SELECT arraySlice(s, pos, {p4:Int64}) AS path, count(*) AS n FROM anchored WHERE pos > 0 GROUP BY path
-- params: {"p0":7,"p1":1772323200000,"p2":1775001600000,"p3":"purchase","p4":4}

"""Product-analytics queries (funnels, retention): typed query → builder SQL → runner → result.

``models`` holds the typed queries, ``*_builder`` modules emit SQL for the DuckDB and ClickHouse
dialects, ``runners`` executes it on a DuckDB connection or a ClickHouse session (chdb or a
server) and returns typed results. Identifiers in the SQL are fixed by the builders; every value
from a user (event names, property keys and values, dates) travels as a bind parameter.
"""

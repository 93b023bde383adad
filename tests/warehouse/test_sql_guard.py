"""The read-only guard against a corpus of hostile and legitimate base queries, per dialect."""

from __future__ import annotations

import pytest

from tripl_core.warehouse.errors import UnsafeQuery
from tripl_core.warehouse.sql_guard import GuardDialect, check_read_only

CH: GuardDialect = "clickhouse"
PG: GuardDialect = "postgres"
BQ: GuardDialect = "bigquery"

# (dialect, query, a fragment the refusal message must contain)
HOSTILE: list[tuple[GuardDialect, str, str]] = [
    # A second statement, however it is dressed up.
    (PG, "SELECT 1; DROP TABLE events", "2 statements (SELECT, DROP)"),
    (CH, "SELECT 1;DROP TABLE events", "2 statements (SELECT, DROP)"),
    (PG, "SELECT 1 /* harmless */; DELETE FROM events", "2 statements (SELECT, DELETE)"),
    (PG, "SELECT 1; -- trailing comment\nDROP TABLE events", "2 statements (SELECT, DROP)"),
    (PG, "SELECT ';' AS a; UPDATE events SET x = 1", "2 statements (SELECT, UPDATE)"),
    (PG, "SELECT '; DROP TABLE x; --' AS s; DROP TABLE x; --", "2 statements (SELECT, DROP)"),
    (CH, "SELECT 1;\n\n\tINSERT INTO events VALUES (1)", "2 statements (SELECT, INSERT)"),
    (BQ, "SELECT 1; DELETE FROM ds.events WHERE TRUE", "2 statements (SELECT, DELETE)"),
    (PG, "SELECT 1; SELECT 2", "2 statements (SELECT, SELECT)"),
    (PG, "/* SELECT 1 */ DROP TABLE events", "DROP statement"),
    # DDL and DML at the top.
    (PG, "DROP TABLE events", "DROP statement"),
    (CH, "drop table if exists events", "DROP statement"),
    (PG, "INSERT INTO events SELECT * FROM events", "INSERT statement"),
    (CH, "INSERT INTO events (id) VALUES (1)", "INSERT statement"),
    (PG, "UPDATE events SET name = 'x'", "UPDATE statement"),
    (PG, "DELETE FROM events", "DELETE statement"),
    (CH, "ALTER TABLE events DELETE WHERE 1", "ALTER statement"),
    (PG, "ALTER TABLE events ADD COLUMN x int", "ALTER statement"),
    (PG, "CREATE TABLE x AS SELECT 1", "CREATE statement"),
    (CH, "CREATE TABLE x ENGINE = Memory AS SELECT 1", "CREATE statement"),
    (BQ, "CREATE OR REPLACE TABLE ds.x AS SELECT 1 AS a", "CREATE statement"),
    (PG, "TRUNCATE events", "TRUNCATE statement"),
    (CH, "TRUNCATE TABLE events", "TRUNCATE statement"),
    (PG, "GRANT ALL ON events TO public", "GRANT"),
    (CH, "GRANT SELECT ON db.* TO someone", "GRANT"),
    (CH, "ATTACH TABLE events", "ATTACH"),
    (CH, "OPTIMIZE TABLE events FINAL", "OPTIMIZE"),
    (CH, "SYSTEM DROP DNS CACHE", "SYSTEM"),
    (CH, "SYSTEM SHUTDOWN", "SYSTEM"),
    (PG, "SET search_path = evil", "SET statement"),
    (CH, "SET max_memory_usage = 0", "SET statement"),
    (PG, "COPY events TO '/tmp/out.csv'", "COPY statement"),
    (PG, "COPY events FROM PROGRAM 'rm -rf /'", "COPY statement"),
    (PG, "MERGE INTO events e USING src s ON e.id = s.id WHEN MATCHED THEN DELETE", "MERGE statement"),
    (PG, "EXPLAIN ANALYZE DELETE FROM events", "EXPLAIN"),
    (PG, "CALL cleanup()", "CALL"),
    (BQ, "EXPORT DATA OPTIONS (uri = 'gs://b/x*.csv', format = 'CSV') AS SELECT 1 AS a", "EXPORT DATA"),
    # DML and DDL hidden inside a query.
    (PG, "WITH gone AS (DELETE FROM events RETURNING *) SELECT * FROM gone", "DELETE statement"),
    (
        PG,
        "WITH a AS (SELECT 1), b AS (UPDATE events SET x = 1 RETURNING x) SELECT * FROM a, b",
        "UPDATE statement",
    ),
    (
        PG,
        "WITH outer_cte AS (WITH inner_cte AS (INSERT INTO t VALUES (1) RETURNING *) "
        "SELECT * FROM inner_cte) SELECT * FROM outer_cte",
        "INSERT statement",
    ),
    (
        PG,
        "SELECT * FROM (WITH d AS (DELETE FROM events RETURNING id) SELECT id FROM d) AS sub",
        "DELETE statement",
    ),
    (PG, "SELECT * INTO stolen FROM events", "SELECT … INTO"),
    (PG, "SELECT * FROM events FOR UPDATE", "FOR UPDATE"),
    # ClickHouse table functions, in every position and spelling.
    (CH, "SELECT * FROM url('http://evil/x.csv', CSV)", "table function url()"),
    (CH, "SELECT * FROM URL('http://evil/x.csv', CSV)", "table function URL()"),
    (CH, "SELECT * FROM   uRl  (  'http://evil/x.csv', CSV)", "table function uRl()"),
    (CH, "select * from url/* hidden */('http://evil', CSV)", "table function url()"),
    (CH, "SELECT * FROM file('/etc/passwd', 'LineAsString')", "table function file()"),
    (CH, "SELECT file('/etc/passwd') AS content", "table function file()"),
    (
        CH,
        "SELECT * FROM events AS e JOIN s3('https://b/x.parquet') AS s ON e.id = s.id",
        "table function s3()",
    ),
    (
        CH,
        "SELECT * FROM events WHERE id IN (SELECT id FROM remote('other:9000', db.t))",
        "table function remote()",
    ),
    (CH, "SELECT (SELECT count() FROM remoteSecure('h', db.t)) AS n", "table function remoteSecure()"),
    (
        CH,
        "WITH x AS (SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'p')) SELECT * FROM x",
        "table function mysql()",
    ),
    (
        CH,
        "SELECT * FROM events UNION ALL SELECT * FROM postgresql('h:5432', 'db', 't', 'u', 'p')",
        "table function postgresql()",
    ),
    (CH, "SELECT * FROM cluster('c', db.t)", "table function cluster()"),
    (CH, "SELECT * FROM s3Cluster('c', 'https://b/*.csv')", "table function s3Cluster()"),
    (CH, "SELECT * FROM hdfs('hdfs://h/x', 'CSV', 'a String')", "table function hdfs()"),
    (CH, "SELECT * FROM jdbc('jdbc:x', 't')", "table function jdbc()"),
    (CH, "SELECT * FROM odbc('DSN=x', 't')", "table function odbc()"),
    (CH, "SELECT * FROM sqlite('/tmp/x.db', 't')", "table function sqlite()"),
    (CH, "SELECT * FROM mongodb('h', 'db', 'c', 'u', 'p', 'x String')", "table function mongodb()"),
    (CH, "SELECT * FROM redis('h:6379', 'k', 'k String')", "table function redis()"),
    (CH, "SELECT * FROM azureBlobStorage('cs', 'c', 'p')", "table function azureBlobStorage()"),
    (CH, "SELECT * FROM gcs('https://g/x.csv')", "table function gcs()"),
    (CH, "SELECT * FROM input('a String')", "table function input()"),
    (CH, "SELECT * FROM executable('script.py', TSV, 'a String')", "table function executable()"),
    (CH, "SELECT * FROM deltaLake('https://b/t')", "table function deltaLake()"),
    (CH, "SELECT * FROM iceberg('https://b/t')", "table function iceberg()"),
    (CH, "SELECT * FROM hudi('https://b/t')", "table function hudi()"),
    (
        CH,
        "SELECT count() FROM events ARRAY JOIN (SELECT groupArray(x) FROM url('http://e', CSV, 'x Int'))"
        " AS y",
        "table function url()",
    ),
    # ClickHouse clauses that write out or change behaviour.
    (CH, "SELECT * FROM events INTO OUTFILE '/tmp/stolen.csv'", "INTO OUTFILE"),
    (CH, "SELECT * FROM events SETTINGS max_execution_time = 0", "SETTINGS"),
    (CH, "SELECT * FROM events FORMAT TabSeparated", "FORMAT"),
    # PostgreSQL functions that read the server's files, reach other servers or have side effects.
    (PG, "SELECT pg_read_file('/etc/passwd')", "pg_read_file()"),
    (PG, "SELECT PG_READ_BINARY_FILE('/etc/passwd')", "PG_READ_BINARY_FILE()"),
    (PG, "SELECT * FROM pg_ls_dir('.') AS f", "pg_ls_dir()"),
    (PG, "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", "dblink()"),
    (PG, "SELECT dblink_exec('host=evil', 'DROP TABLE x')", "dblink_exec()"),
    (PG, "SELECT lo_import('/etc/passwd')", "lo_import()"),
    (PG, "SELECT lo_export(1, '/tmp/x')", "lo_export()"),
    (PG, "SELECT e.* FROM events AS e JOIN (SELECT pg_sleep(100)) AS s ON TRUE", "pg_sleep()"),
    (PG, "SELECT query_to_xml('DROP TABLE events', true, true, '')", "query_to_xml()"),
    (PG, "SELECT set_config('search_path', 'evil', false)", "set_config()"),
    (PG, "SELECT nextval('events_id_seq')", "nextval()"),
    # BigQuery federated queries and models.
    (BQ, "SELECT * FROM EXTERNAL_QUERY('proj.us.conn', 'SELECT * FROM users')", "EXTERNAL_QUERY()"),
    (BQ, "SELECT * FROM ML.PREDICT(MODEL ds.m, TABLE ds.events)", "ML.PREDICT()"),
    # Not SQL at all.
    (PG, "", "empty"),
    (PG, "   \n\t ", "empty"),
    (PG, "SELECT FROM WHERE (", "could not be parsed"),
    (CH, "this is not sql", "not a SELECT"),
    (PG, "VALUES (1), (2)", "not a SELECT"),
]

LEGITIMATE: list[tuple[GuardDialect, str]] = [
    (PG, "SELECT * FROM events"),
    (PG, "select id, name from public.events where name = '; DROP TABLE x; --'"),
    (PG, "SELECT 'DELETE FROM events' AS text_about_deleting, \"drop\" FROM events"),
    (PG, "SELECT 1 -- ; DROP TABLE events"),
    (PG, "SELECT 1 /* ; DROP TABLE events */"),
    (PG, "SELECT 1;"),
    (PG, "SELECT e.id, u.name FROM events AS e LEFT JOIN users AS u ON u.id = e.user_id"),
    (PG, "SELECT id, row_number() OVER (PARTITION BY name ORDER BY ts) AS rn FROM events"),
    (PG, "WITH a AS (SELECT id FROM events), b AS (SELECT id FROM a) SELECT * FROM b"),
    (PG, "SELECT props->>'page' AS page, props #>> '{user,id}' AS uid FROM events"),
    (PG, "SELECT date_trunc('hour', ts) AS h, count(*) FROM events GROUP BY 1"),
    (PG, "SELECT id FROM events UNION ALL SELECT id FROM archived_events"),
    (PG, "SELECT * FROM generate_series(1, 10) AS g"),
    (PG, "SELECT * FROM events WHERE ts >= now() - interval '7 days' AND name LIKE 'x%'"),
    (CH, "SELECT * FROM events"),
    (CH, "SELECT arrayJoin(tags) AS tag, count() FROM events GROUP BY tag"),
    (CH, "SELECT JSONExtractString(properties, 'page') AS page FROM events"),
    (CH, "SELECT toStartOfHour(ts) AS h, uniqExact(user_id) FROM events GROUP BY h"),
    (CH, "SELECT * FROM events WHERE ts > now() - INTERVAL 1 DAY ORDER BY ts LIMIT 10"),
    (
        CH,
        "WITH recent AS (SELECT * FROM events WHERE ts > today()) SELECT category, count() FROM recent "
        "GROUP BY category",
    ),
    (CH, "SELECT number FROM numbers(10)"),
    (CH, "SELECT e.*, u.country FROM events AS e INNER JOIN db.users AS u ON u.id = e.user_id"),
    (CH, "SELECT 'url(''http://x'')' AS looks_like_a_call, fileName FROM events"),
    (CH, "SELECT lagInFrame(ts) OVER (ORDER BY ts) AS prev FROM events"),
    (BQ, "SELECT * FROM `proj.ds.events`"),
    (BQ, "SELECT JSON_VALUE(properties, '$.page') AS page FROM ds.events"),
    (BQ, "SELECT TIMESTAMP_TRUNC(ts, HOUR) AS h, COUNT(*) FROM ds.events GROUP BY h"),
    (BQ, "SELECT tag FROM ds.events, UNNEST(tags) AS tag"),
    (BQ, "WITH x AS (SELECT 1 AS a) SELECT a FROM x"),
]


@pytest.mark.parametrize(("dialect", "sql", "fragment"), HOSTILE)
def test_hostile_query_is_refused_naming_what_was_found(
    dialect: GuardDialect, sql: str, fragment: str
) -> None:
    with pytest.raises(UnsafeQuery) as caught:
        check_read_only(sql, dialect)
    assert fragment in caught.value.message
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(("dialect", "sql"), LEGITIMATE)
def test_legitimate_query_is_accepted(dialect: GuardDialect, sql: str) -> None:
    check_read_only(sql, dialect)


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 50
    assert len(LEGITIMATE) >= 20


def test_unsafe_query_is_a_value_error() -> None:
    assert issubclass(UnsafeQuery, ValueError)

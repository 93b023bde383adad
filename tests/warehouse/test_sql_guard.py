"""The read-only guard against a corpus of hostile and legitimate base queries, per dialect."""

from __future__ import annotations

import pytest

from tests.warehouse.sql_guard_corpus import BQ, CH, HOSTILE, LEGITIMATE, PG
from tripl_core.warehouse.errors import UnsafeQuery
from tripl_core.warehouse.sql_guard import GuardDialect, SourceTables, check_read_only

TABLES: dict[GuardDialect, SourceTables] = {
    PG: SourceTables(
        frozenset({("events",), ("sessions",), ("users",), ("Events",), ("analytics", "page_views")}),
        home=("public",), folds_unquoted=True,
    ),
    CH: SourceTables(frozenset({("events",), ("sessions",), ("users",)}), home=("analytics",)),
    BQ: SourceTables(
        frozenset({("events",), ("sessions",), ("events_20240101",), ("events_20240102",)}),
        home=("proj", "ds"), wildcards=True,
    ),
}

# Each attack issue 12 names, refused; every one of these passed the guard this module replaced.
ISSUE_12_ATTACKS: list[tuple[GuardDialect, str]] = [
    (CH, "SELECT * FROM file\u200b('secret_key', 'RawBLOB')"),
    (CH, "SELECT * FROM url\u200b('http://127.0.0.1:8000/', 'RawBLOB')"),
    (CH, "SELECT * FROM executable\u200b('id', 'RawBLOB', 'x String')"),
    (PG, "SELECT U&\"pg_read_file\"('/etc/passwd')"),
    (PG, "SELECT U&\"lo_import\"('/etc/passwd')"),
    (PG, "SELECT U&\"set_config\"('search_path', 'evil', false)"),
    (PG, "SELECT pg_advisory_lock(1)"),
    (PG, "SELECT pg_try_advisory_xact_lock(1)"),
    (PG, "SELECT pg_notify('c', 'x')"),
    (PG, "SELECT pg_replication_origin_create('o')"),
    (PG, "SELECT pg_stat_reset()"),
    (CH, "SELECT * FROM Python('import os')"),
    (CH, "SELECT * FROM merge(REGEXP('.*'))"),
    (CH, "SELECT * FROM system.processes"),
    (CH, "SELECT 1 FROM events UNION ALL SELECT 2 FROM events SETTINGS readonly = 0"),
]


@pytest.mark.parametrize(("dialect", "sql", "fragment"), HOSTILE)
def test_hostile_query_is_refused_naming_what_was_found(dialect: GuardDialect, sql: str, fragment: str) -> None:
    with pytest.raises(UnsafeQuery) as caught:
        check_read_only(sql, dialect)
    assert fragment in caught.value.message
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(("dialect", "sql", "fragment"), HOSTILE)
def test_hostile_query_is_refused_when_the_tables_are_known(dialect: GuardDialect, sql: str, fragment: str) -> None:
    with pytest.raises(UnsafeQuery):
        check_read_only(sql, dialect, TABLES[dialect])


@pytest.mark.parametrize(("dialect", "sql"), LEGITIMATE)
def test_legitimate_query_is_accepted(dialect: GuardDialect, sql: str) -> None:
    check_read_only(sql, dialect)
    check_read_only(sql, dialect, TABLES[dialect])


@pytest.mark.parametrize(("dialect", "sql"), ISSUE_12_ATTACKS)
def test_issue_12_attack_is_refused(dialect: GuardDialect, sql: str) -> None:
    with pytest.raises(UnsafeQuery):
        check_read_only(sql, dialect)


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 150
    assert len(LEGITIMATE) >= 30
    for dialect in (PG, CH, BQ):
        assert sum(1 for d, _, _ in HOSTILE if d == dialect) >= 20
        assert sum(1 for d, _ in LEGITIMATE if d == dialect) >= 10


# -- tables ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dialect", "sql", "refused"),
    [
        (PG, "SELECT * FROM orders", "orders"),
        (PG, "SELECT * FROM other_schema.events", "other_schema.events"),
        (PG, "SELECT * FROM \"events\" JOIN \"EVENTS\" ON TRUE", "EVENTS"),
        (PG, "SELECT * FROM Events", "Events"),  # unquoted folds to events: accepted … see below
        (CH, "SELECT * FROM Events", "Events"),
        (CH, "SELECT * FROM default.events", "default.events"),
        (CH, "SELECT * FROM other.users", "other.users"),
        (BQ, "SELECT * FROM other_ds.events", "other_ds.events"),
        (BQ, "SELECT * FROM `other-proj.ds.events`", "other-proj.ds.events"),
        (BQ, "SELECT * FROM `proj.ds.users_*`", "proj.ds.users_*"),
    ],
)
def test_a_table_outside_the_data_source_is_refused_by_name(dialect: GuardDialect, sql: str, refused: str) -> None:
    if sql == "SELECT * FROM Events" and dialect == PG:
        check_read_only(sql, dialect, TABLES[dialect])  # PostgreSQL reads it as events
        return
    with pytest.raises(UnsafeQuery) as caught:
        check_read_only(sql, dialect, TABLES[dialect])
    assert f"table `{refused}` is not a table of this data source" in caught.value.message


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        # A CTE named like a real table is only visible inside its own WITH.
        (CH, "SELECT * FROM (WITH secrets AS (SELECT 1) SELECT * FROM secrets) AS a, secrets"),
        (PG, "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a"),
        (PG, "SELECT * FROM (WITH pg_user AS (SELECT 1) SELECT 1) AS x, pg_user"),
        (CH, "WITH x AS (SELECT * FROM x) SELECT * FROM x"),
        (CH, "WITH processes AS (SELECT 1) SELECT * FROM system.processes"),
    ],
)
def test_cte_names_do_not_shadow_outside_their_scope(dialect: GuardDialect, sql: str) -> None:
    with pytest.raises(UnsafeQuery):
        check_read_only(sql, dialect, TABLES[dialect])


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        (CH, "WITH secrets AS (SELECT * FROM events) SELECT * FROM secrets"),
        (PG, "WITH a AS (SELECT 1 AS x), b AS (SELECT * FROM a) SELECT * FROM b JOIN a USING (x)"),
        (BQ, "WITH daily AS (SELECT DATE(ts) AS d FROM ds.events) SELECT d FROM daily"),
        (PG, "SELECT * FROM \"Events\""),
        (PG, "SELECT * FROM public.events"),
        (CH, "SELECT * FROM analytics.events"),
        (BQ, "SELECT * FROM proj.ds.events"),
        (BQ, "SELECT * FROM `proj.ds`.events"),
    ],
)
def test_own_tables_and_ctes_are_accepted(dialect: GuardDialect, sql: str) -> None:
    check_read_only(sql, dialect, TABLES[dialect])


def test_a_refusal_names_the_function_and_why() -> None:
    with pytest.raises(UnsafeQuery) as caught:
        check_read_only("SELECT toStartOfHour(ts), file('/etc/passwd') FROM events", CH)
    assert caught.value.message == "function `file` is not allowed (not on the clickhouse allowlist of pure functions)"


def test_unsafe_query_is_a_value_error() -> None:
    assert issubclass(UnsafeQuery, ValueError)


@pytest.mark.parametrize("sql", ["", "   \n\t ", "SELECT FROM WHERE (", "this is not sql"])
def test_what_is_not_sql_is_refused(sql: str) -> None:
    with pytest.raises(UnsafeQuery):
        check_read_only(sql, PG)

"""GoogleSQL: no BigQuery engine runs here, so every statement the dialect builds is parsed by sqlglot's
BigQuery dialect, its parameters are checked against its placeholders, and the parameters the
transport would send are checked for their BigQuery types."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from tripl_core.warehouse import ColumnRef, Interval, JsonRef, TimeWindow, catalog_queries
from tripl_core.warehouse.base import Param, ParamKind, SqlQuery
from tripl_core.warehouse.dialects.bigquery import BigQueryDialect
from tripl_core.warehouse.transports.bigquery import query_parameter

BASE = "SELECT * FROM `proj.ds.events` WHERE name LIKE 'a%'"
START, END = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 15, tzinfo=UTC)
WINDOW = TimeWindow("ts", START, END)
dialect = BigQueryDialect()


def _generated() -> list[tuple[str, SqlQuery]]:
    plan = JsonRef.parse("properties.user.plan")
    queries = [
        ("ping", dialect.ping()),
        ("sample", dialect.sample(BASE, 10)),
        ("distinct", dialect.distinct_counts(BASE, [ColumnRef("category"), plan], WINDOW)),
        ("top column", dialect.top_values(BASE, ColumnRef("category"), 5, None)),
        ("top json", dialect.top_values(BASE, plan, 5, WINDOW)),
        ("json keys", dialect.json_keys(BASE, "properties", None)),
        ("json keys window", dialect.json_keys(BASE, "properties", WINDOW)),
        ("schema", dialect.schema("proj.ds")),
        ("catalog profile", catalog_queries.type_profile_sql(dialect, BASE, ColumnRef("category"), [plan], [
            catalog_queries.ContractProbe("click", plan, catalog_queries.ContractKind.required_null),
            catalog_queries.ContractProbe("click", plan, catalog_queries.ContractKind.regex, pattern="^p"),
            catalog_queries.ContractProbe(None, plan, catalog_queries.ContractKind.range, minimum=0.5, maximum=9.0),
            catalog_queries.ContractProbe("click", plan, catalog_queries.ContractKind.enum, options=("a", "b"))],
            WINDOW, 10)),
        ("catalog grouped", catalog_queries.grouped_sql(dialect, BASE, ColumnRef("category"), [plan], "ts",
                                                [catalog_queries.GroupedField(ColumnRef("u"), 20)], WINDOW, 50_001)),
        ("catalog one pass", catalog_queries.grouped_profile_sql(dialect, BASE, ColumnRef("category"), [plan], "ts",
                                                         [ColumnRef("u"), JsonRef.parse("properties.page")], [
            catalog_queries.ContractProbe("click", plan, catalog_queries.ContractKind.required_null),
            catalog_queries.ContractProbe(None, plan, catalog_queries.ContractKind.range, minimum=0.5, maximum=9.0)],
            WINDOW, 50_001, 101)),
    ]
    for interval in Interval:
        queries.append((f"buckets {interval.value}", dialect.bucket_counts(BASE, "ts", interval, START, END)))
        queries.append(
            (
                f"grouped {interval.value}",
                dialect.bucket_counts(BASE, "ts", interval, START, END, [ColumnRef("c"), plan]),
            )
        )
    return queries


GENERATED = _generated()


@pytest.mark.parametrize(("label", "query"), GENERATED, ids=[label for label, _ in GENERATED])
def test_generated_googlesql_parses(label: str, query: SqlQuery) -> None:
    statements = sqlglot.parse(query.sql, read="bigquery", error_level=ErrorLevel.RAISE)
    assert len(statements) == 1
    assert isinstance(statements[0], exp.Query)


@pytest.mark.parametrize(("label", "query"), GENERATED, ids=[label for label, _ in GENERATED])
def test_every_placeholder_has_a_parameter(label: str, query: SqlQuery) -> None:
    assert set(re.findall(r"@(p\d+)", query.sql)) == set(query.params)


def test_user_values_travel_as_parameters() -> None:
    query = dialect.top_values(BASE, JsonRef("properties", ("it's", "x")), 5, WINDOW)
    assert "it's" not in query.sql
    assert Param('$."it\'s"."x"', ParamKind.STRING) in query.params.values()
    assert Param(START, ParamKind.TIMESTAMP) in query.params.values()


def test_week_buckets_are_monday_anchored() -> None:
    expression = dialect.bucket_expression("ts", Interval.WEEK_1)
    assert "- 345600, 604800) * 604800 + 345600" in expression


def test_identifiers_are_backquoted_and_escaped() -> None:
    assert dialect.quote_identifier("we`ird") == "`we\\`ird`"
    parsed = sqlglot.parse_one(f"SELECT {dialect.quote_identifier('we`ird')} FROM t", read="bigquery")
    assert parsed.selects[0].name == "we`ird"


@pytest.mark.parametrize(
    ("param", "bq_type"),
    [
        (Param("x", ParamKind.STRING), "STRING"),
        (Param(5, ParamKind.INT), "INT64"),
        (Param(START, ParamKind.TIMESTAMP), "TIMESTAMP"),
    ],
)
def test_query_parameters_carry_bigquery_types(param: Param, bq_type: str) -> None:
    converted = query_parameter("p0", param)
    assert converted.to_api_repr()["parameterType"]["type"] == bq_type


def test_array_parameters_are_string_arrays() -> None:
    converted = query_parameter("p0", Param(["a", "b"], ParamKind.STRING_ARRAY))
    assert converted.to_api_repr()["parameterType"] == {"type": "ARRAY", "arrayType": {"type": "STRING"}}

"""ClickHouse reads a JSON path three ways — the per-path expression, the one-tuple-per-row read of
`parsed_source` (metrics, two or more keys of one column) and `catalog_source` (catalog scans) — and the
three must answer the same value for every document, as SEMANTICS' JSON values say (strings unquoted,
other values as minified JSON text, missing and null as NULL), on real chDB."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conformance.fixture_data import json_value
from tripl_core.warehouse import Warehouse, WarehouseConfig, create_warehouse
from tripl_core.warehouse.base import Binder, JsonRef

DOCUMENTS: list[str | None] = [
    '{"a": "text", "b": 1.50, "n": {"k": "v", "m": [1, 2]}}',
    '  {"a": 7, "b": true, "n": {"k": null}}',  # leading whitespace, a JSON null
    '{"a": {"x": 1}, "b": [1, {"y": 2}], "n": "not an object"}',
    '{"a": "caf\\u00e9", "b": "tab\\there", "n": [{"k": "inside an array"}]}',
    '["a", "b"]',  # a root array holds no keys
    "not json at all",
    "",
    None,
    '{"b": null, "n": {}}',
]
PATHS = [("a",), ("b",), ("n", "k"), ("n", "m"), ("missing",)]


def _python_value(doc: str | None, path: tuple[str, ...]) -> str | None:
    try:
        return json_value(doc, path)
    except json.JSONDecodeError:
        return None


@pytest.fixture(scope="module")
def docs_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("json_docs")
    table = pa.table({"id": pa.array(range(len(DOCUMENTS)), pa.int64()), "doc": pa.array(DOCUMENTS, pa.string())})
    pq.write_table(table, folder / "docs.parquet")
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(folder)))
    try:
        yield warehouse
    finally:
        warehouse.close()


def _read(warehouse: Warehouse, how: str) -> dict[tuple[str, ...], list[str | None]]:
    dialect = warehouse.dialect
    bind = Binder(dialect)
    refs = [JsonRef("doc", path) for path in PATHS]
    if how == "per path":
        source, values = dialect.wrap("SELECT * FROM docs"), {}
    elif how == "parsed":
        source, values = dialect.parsed_source("SELECT * FROM docs", refs, bind)
    else:
        source, values = dialect.catalog_source("SELECT * FROM docs", refs, bind)
    columns = [values.get(ref) or dialect.field_expression(ref, bind) for ref in refs]
    rows = warehouse.run(bind.query(f"SELECT {', '.join(columns)} FROM {source} ORDER BY id")).rows
    return {path: [row[i] for row in rows] for i, path in enumerate(PATHS)}


@pytest.mark.parametrize("how", ["per path", "parsed", "catalog"])
def test_every_json_read_answers_the_documented_value(docs_warehouse: Warehouse, how: str) -> None:
    got = _read(docs_warehouse, how)
    expected = {path: [_python_value(doc, path) for doc in DOCUMENTS] for path in PATHS}
    assert got == expected


def test_a_single_key_is_read_without_a_tuple_and_two_keys_with_one() -> None:
    from tripl_core.warehouse.dialects.clickhouse import ClickHouseDialect

    dialect = ClickHouseDialect()
    source, values = dialect.parsed_source("SELECT * FROM docs", [JsonRef("doc", ("a",))], Binder(dialect))
    assert values == {}
    assert "JSONExtract" not in source
    source, values = dialect.parsed_source("SELECT * FROM docs", [JsonRef("doc", ("a",)), JsonRef("doc", ("b",))],
                                           Binder(dialect))
    assert set(values) == {JsonRef("doc", ("a",)), JsonRef("doc", ("b",))}
    assert "JSONExtract" in source

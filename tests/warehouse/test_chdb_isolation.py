"""Two chDB data sources in one process: each base query reads only its own folder's tables."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conformance.fixture_data import generate_events, write_parquet
from tripl_core.warehouse import UnsafeQuery, WarehouseConfig, create_warehouse


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("lake-a"), tmp_path_factory.mktemp("lake-b")
    write_parquet(generate_events(20), first)
    write_parquet(generate_events(30, seed=3), second)
    return first, second


def _database(folder: Path) -> str:
    return "tripl_" + hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:16]


def test_a_data_source_cannot_name_another_data_sources_tables(folders: tuple[Path, Path]) -> None:
    first, second = folders
    mine = create_warehouse(WarehouseConfig(db_type="chdb", path=str(first)))
    other = create_warehouse(WarehouseConfig(db_type="chdb", path=str(second)))
    assert len(other.sample("SELECT * FROM events", 100).rows) == 30  # the other folder's views exist
    assert len(mine.sample("SELECT * FROM events", 100).rows) == 20
    assert mine.own_tables().names == frozenset({("events",), ("sessions",)})
    with pytest.raises(UnsafeQuery, match="is not a table of this data source"):
        mine.sample(f"SELECT * FROM `{_database(second)}`.events", 1)
    with pytest.raises(UnsafeQuery, match="not a table of this data source"):
        mine.sample("SELECT * FROM system.tables", 1)
    with pytest.raises(UnsafeQuery, match="table function `merge`"):
        mine.sample("SELECT * FROM merge(REGEXP('^tripl_'), 'events')", 1)
    with pytest.raises(UnsafeQuery, match="table function `file`"):
        mine.sample(f"SELECT * FROM file('{second}/events.parquet', Parquet)", 1)
    # Its own database, written out, is its own.
    assert len(mine.sample(f"SELECT * FROM `{_database(first)}`.events", 100).rows) == 20


def test_a_table_added_to_the_folder_is_found_on_the_next_check(folders: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    write_parquet(generate_events(10), tmp_path)
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=str(tmp_path)))
    assert len(warehouse.sample("SELECT * FROM events", 100).rows) == 10
    (tmp_path / "events.parquet").rename(tmp_path / "later.parquet")
    assert len(warehouse.sample("SELECT * FROM later", 100).rows) == 10

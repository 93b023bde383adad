"""The embedded engine's processes (chdb_pool): one per data-source folder, bounded, ended when idle,
and a stuck or dead engine answered as a warehouse timeout or failure, never a crash of the caller."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.fixture_data import generate_events, write_parquet
from tripl_core.warehouse import WarehouseConfig, WarehouseError, WarehouseTimeout, create_warehouse
from tripl_core.warehouse.transports import chdb_pool, fs_fence
from tripl_core.warehouse.transports.chdb_engine import database_name
from tripl_core.warehouse.transports.chdb_pool import EnginePool


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folders = []
    for index, size in enumerate((20, 30, 40)):
        folder = tmp_path_factory.mktemp(f"engine-lake-{index}")
        write_parquet(generate_events(size, seed=index), folder)
        folders.append(str(folder.resolve()))
    return folders


@pytest.fixture
def engines() -> Iterator[EnginePool]:
    pool = EnginePool(max_engines=2, idle_seconds=3600)
    yield pool
    pool.close()


# Runs until the engine's own max_execution_time stops it.
ENDLESS = "SELECT count() AS hits FROM numbers(100000000000) WHERE sipHash64(number) = 0"


def _rows(payload: bytes) -> list[list[object]]:
    data: list[list[object]] = json.loads(payload)["data"]
    return data


def _pid(pool: EnginePool, folder: str) -> int:
    return pool._engines[folder].process.pid


def test_each_folder_has_its_own_engine_that_sees_only_its_own_database(engines: EnginePool,
                                                                          lakes: list[str]) -> None:
    first, second, _ = lakes
    assert _rows(engines.run(first, "SELECT count() FROM events", {}, 20)) == [[20]]
    assert _rows(engines.run(second, "SELECT count() FROM events", {}, 20)) == [[30]]
    assert _pid(engines, first) != _pid(engines, second)
    # Even a query the guard would refuse finds no other data source's catalog in this engine.
    databases = {row[0] for row in _rows(engines.run(first, "SELECT name FROM system.databases", {}, 20))}
    assert {name for name in databases if name.startswith("tripl_")} == {database_name(Path(first))}
    limits = Path(f"/proc/{_pid(engines, first)}/limits").read_text()
    cap = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert str(chdb_pool.ADDRESS_SPACE_BYTES) in cap
    # The caller never loaded chDB: it lives in the engines only.
    assert os.getpid() not in {_pid(engines, first), _pid(engines, second)}


def test_the_pool_is_bounded_and_idle_engines_end(lakes: list[str]) -> None:
    pool = EnginePool(max_engines=2, idle_seconds=3600)
    try:
        for folder in lakes:
            pool.run(folder, "SELECT 1", {}, 20)
        assert pool.folders() == sorted(lakes[1:])  # the least recently used engine made room
        ended = pool._engines[lakes[1]].process
        pool.idle_seconds = 0
        pool.end_idle()
        assert pool.folders() == []
        assert ended.poll() is not None
    finally:
        pool.close()


def test_a_stuck_engine_is_a_timeout_and_is_replaced(engines: EnginePool, lakes: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = lakes[0]
    engines.run(folder, "SELECT 1", {}, 20)
    stuck = engines._engines[folder].process
    os.kill(stuck.pid, signal.SIGSTOP)  # alive, but never answers
    monkeypatch.setattr(chdb_pool, "GRACE_SECONDS", 0.5)
    with pytest.raises(WarehouseTimeout, match="no answer within 1 s"):
        engines.run(folder, "SELECT 1", {}, 1)
    assert stuck.poll() is not None  # the stuck engine was ended
    monkeypatch.setattr(chdb_pool, "GRACE_SECONDS", 10.0)
    assert _rows(engines.run(folder, "SELECT count() FROM events", {}, 20)) == [[20]]


def test_an_engine_that_dies_mid_query_is_a_warehouse_error_and_is_replaced(engines: EnginePool,
                                                                           lakes: list[str]) -> None:
    folder = lakes[0]
    engines.run(folder, "SELECT 1", {}, 20)
    pid = _pid(engines, folder)
    outcome: list[BaseException] = []

    def slow() -> None:
        try:
            engines.run(folder, ENDLESS, {}, 60)
        except BaseException as error:  # recorded for the main thread
            outcome.append(error)

    reader = threading.Thread(target=slow)
    reader.start()
    while not engines._engines[folder].busy:
        threading.Event().wait(0.05)
    os.kill(pid, signal.SIGKILL)
    reader.join(60)
    assert len(outcome) == 1
    assert isinstance(outcome[0], WarehouseError)
    assert "process ended during the query" in str(outcome[0])
    assert _rows(engines.run(folder, "SELECT count() FROM events", {}, 20)) == [[20]]
    assert _pid(engines, folder) != pid


def test_the_engines_own_timeout_is_a_warehouse_timeout(engines: EnginePool, lakes: list[str]) -> None:
    with pytest.raises(WarehouseTimeout, match=r"TIMEOUT_EXCEEDED|Timeout exceeded"):
        engines.run(lakes[2], ENDLESS, {}, 1)
    # The same engine answers the next query with its own result only (chDB keeps a failed query's partial
    # output for the next one unless the engine flushes it).
    assert _rows(engines.run(lakes[2], "SELECT count() FROM events", {}, 20)) == [[40]]


def test_the_transport_reads_through_the_engine_process(lakes: list[str]) -> None:
    warehouse = create_warehouse(WarehouseConfig(db_type="chdb", path=lakes[1]))
    try:
        assert len(warehouse.sample("SELECT * FROM events", 100).rows) == 30
    finally:
        warehouse.close()
    assert lakes[1] in chdb_pool.pool().folders()


@pytest.mark.skipif(not fs_fence.abi_version(), reason="the kernel has no Landlock: the engine runs unfenced")
def test_an_engine_reads_nothing_outside_its_folder_whatever_sql_reaches_it(
        lakes: list[str], engines: EnginePool, tmp_path: Path) -> None:
    """Beneath the SQL guard (which refuses file() before it reaches chDB): SQL that does reach the
    engine still cannot read a file beside the data source's folder, nor a system file."""
    secret = tmp_path / "secret_key"
    secret.write_text("not for the warehouse\n")
    for path in (secret, Path("/etc/hostname")):
        with pytest.raises(WarehouseError, match="Permission denied"):
            engines.run(lakes[0], f"SELECT * FROM file('{path}', 'LineAsString')", {}, 30)
    # Its own folder stays readable, through its views and directly.
    answer = json.loads(engines.run(lakes[0], "SELECT count() FROM events", {}, 30))
    assert answer["data"] == [[20]]
    direct = json.loads(engines.run(lakes[0], f"SELECT count() FROM file('{lakes[0]}/events.parquet')", {}, 30))
    assert direct["data"] == [[20]]

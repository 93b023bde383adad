"""A replay counts its chunks in one warehouse pass yet writes, chunk by chunk, exactly what collecting each
chunk alone writes (top N and kept releases decided per chunk: the chunks here straddle the release day, so
the kept releases change between them); a failure in the middle of the pass keeps the chunks written before
it and the previous results of the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.metrics import support as ms
from tests.support.workspace import Workspace
from tripl_core.metrics import counting
from tripl_core.metrics import replay as replay_module
from tripl_core.metrics.collect import collect_metrics
from tripl_core.metrics.models import AppVersionDay, BreakdownDay, MetricDay
from tripl_core.metrics.replay import collect_chunks
from tripl_core.metrics.store import KEYS, DayModel
from tripl_core.security import SecretBox
from tripl_core.settings import Settings

FIRST = ms.START + timedelta(days=ms.RELEASE_DAY - 2)
LAST = ms.START + timedelta(days=ms.RELEASE_DAY + 2)

Stored = dict[tuple[Any, ...], tuple[int, bytes, int]]


@pytest.fixture(scope="module")
def app_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ms.write_lake(tmp_path_factory.mktemp("app_lake"))


def _stored(ws: Workspace, config_id: uuid.UUID) -> Stored:
    """Every day row of the config between FIRST and LAST, keyed by table, series and day."""
    out: Stored = {}
    with ws.db.unit_of_work() as session:
        models: tuple[DayModel, ...] = (MetricDay, BreakdownDay, AppVersionDay)
        for model in models:
            rows: list[Any] = list(session.scalars(select(model).where(model.scan_config_id == config_id)))
            for row in rows:
                day = row.day if row.day.tzinfo else row.day.replace(tzinfo=UTC)
                if FIRST <= day < LAST:
                    key = (model.__tablename__, *(getattr(row, k) for k in KEYS[model]), day)
                    out[key] = (row.step, bytes(row.counts), row.total)
    return out


def _before_release(key: tuple[Any, ...]) -> bool:
    day: datetime = key[-1]
    return day < ms.START + timedelta(days=ms.RELEASE_DAY)


def _each_chunk_then_whole(ws: Workspace, config_id: uuid.UUID, box: SecretBox) -> tuple[Stored, Stored]:
    """What collecting each day alone stores, then what one collection of the four days stores."""
    for day in range(4):
        collect_metrics(ws.db, config_id, FIRST + timedelta(days=day), FIRST + timedelta(days=day + 1), secrets=box,
                        with_drifts=False)
    alone = _stored(ws, config_id)
    collect_metrics(ws.db, config_id, FIRST, LAST, secrets=box, with_drifts=False)
    whole = _stored(ws, config_id)
    versions = {key for key in alone if key[0] == "metric_app_version_days"}
    assert versions != {key for key in whole if key[0] == "metric_app_version_days"}  # kept releases differ
    return alone, whole


def test_one_pass_writes_what_each_chunk_alone_writes(ws: Workspace, app_lake: Path, settings: Settings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    made = ms.metrics_project(ws, app_lake, replay_chunk_interval="1d")
    config_id, box = uuid.UUID(made["scan"]["id"]), SecretBox(settings.resolved_secret_key)
    alone, _ = _each_chunk_then_whole(ws, config_id, box)
    passes: list[int] = []
    real = counting.collection_counts

    def counted(*args: Any, **kwargs: Any) -> Any:
        passes.append(len(kwargs["edges"]) + 1)
        return real(*args, **kwargs)

    monkeypatch.setattr(counting, "collection_counts", counted)
    progress: list[int] = []
    summary = collect_chunks(ws.db, config_id, FIRST, LAST, secrets=box, with_drifts=False,
                             on_chunk=lambda running: progress.append(int(running["chunks_done"])))
    assert passes == [4]  # one warehouse pass for the four chunks
    assert progress == [1, 2, 3, 4]  # still reported chunk by chunk
    assert (summary["chunks"], summary["chunks_done"]) == (4, 4)
    assert _stored(ws, config_id) == alone


def test_failure_in_the_middle_of_a_pass_keeps_the_finished_chunks(ws: Workspace, app_lake: Path,
                                                                    settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    made = ms.metrics_project(ws, app_lake, replay_chunk_interval="1d")
    config_id, box = uuid.UUID(made["scan"]["id"]), SecretBox(settings.resolved_secret_key)
    alone, whole = _each_chunk_then_whole(ws, config_id, box)
    real = replay_module.write_collected
    writes: list[datetime] = []

    def fail_third(*args: Any, **kwargs: Any) -> Any:
        writes.append(args[2].grid.start)
        if len(writes) == 3:
            raise RuntimeError("app database gone")
        return real(*args, **kwargs)

    monkeypatch.setattr(replay_module, "write_collected", fail_third)
    progress: list[int] = []
    with pytest.raises(RuntimeError, match="app database gone"):
        collect_chunks(ws.db, config_id, FIRST, LAST, secrets=box, with_drifts=False,
                       on_chunk=lambda running: progress.append(int(running["chunks_done"])))
    assert progress == [1, 2]
    assert writes == [FIRST + timedelta(days=day) for day in range(3)]
    # the two chunks before the release day are the replay's; the rest keep the whole-window collection's
    expected = {k: v for k, v in alone.items() if _before_release(k)}
    expected.update({k: v for k, v in whole.items() if not _before_release(k)})
    assert _stored(ws, config_id) == expected

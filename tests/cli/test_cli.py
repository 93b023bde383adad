"""The `tripl` console script, run as a user runs it: each command group once as a real process (tests/cli/
support.py), the remaining cases of a command in-process through the same app object."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.support import invoke, run


def test_db_upgrade_creates_the_schema_in_the_state_dir(tmp_path: Path) -> None:
    result = run("db", "upgrade", env={"TRIPL_STATE_DIR": str(tmp_path / "state")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "state" / "tripl.db").exists()
    again = invoke("db", "upgrade", env={"TRIPL_STATE_DIR": str(tmp_path / "state")})  # idempotent
    assert again.returncode == 0, again.stderr


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("db", "api", "up", "anomalies"):
        assert command in result.stdout


def _series_csv(spike_at: int, days: int = 21) -> str:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    out = io.StringIO()
    out.write("timestamp,value\n")
    for i in range(days * 24):
        hour = i % 24
        value = 1000 + 600 * math.sin(2 * math.pi * hour / 24)
        if i == spike_at:
            value *= 3
        out.write(f"{(start + timedelta(hours=i)).isoformat().replace('+00:00', 'Z')},{value:.0f}\n")
    return out.getvalue()


def test_anomalies_detect_reads_stdin_and_flags_the_spike() -> None:
    spike = 20 * 24 + 12
    result = run("anomalies", "detect", "-", "--interval", "1h", stdin=_series_csv(spike))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["timestamp", "value", "expected", "lower", "upper", "z", "anomaly"]
    assert len(rows) == 21 * 24
    flagged = [i for i, row in enumerate(rows) if row["anomaly"] == "true"]
    assert flagged == [spike]
    assert rows[spike]["timestamp"].endswith("Z")


@pytest.mark.parametrize(("content", "message"), [
    ("time,count\n2026-01-01T00:00:00Z,1\n", "missing column"),
    ("timestamp,value\nyesterday,1\n", "line 2"),
])
def test_anomalies_detect_bad_input_exits_2_with_a_message(content: str, message: str) -> None:
    result = invoke("anomalies", "detect", "-", "--interval", "1h", stdin=content)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_anomalies_detect_missing_file(tmp_path: Path) -> None:
    result = invoke("anomalies", "detect", str(tmp_path / "nope.csv"), "--interval", "15m")
    assert result.returncode == 2
    assert "no such file" in result.stderr

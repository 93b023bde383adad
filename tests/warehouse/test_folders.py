"""A chDB data source's folder: every path the OS cannot use is a named problem, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from tripl_core.warehouse.folders import MAX_PATH_CHARS, folder_problem


def test_an_existing_folder_has_no_problem(tmp_path: Path) -> None:
    assert folder_problem(str(tmp_path)) is None


@pytest.mark.parametrize(
    ("suffix", "named"),
    [
        ("/" + "a" * 300, "component of 300 bytes"),
        ("/" + "é" * 200, "component of 400 bytes"),
        ("/x\x00y", "NUL byte"),
        ("/" + "/".join(["abcdefghij"] * 100), f"at most {MAX_PATH_CHARS}"),
        ("/missing", "does not exist"),
    ],
)
def test_a_path_the_server_cannot_use_is_named(tmp_path: Path, suffix: str, named: str) -> None:
    problem = folder_problem(str(tmp_path) + suffix)
    assert problem is not None
    assert named in problem


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "events.parquet"
    file.write_bytes(b"")
    problem = folder_problem(str(file))
    assert problem is not None
    assert "not an existing folder" in problem


def test_an_empty_path_asks_for_one() -> None:
    assert folder_problem("") == "a chdb data source needs `path`: a folder of Parquet files on the server"

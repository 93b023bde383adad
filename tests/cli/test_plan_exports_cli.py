"""`tripl codegen`, `tripl export` and `tripl validate` as CI runs them: `validate` of a broken file as a real
process (exit status, stdout and stderr), the other calls in-process through the same app (tests/cli/
support.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.support import app_env, invoke, run
from tests.codegen.plans import awkward_snapshot
from tests.codegen.support import write_awkward_plan
from tests.support.workspace import Workspace
from tripl_core.codegen.generate import Language, generate
from tripl_core.settings import Settings


def test_codegen_export_and_validate(ws: Workspace, settings: Settings, tmp_path: Path) -> None:
    write_awkward_plan(ws)
    env = app_env(settings)
    generated = invoke("codegen", "awkward", "python", env=env)
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout == generate(awkward_snapshot(), Language.python)
    target = tmp_path / "schema.json"
    exported = invoke("export", "awkward", "-o", str(target), env=env)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(target.read_text()) == ws.viewer.get("/api/v1/projects/awkward/export/json-schema").json()

    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"event": "delete", "properties": {"None": True}}) + "\n\n"
                    + json.dumps({"event": "sign up", "properties": {"user id": "u1", "1st_place": True}}) + "\n")
    passed = invoke("validate", "awkward", str(good), env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "2 payloads, 0 invalid" in passed.stderr

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"event": "delete", "properties": {"None": True}}) + "\nnot json\n"
                   + json.dumps({"event": "sign up", "properties": {"user id": "x", "1st_place": True}}) + "\n")
    failed = run("validate", "awkward", str(bad), env=env)
    assert failed.returncode == 1
    assert f"{bad}:2: wrong_type: not JSON" in failed.stdout
    assert f"{bad}:3: regex_violation: user id" in failed.stdout
    report = json.loads(invoke("validate", "awkward", "-", "--json", env=env, stdin=bad.read_text()).stdout)
    assert (report["valid_count"], report["invalid_count"]) == (1, 2)
    assert invoke("validate", "nope", str(good), env=env).returncode == 2

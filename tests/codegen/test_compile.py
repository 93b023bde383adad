"""The generated code compiles under each language's strict checker, on the demo plan and on a plan
with awkward names; a well-typed usage compiles and an ill-typed one is rejected. The Python and Go
samples also run, and what they send passes payload validation against the same plan."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.codegen import samples, toolchains
from tests.codegen.plans import awkward_snapshot, demo_snapshot
from tripl_core.codegen.generate import Language, generate
from tripl_core.plan.plan_reader import PlanSnapshot
from tripl_core.validation.payloads import PayloadValidator

PLANS = {"demo": demo_snapshot, "awkward": awkward_snapshot}

pytestmark = pytest.mark.slow  # compilers run: started first (tests/conftest.py)


def _plan(name: str) -> PlanSnapshot:
    return PLANS[name]()


def test_typescript_compiles_strict(tmp_path: Path) -> None:
    """Both plans in one compiler run (tsc's start is most of its time): the generated code and the
    well-typed usage compile, and the ill-typed usage is refused in its own file only."""
    tsc = toolchains.tsc()
    head = 'import { track, TrackingClient } from "./tracking";\n'
    stub_client = "const client: TrackingClient = { send: () => undefined };\n"
    files = []
    for plan_name in sorted(PLANS):
        folder = tmp_path / plan_name
        folder.mkdir()
        (folder / "tracking.ts").write_text(generate(_plan(plan_name), Language.typescript))
        good, bad = samples.TYPESCRIPT[plan_name]
        (folder / "good.ts").write_text(head + good)
        (folder / "bad.ts").write_text(head + stub_client + bad + "\n")
        files += [f"{plan_name}/good.ts", f"{plan_name}/bad.ts", f"{plan_name}/tracking.ts"]
    flags = ["--strict", "--noEmit", "--target", "es2020", "--module", "commonjs", "--lib", "es2020,dom"]
    checked = toolchains.run([str(tsc), *flags, *files], tmp_path)
    failing = {line.split("(", 1)[0] for line in checked.stdout.splitlines() if ".ts(" in line}
    assert failing == {f"{plan_name}/bad.ts" for plan_name in PLANS}, checked.stdout + checked.stderr


@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_python_passes_mypy_strict_and_refuses_a_wrong_call(plan_name: str, tmp_path: Path) -> None:
    plan = _plan(plan_name)
    (tmp_path / "tracking.py").write_text(generate(plan, Language.python))
    good, bad = samples.PYTHON[plan_name]
    head = ("from collections.abc import Mapping\n\nfrom tracking import track\n\n"
            "sent: list[dict[str, object]] = []\n\n\n"
            "def send(event: str, properties: Mapping[str, object]) -> None:\n"
            "    sent.append({'event': event, 'properties': dict(properties)})\n\n\n")
    (tmp_path / "good.py").write_text(head + good)
    (tmp_path / "bad.py").write_text(head + bad + "\n")
    # one checker run (its start is most of its time): errors in bad.py only
    mypy = [*toolchains.mypy(), "--strict", "--no-incremental", "--python-version", "3.11"]
    checked = toolchains.run([*mypy, "good.py", "bad.py", "tracking.py"], tmp_path)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    failing = {line.split(":", 1)[0] for line in checked.stdout.splitlines() if ".py:" in line}
    assert failing == {"bad.py"}, checked.stdout
    ran = toolchains.run([sys.executable, "-c", "import json, good; print(json.dumps(good.sent))"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    verdicts = PayloadValidator(plan).check_all(json.loads(ran.stdout))
    assert [v.violations for v in verdicts if not v.valid] == []
    assert len(verdicts) == good.count("track(")


@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_go_builds_and_vets_without_network(plan_name: str, tmp_path: Path) -> None:
    go = toolchains.go()
    plan = _plan(plan_name)
    env = toolchains.go_env(tmp_path)
    module = tmp_path / "app"
    (module / "tracking").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/app\n\ngo 1.19\n")
    (module / "tracking" / "tracking.go").write_text(generate(plan, Language.go))
    good, bad = samples.GO[plan_name]
    main = ('package main\n\nimport (\n\t"encoding/json"\n\t"fmt"\n\n\t"example.com/app/tracking"\n)\n\n'
            "func main() {\n%s\tfor _, e := range events {\n"
            "\t\t_ = tracking.Track(func(name string, body []byte) error {\n"
            "\t\t\tline, _ := json.Marshal(map[string]any{\"event\": name, \"properties\": json.RawMessage(body)})\n"
            "\t\t\tfmt.Println(string(line))\n\t\t\treturn nil\n\t\t}, e)\n\t}\n}\n")
    (module / "cmd").mkdir()
    (module / "cmd" / "main.go").write_text(main % good)
    built = toolchains.run([str(go), "build", "./..."], module, env)
    assert built.returncode == 0, built.stderr
    vetted = toolchains.run([str(go), "vet", "./..."], module, env)
    assert vetted.returncode == 0, vetted.stderr
    ran = toolchains.run([str(go), "run", "./cmd"], module, env)
    assert ran.returncode == 0, ran.stderr
    payloads = [json.loads(line) for line in ran.stdout.splitlines()]
    assert len(payloads) == good.count("tracking.New")
    assert [v.violations for v in PayloadValidator(plan).check_all(payloads) if not v.valid] == []
    (module / "cmd" / "main.go").write_text('package main\n\nimport "example.com/app/tracking"\n\nfunc main() {\n'
                                            + bad + "\n}\n")
    refused = toolchains.run([str(go), "build", "./..."], module, env)
    assert refused.returncode != 0
    assert "cmd/main.go" in refused.stderr, refused.stderr
    assert "tracking.go" not in refused.stderr, refused.stderr


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_output_is_deterministic_and_headed(language: Language, plan_name: str) -> None:
    plan = _plan(plan_name)
    text = generate(plan, language)
    assert text == generate(_plan(plan_name), language)
    head = "\n".join(text.splitlines()[:3]).lower()
    assert "generated, do not edit" in head
    assert f"project: {plan.project_slug}" in head
    assert "branch: main" in head
    assert plan.plan_hash in head

"""The demo warehouse generated in a short-lived process of its own.

Generating 35 days of events (numpy arrays of ~840k rows, then Parquet through pyarrow) takes a few hundred
MiB for a few seconds; done inside the API those pages stay with the API process afterwards (the
allocator keeps them), which is what made Create Demo Project the largest memory step of a long API run.
Here a child process writes the file and hands back what it planted; its memory is returned to the system
when it exits.

    python -m tripl_core.demo.offprocess FOLDER END_ISO   (answers one frame on stdout: ("ok", DemoCases))
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from tripl_core.demo.cases import DemoCases
from tripl_core.warehouse.transports import frames

# Generation takes seconds idle; a loaded machine may take minutes.
TIMEOUT_SECONDS = 600


def generate_in_child(folder: Path, *, end: datetime) -> DemoCases:
    """`generate_demo_warehouse(folder, end=end)`, run in a child process; raises RuntimeError with the
    child's reason when it fails."""
    completed = subprocess.run(
        [sys.executable, "-m", "tripl_core.demo.offprocess", str(folder), end.isoformat()],
        capture_output=True, timeout=TIMEOUT_SECONDS, check=False,
    )
    if completed.returncode != 0 or not completed.stdout:
        reason = completed.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the demo warehouse could not be generated (exit {completed.returncode}): {reason[0]}")
    answer = frames.read(io.BytesIO(completed.stdout))
    if not isinstance(answer, tuple) or answer[0] != "ok" or not isinstance(answer[1], DemoCases):
        raise RuntimeError("the demo warehouse generator answered something unexpected")
    return answer[1]


def main() -> None:
    from tripl_core.demo.warehouse import generate_demo_warehouse

    folder, end = Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the answer
    frames.write(answers, ("ok", generate_demo_warehouse(folder, end=end)))


if __name__ == "__main__":
    main()

"""Wall time of chosen test files on two trees of the repository, measured in the same run.

    .venv/bin/python bench/suite_time.py BASE_TREE [--tree .] [--rounds 1] FILE[:FILE_IN_THIS_TREE] ...

BASE_TREE is another checkout (e.g. `git archive <commit> | tar -x -C /tmp/base`). Each round runs every
file once on each tree, alternating (base, then this tree), serially (`-p no:xdist`), so both trees meet
the same load on a shared machine; the ratio this tree / base is the figure to compare, not the seconds.
`old:new` names a file the base tree holds at `old` and this tree at `new` (tests moved between folders).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def run(tree: Path, test_file: str) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", test_file, "-q", "-p", "no:cacheprovider",
                           "-p", "no:xdist"], cwd=tree, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return seconds, last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", type=Path)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print("| file | base s | this tree s | ratio | outcome (this tree) |\n|---|---:|---:|---:|---|")
    for test_file in args.files:
        base_file, _, tree_file = test_file.partition(":")
        base_total = tree_total = 0.0
        outcome = ""
        for _ in range(args.rounds):
            seconds, _ = run(args.base.resolve(), base_file)
            base_total += seconds
            seconds, outcome = run(args.tree.resolve(), tree_file or base_file)
            tree_total += seconds
        print(f"| `{test_file}` | {base_total / args.rounds:.1f} | {tree_total / args.rounds:.1f} | "
              f"{tree_total / base_total:.2f} | {outcome} |", flush=True)


if __name__ == "__main__":
    main()

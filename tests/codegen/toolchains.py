"""The compilers the codegen tests run, found or installed once into a cache directory, else skipped
with a reason. `./dev.sh test` installs them first (golang-go from Debian, typescript from npm)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TYPESCRIPT_VERSION = "5.6.3"  # pinned: a new tsc may judge the same code differently


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tripl-tests"


def tsc() -> Path:
    """`tsc` of the pinned TypeScript: TRIPL_TSC, else the cache, else installed there with npm."""
    if os.environ.get("TRIPL_TSC"):
        return Path(os.environ["TRIPL_TSC"])
    prefix = cache_dir() / f"typescript-{TYPESCRIPT_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "tsc"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("TypeScript compile test needs node and npm (apt-get install nodejs npm); ./dev.sh test "
                    "installs them")
    prefix.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent",
                           f"typescript@{TYPESCRIPT_VERSION}"], capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not binary.exists():
        pytest.skip(f"could not install typescript@{TYPESCRIPT_VERSION} with npm: {done.stderr[-500:]}")
    return binary


def go() -> Path:
    found = shutil.which("go") or next((str(p) for p in sorted(Path("/usr/lib").glob("go-*/bin/go"))), None)
    if found is None:
        pytest.skip("Go compile test needs the Go toolchain (apt-get install golang-go); ./dev.sh test installs it")
    return Path(found)


def mypy() -> list[str]:
    return [sys.executable, "-m", "mypy"]


def go_env(tmp: Path) -> dict[str, str]:
    """No network: the module has no dependencies, the proxy is off, caches live in the test's tmp."""
    return {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOCACHE": str(tmp / "gocache"),
            "GOPATH": str(tmp / "gopath"), "GO111MODULE": "on", "CGO_ENABLED": "0"}


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

#!/usr/bin/env bash
# The README's two commands:
#   ./dev.sh up     set up from nothing (virtual environment, install, migrations) and run tripl
#   ./dev.sh test   run the whole test suite (SQLite and a PostgreSQL server the tests start)
set -euo pipefail
cd "$(dirname "$0")"

VENV=${TRIPL_VENV:-.venv}
PY=${PYTHON:-python3}

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

apt_install() {
  command -v apt-get >/dev/null || { echo "please install: $*" >&2; exit 1; }
  need_root apt-get update -qq && need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

setup() {
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "tripl needs Python 3.11 or newer ($PY is $("$PY" --version))" >&2; exit 1; }
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install "python3-venv" || apt_install "python$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
      "$PY" -m venv "$VENV"
    fi
  fi
  # Reinstall only when the dependency list changed since the last install.
  local stamp="$VENV/.tripl-installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
    touch "$stamp"
  fi
}

ensure_postgres_binaries() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null \
    || [ -n "${TRIPL_TEST_POSTGRES_URL:-}" ] || apt_install postgresql
}

# The codegen compile tests (tests/codegen) check generated code with Go (Debian's golang-go) and a pinned
# TypeScript (npm, into a cache directory); keep TS_VERSION equal to tests/codegen/toolchains.py. Without
# them those tests skip, naming what is missing.
TS_VERSION=5.6.3
ensure_codegen_toolchains() {
  command -v go >/dev/null || apt_install golang-go >/dev/null \
    || echo "golang-go could not be installed: the Go compile tests will skip" >&2
  local prefix="${XDG_CACHE_HOME:-$HOME/.cache}/tripl-tests/typescript-$TS_VERSION"
  if [ ! -x "$prefix/node_modules/.bin/tsc" ]; then
    command -v npm >/dev/null || apt_install nodejs npm >/dev/null || true
    if command -v npm >/dev/null; then
      npm install --prefix "$prefix" --no-audit --no-fund --silent "typescript@$TS_VERSION" >/dev/null 2>&1 \
        || echo "typescript@$TS_VERSION could not be installed: the TypeScript compile tests will skip" >&2
    fi
  fi
  if [ -x "$prefix/node_modules/.bin/tsc" ]; then export TRIPL_TSC="$prefix/node_modules/.bin/tsc"; fi
}

case "${1:-}" in
  up)
    shift
    setup
    "$VENV/bin/tripl" db upgrade
    exec "$VENV/bin/tripl" up "$@"
    ;;
  test)
    shift
    setup
    ensure_postgres_binaries
    ensure_codegen_toolchains
    # Python keeps compiled bytecode (in __pycache__, ignored by git) even where the environment says not
    # to write it: the run starts hundreds of Python processes (xdist workers, `tripl` commands, the stacks'
    # servers and Dagster runs), and each would compile every tripl module and rewritten test module again
    # (~1.2 s of CPU for the pipelines' definitions alone). Not PYTHONPYCACHEPREFIX: with it Python ignores
    # the bytecode pip compiled for the installed libraries and compiles them all again.
    unset PYTHONDONTWRITEBYTECODE
    # One worker more than there are cores (pytest-xdist) unless the caller chose the count: the end-to-end
    # and CLI tests spend much of their time waiting on child processes, which the extra worker fills.
    # Whole modules go to one worker (their module fixtures and seeded databases are built once), in the
    # order tests/conftest.py gives: modules with slow tests first, then the rest in collection order.
    case " $* " in *" -n "*|*" -n="*|*" --numprocesses"*) ;; *) set -- -n "$(( $(nproc) + 1 ))" "$@" ;; esac
    case " $* " in *" --dist"*) ;; *) set -- --dist loadscope --no-loadscope-reorder "$@" ;; esac
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: ./dev.sh up [tripl up options] | ./dev.sh test [pytest options]" >&2
    exit 2
    ;;
esac

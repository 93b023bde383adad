#!/usr/bin/env bash
# Creates .venv-bq: a virtual environment of its own for the local BigQuery emulator (bqemulator), which
# pins DuckDB and sqlglot versions the main environment does not use. Idempotent: when the environment
# already holds exactly these pins it exits at once.
#
# bqemulator runs `INSTALL spatial; LOAD spatial` at start-up, which would download DuckDB's spatial
# extension. The duckdb-extension-spatial wheel ships that file instead; it is installed into
# .venv-bq/duckdb-home/.duckdb/extensions/, and the emulator is started with HOME=.venv-bq/duckdb-home so
# DuckDB finds it there and never reaches for the network.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=${TRIPL_BQ_VENV:-.venv-bq}
PY=${PYTHON:-python3}
# The extension wheel's version must equal DuckDB's; bqemulator 1.4.0 needs sqlglot >=30.9,<30.12 and
# numpy for its built-in UDFs (it does not declare it).
PINS=(
  bqemulator==1.4.0
  duckdb==1.5.5
  duckdb-extension-spatial==1.5.5
  sqlglot==30.11.0
  numpy==2.4.6
  fastapi==0.165.0
  uvicorn==0.54.0
)
STAMP="$VENV/.tripl-bq-ready"
WANT="${PINS[*]}"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$VENV/bin/bqemulator" ]; then
  exit 0
fi

mkdir -p "$VENV"
exec 9>"$VENV/.tripl-bq-setup.lock"
flock 9
# Another run may have finished while this one waited for the lock.
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$VENV/bin/bqemulator" ]; then
  exit 0
fi

"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "bqemulator needs Python 3.11 or newer ($PY is $("$PY" --version))" >&2; exit 1; }
rm -f "$STAMP"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"

DUCKDB_HOME="$VENV/duckdb-home"
mkdir -p "$DUCKDB_HOME"
HOME="$PWD/$DUCKDB_HOME" "$VENV/bin/python" - <<'EOF'
import pathlib

import duckdb
import duckdb_extension_spatial

version = duckdb.__version__
shipped = pathlib.Path(duckdb_extension_spatial.__file__).parent / "extensions" / f"v{version}" / "spatial.duckdb_extension"
if not shipped.is_file():
    raise SystemExit(f"duckdb-extension-spatial holds no extension for DuckDB {version} at {shipped}")
connection = duckdb.connect()
connection.execute(f"INSTALL '{shipped}'")
# What bqemulator does at start-up, offline: it must find the installed copy.
connection = duckdb.connect()
connection.execute("INSTALL spatial")
connection.execute("LOAD spatial")
assert connection.execute("SELECT ST_AsText(ST_Point(1, 2))").fetchone() == ("POINT (1 2)",)
EOF
echo "$WANT" > "$STAMP"

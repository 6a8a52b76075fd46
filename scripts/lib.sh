# Sourced by the scripts in this folder (bash): sets MEVCLI and PYTHON, or exits 2 with one error line.
#
# MEVCLI: $MEVCLI, else .venv/bin/mevcli of this checkout (scripts/setup.sh makes it), else the one on PATH.
# PYTHON: $PYTHON, else the python next to that mevcli (its virtualenv's), else python3.

if [ -z "${MEVCLI:-}" ]; then
  MEVCLI=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/mevcli
  [ -x "$MEVCLI" ] || MEVCLI=mevcli
fi
if ! command -v "$MEVCLI" >/dev/null 2>&1; then
  echo "Error: mevcli not found: run scripts/setup.sh, or set MEVCLI to its path" >&2
  exit 2
fi
if [ -z "${PYTHON:-}" ]; then
  mevcli_path=$(command -v "$MEVCLI" || true)
  if [ -n "$mevcli_path" ] && [ -x "$(dirname "$mevcli_path")/python" ]; then
    PYTHON="$(dirname "$mevcli_path")/python"
  else
    PYTHON=python3
  fi
fi

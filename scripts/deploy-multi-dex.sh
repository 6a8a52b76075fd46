#!/usr/bin/env bash
# Deploy the flash-loan executor (ArbExecutor: Balancer, Aave V3 and Uniswap V3 flash loans) on several
# chains with `mevcli deploy balancer --json`, check the code is on chain, print a summary table.
#
#   scripts/deploy-multi-dex.sh [--broadcast] [--config FILE] [--keystore FILE | --account NAME]
#                               [--password-file FILE] [--owner ADDR] [--executor ADDR] [CHAIN...]
#
# Chains: the arguments, else $MEVCLI_DEPLOY_CHAINS (comma/space list), else every [chains.NAME] section of
# the config (--config, $MEVCLI_CONFIG or ./mevcli.toml). Each chain's RPC URL: $ETH_RPC_URL_<NAME>
# (upper case, `-` as `_`, e.g. ETH_RPC_URL_ARBITRUM), else `rpc_url` in [chains.NAME]. The section may set
# `chain = "arbitrum"` when NAME is not a preset name. `devnet` needs no URL: without one it is mevcli's
# own devnet (the one `mevcli devnet up` runs for its cache dir, started if it is not up). URLs go to
# mevcli through its environment, never on a command line, and are never printed. Dry run unless
# --broadcast. Keys only through a keystore (--keystore/--account with --password-file, or $ETH_KEYSTORE,
# which mevcli reads itself). mevcli: $MEVCLI, else this checkout's .venv/bin/mevcli, else PATH's.
# Exit status: 0 if every chain succeeded, 1 if any failed, 2 on bad usage.
set -euo pipefail

# MEVCLI and PYTHON (scripts/lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

config=${MEVCLI_CONFIG:-}
[ -z "$config" ] && [ -f mevcli.toml ] && config=mevcli.toml
broadcast=0
pass=()
chains=()
while [ $# -gt 0 ]; do
  case "$1" in
    --broadcast) broadcast=1 ;;
    --config) [ $# -ge 2 ] || usage; config=$2; shift ;;
    --keystore|--account|--password-file|--owner|--executor)
      [ $# -ge 2 ] || usage; pass+=("$1" "$2"); shift ;;
    -h|--help) usage ;;
    -*) printf 'Error: unknown option %s\n' "$1" >&2; usage ;;
    *) chains+=("$1") ;;
  esac
  shift
done
[ "$broadcast" -eq 1 ] && pass+=(--broadcast)

# [chains.NAME] sections of the config: `names`, or one section's key (`get NAME KEY`).
chain_config() {
  [ -n "$config" ] || return 0
  "$PYTHON" -c '
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    chains = tomllib.load(f).get("chains", {})
if sys.argv[2] == "names":
    print(" ".join(chains))
else:
    print(chains.get(sys.argv[3], {}).get(sys.argv[4], ""))
' "$config" "$@"
}

listed=${MEVCLI_DEPLOY_CHAINS:-}
if [ ${#chains[@]} -eq 0 ]; then
  read -r -a chains <<< "${listed//,/ }"
fi
if [ ${#chains[@]} -eq 0 ]; then
  read -r -a chains <<< "$(chain_config names)"
fi
if [ ${#chains[@]} -eq 0 ]; then
  printf 'Error: no chains: pass names, set MEVCLI_DEPLOY_CHAINS or add [chains.NAME] to the config\n' >&2
  exit 2
fi

# One field of the JSON mevcli printed (stdin); "" for null or absent.
field() {
  "$PYTHON" -c '
import json, sys
value = json.load(sys.stdin).get(sys.argv[1])
print("" if value is None else str(value).lower() if isinstance(value, bool) else value)
' "$1"
}

# The last line mevcli wrote on stderr, its URLs redacted by mevcli's own rule (mevcli/redact.py: scheme,
# host and port kept, credentials dropped); blanked out entirely if that Python cannot run it.
last_error() {
  local line
  line=$(tail -n 1 "$errfile")
  printf '%s\n' "$line" | "$PYTHON" -m mevcli.redact 2>/dev/null \
    || printf '%s\n' "$line" | sed -E 's#[A-Za-z][A-Za-z0-9+.-]*://[^ ]*#<rpc>#g'
}

# mevcli against one RPC URL (through the environment), or with none: mevcli's own devnet.
mevcli_on() {
  local url=$1
  shift
  if [ -n "$url" ]; then
    ETH_RPC_URL=$url "$MEVCLI" "$@"
  else
    env -u ETH_RPC_URL "$MEVCLI" "$@"
  fi
}

errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
rows=()
failed=0
for chain in "${chains[@]}"; do
  var="ETH_RPC_URL_$(printf '%s' "$chain" | tr '[:lower:]-' '[:upper:]_')"
  rpc=${!var:-}
  [ -n "$rpc" ] || rpc=$(chain_config get "$chain" rpc_url)
  preset=$(chain_config get "$chain" chain)
  preset=${preset:-$chain}
  if [ -z "$rpc" ] && [ "$preset" != devnet ]; then
    rows+=("$chain|failed|-|-|no RPC URL (set $var or [chains.$chain] rpc_url)")
    failed=1
    continue
  fi
  if ! out=$(mevcli_on "$rpc" --json --chain "$preset" deploy balancer "${pass[@]}" 2>"$errfile"); then
    rows+=("$chain|failed|-|-|$(last_error)")
    failed=1
    continue
  fi
  address=$(field address <<< "$out")
  gas=$(field gas_estimate <<< "$out")
  if [ "$(field existing <<< "$out")" = "true" ]; then
    # mevcli reports an existing deployment only when the recorded code hash is still on chain.
    rows+=("$chain|existing|$address|-|code on chain")
  elif [ -z "$address" ]; then
    rows+=("$chain|planned|-|$gas|dry run: owner $(field owner <<< "$out"), pass --broadcast to deploy")
  else
    # Deployed: ask again; mevcli must now find the executor's code at the recorded address.
    check=$(mevcli_on "$rpc" --json --chain "$preset" deploy balancer 2>"$errfile" || true)
    if [ -n "$check" ] && [ "$(field existing <<< "$check")" = "true" ] \
      && [ "$(field address <<< "$check")" = "$address" ]; then
      rows+=("$chain|deployed|$address|$(field gas_used <<< "$out")|tx $(field tx_hash <<< "$out")")
    else
      rows+=("$chain|failed|$address|-|no code at the deployed address")
      failed=1
    fi
  fi
done

printf '%-12s %-9s %-42s %-10s %s\n' CHAIN STATUS ADDRESS GAS DETAIL
for row in "${rows[@]}"; do
  IFS='|' read -r c s a g d <<< "$row"
  printf '%-12s %-9s %-42s %-10s %s\n' "$c" "$s" "$a" "$g" "$d"
done
exit "$failed"

#!/usr/bin/env bash
# A terminal dashboard: `mevcli status --json` every N seconds, formatted without jq.
#
#   scripts/dashboard.sh [-n SECONDS] [--once] [-- MEVCLI_GLOBAL_OPTIONS...]
#
# Global options after `--` go to mevcli (e.g. `-- --chain arbitrum --cache-dir /var/cache/mevcli`);
# the environment (ETH_RPC_URL, MEVCLI_CACHE_DIR, ...) works as for mevcli. Ctrl-C stops. mevcli:
# $MEVCLI, else this checkout's .venv/bin/mevcli, else PATH's.
set -euo pipefail

# MEVCLI and PYTHON (scripts/lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

interval=5
once=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--interval) [ $# -ge 2 ] || { echo "Error: $1 needs a value" >&2; exit 2; }; interval=$2; shift ;;
    --once) once=1 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) echo "Error: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# Formats the status JSON (stdin) as a few aligned lines.
read -r -d '' RENDER <<'PY' || true
import json, sys, time

data = json.load(sys.stdin)
node, cache = data['node'], data.get('cache') or {}
scan, execs = data.get('last_scan'), data.get('executions') or {}


def ago(seconds):
    return '-' if seconds is None else f'{seconds}s ago' if seconds < 120 else f'{seconds // 60}m ago'


print(f"mevcli status  {time.strftime('%Y-%m-%d %H:%M:%S')}")
if node['reachable']:
    print(f"  node        {node['rpc_url']}  chain {node['chain_id']}  head {node['head_block']}"
          f" ({ago(node.get('head_age_s'))})")
else:
    print(f"  node        DOWN: {node.get('error', 'unreachable')}")
rate = cache.get('hit_rate')
rate_text = '-' if rate is None else f'{rate:.1%}'
print(f"  cache       {cache.get('entries', 0)} pools, hit rate {rate_text}, last block {cache.get('last_block')}")
if scan:
    best = ', '.join(f"{k} {v['net_profit']}" for k, v in scan['best_net_profit'].items()) or 'none'
    print(f"  last scan   {ago(scan.get('age_s'))} at block {scan['block']}: {scan['opportunities']}"
          f" opportunities; best net profit (base units): {best}")
else:
    print('  last scan   none recorded')
print(f"  executions  sent {execs.get('sent', 0)} (succeeded {execs.get('succeeded', 0)},"
      f" reverted {execs.get('reverted', 0)}), refused {execs.get('refused', 0)},"
      f" failed {execs.get('failed', 0)}")
PY
render() { "$PYTHON" -c "$RENDER"; }

while true; do
  # status exits 1 when the node is down but still prints its JSON: show it either way.
  out=$("$MEVCLI" "$@" --quiet status --json || true)
  [ "$once" -eq 1 ] || printf '\033[H\033[2J'
  if [ -n "$out" ]; then
    render <<< "$out"
  else
    echo "mevcli status printed nothing (see the error above)"
  fi
  [ "$once" -eq 1 ] && break
  sleep "$interval"
done

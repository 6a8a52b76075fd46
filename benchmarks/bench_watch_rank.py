"""The ranking side of `watch`: the incremental finder's CPU per block on recorded devnet blocks.

    .venv/bin/python benchmarks/bench_watch_rank.py record --cache-dir /tmp/x --blocks 12 --out blocks.pkl
    .venv/bin/python benchmarks/bench_watch_rank.py replay blocks.pkl --repeat 3

`record` runs `mevcli devnet up [--extra-pools N]` in `--cache-dir` (reused when it runs there), makes
`--blocks` blocks of `--swaps` seeded swaps (`bench_watch.Trader`) and follows them with a `Watcher`
ranking incrementally; every `IncrementalFinder.update_top` call's input (pool states, lenders, gas price)
and the pools it was told changed are pickled to `--out`, the first (a rebuild) included.

`replay` feeds those inputs to a fresh `IncrementalFinder` in order (the first rebuilds, untimed), and
reports process CPU time of `update_kept` (the whole ranking; `update` on a checkout from before it) per
block and per changed pool (best of `--repeat` runs per block), with the
cycles listed and sized; each block's ranking is checked against `find_opportunities` on the same input
(`MISMATCH` and exit status 1 on a difference). Pickles hold only pool states and plain data, so one
recording replays against another checkout (PYTHONPATH at it) for before/after figures.

`replay --top N` times what `watch --top N` calls instead: `update_top` (the head of the ranking, ready
once no route left to size can enter it) and then `finish` (the rest, sized after the head's line), next
to `update_kept` on the same blocks; the head must be the whole ranking's head and `finish` the whole
ranking.
"""

from __future__ import annotations

import argparse
import copyreg
import gc
import json
import pickle
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mevcli.arbitrage.finder import find_opportunities
from mevcli.arbitrage.incremental import IncrementalFinder


# V3 states keep their tick maps as read-only views, which pickle refuses: stored as plain dicts
def _view(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


copyreg.pickle(MappingProxyType, lambda view: (_view, (dict(view),)))


def record(args: argparse.Namespace) -> None:
    from bench_watch import Trader, _clean_env, devnet_up
    from web3 import Web3
    from web3.providers.rpc import HTTPProvider

    from mevcli.arbitrage.watcher import LiveRanker, Watcher
    from mevcli.config import load_settings
    from mevcli.context import AppContext

    info = devnet_up(args.cache_dir, args.extra_pools)
    manifest = json.loads(Path(info["manifest"]).read_text())
    w3 = Web3(HTTPProvider(info["rpc_url"], request_kwargs={"timeout": 120}))
    trader = Trader(w3, manifest, args.seed)
    env = {**_clean_env(), "ETH_RPC_URL": info["rpc_url"], "MEVCLI_MANIFEST": info["manifest"]}
    recorded: list[tuple[object, list[str] | None]] = []
    # what LiveScan calls: `update_top`, on a checkout from before it `update_kept`, before that `update`
    name = next(m for m in ("update_top", "update_kept", "update") if hasattr(IncrementalFinder, m))
    update = getattr(IncrementalFinder, name)

    def recording(self, inp, changed, *top):  # type: ignore[no-untyped-def]
        # the watcher updates one states mapping in place, head after head: keep this head's copy
        recorded.append((replace(inp, states=dict(inp.states)), None if changed is None else sorted(changed)))
        return update(self, inp, changed, *top)

    setattr(IncrementalFinder, name, recording)
    with tempfile.TemporaryDirectory(prefix="bench-watch-rank-") as work:
        ctx = AppContext(load_settings({}, env={**env, "MEVCLI_CACHE_DIR": work}))
        ranker = LiveRanker(ctx, 5)
        watcher = Watcher(ctx, ctx.reserve_cache, ranker)
        watcher.process()
        for _ in range(args.blocks):
            watcher.process(trader.block(args.swaps))
        ranker.close()  # the last ranking is saved before its directory goes
    args.out.write_bytes(pickle.dumps(recorded))
    print(f"{len(recorded)} finder inputs ({len(manifest['pools'])} pools) written to {args.out}")


def replay(args: argparse.Namespace) -> None:
    recorded = pickle.loads(args.file.read_bytes())
    if args.top is not None:
        return replay_top(recorded, args.top, args.repeat)
    best: dict[int, float] = {}
    listed: dict[int, tuple[int, int, int]] = {}
    agreed = True
    for run in range(args.repeat):
        finder = IncrementalFinder()
        # what `watch` calls: the ranking as kept (it re-dates only the few it shows); a checkout from
        # before `update_kept` re-dates every opportunity in `update`
        update = getattr(finder, "update_kept", finder.update)
        for i, (inp, changed) in enumerate(recorded):
            gc.collect()
            started = time.process_time()
            ranked = update(inp, changed)
            spent = time.process_time() - started
            ranked = [replace(o, block=inp.block) for o in ranked]
            if i == 0:
                continue
            best[i] = min(best.get(i, spent), spent)
            last = finder.last
            listed[i] = (last.pools_changed, last.routes_listed, last.routes_evaluated)
            if run == 0 and ranked != find_opportunities(inp):
                agreed = False
                print(f"  MISMATCH at block {inp.block}")
    per_block = [best[i] * 1000 for i in sorted(best)]
    per_pool = [best[i] * 1000 / max(listed[i][0], 1) for i in sorted(best)]
    for i in sorted(best):
        pools, routes, sized = listed[i]
        print(
            f"  block {i:2}: {pools} pools changed, {routes} cycles listed, {sized} sized, "
            f"{best[i] * 1000:7.2f} ms"
        )
    print(
        f"finder CPU per block over {len(best)} blocks (best of {args.repeat}): median "
        f"{statistics.median(per_block):.2f} ms, max {max(per_block):.2f} ms; per changed pool median "
        f"{statistics.median(per_pool):.2f} ms; cycles sized {sum(v[2] for v in listed.values())}"
    )
    if not agreed:
        sys.exit(1)


def replay_top(recorded: list, top: int, repeat: int) -> None:
    """`update_top` (what `watch --top N` calls) then `finish`: CPU of each, and of `update_kept` on a
    second finder for the same blocks; the head must be the full ranking's, entry for entry."""
    best: dict[int, tuple[float, float, float]] = {}
    deferred: dict[int, int] = {}
    agreed = True
    for run in range(repeat):
        kept_finder, top_finder = IncrementalFinder(), IncrementalFinder()
        for i, (inp, changed) in enumerate(recorded):
            gc.collect()
            started = time.process_time()
            full = kept_finder.update_kept(inp, changed)
            kept = time.process_time() - started
            started = time.process_time()
            head = top_finder.update_top(inp, changed, top)
            ready = time.process_time() - started
            deferred[i] = top_finder.last.deferred
            started = time.process_time()
            rest = top_finder.finish()
            finish = time.process_time() - started
            if run == 0 and (head != full[:top] or rest != full):
                agreed = False
                print(f"  MISMATCH at block {inp.block}")
            if i:
                was = best.get(i, (kept, ready, finish))
                best[i] = (min(was[0], kept), min(was[1], ready), min(was[2], finish))
    for i, (kept, ready, finish) in sorted(best.items()):
        print(
            f"  block {i:2}: whole ranking {kept * 1000:6.2f} ms; top {top} ready {ready * 1000:6.2f} ms, "
            f"the rest after it {finish * 1000:6.2f} ms ({deferred[i]} routes)"
        )
    columns = list(zip(*(best[i] for i in sorted(best)), strict=True))
    medians = [statistics.median(c) * 1000 for c in columns]
    print(
        f"finder CPU per block over {len(best)} blocks (best of {repeat}), median: whole ranking "
        f"{medians[0]:.2f} ms, top {top} ready {medians[1]:.2f} ms, the rest {medians[2]:.2f} ms"
    )
    if not agreed:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record")
    rec.add_argument("--cache-dir", type=Path, required=True, help="where the devnet runs (reused)")
    rec.add_argument("--extra-pools", type=int, default=0)
    rec.add_argument("--blocks", type=int, default=12)
    rec.add_argument("--swaps", type=int, default=3)
    rec.add_argument("--seed", type=int, default=7)
    rec.add_argument("--out", type=Path, required=True)
    rep = commands.add_parser("replay")
    rep.add_argument("file", type=Path)
    rep.add_argument("--repeat", type=int, default=3)
    rep.add_argument("--top", type=int, default=None, help="time `update_top` (the head first) and `finish`")
    args = parser.parse_args()
    record(args) if args.command == "record" else replay(args)


if __name__ == "__main__":
    import bench_watch_rank  # pickles name its `_view` by the module's name, not `__main__`

    bench_watch_rank.main()

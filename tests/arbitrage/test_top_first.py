"""`IncrementalFinder.update_top` then `certain` / `finish`, cut short by Ctrl-C (a KeyboardInterrupt
raised as the finder calls in, where the signal would land): asked again, they answer what they would
have, the full finder's ranking (its head, or all of it). `watch` asks again when the head it showed
settles after Ctrl-C (`LiveScan.close`)."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import CodeType

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_scan
from test_incremental_sequences import _moved

from mevcli.arbitrage.finder import FinderInput, _Scan, find_opportunities
from mevcli.arbitrage.incremental import IncrementalFinder
from mevcli.arbitrage.profit_bound import hop_ceiling
from mevcli.arbitrage.ranking import KeptRanking, at_block


def _market(seed: int) -> FinderInput:
    """A seeded market mispriced enough for many opportunities."""
    rng = random.Random(seed)
    market = bench_scan.build_market(160, seed=seed)
    states = dict(market.states)
    for pool in rng.sample(sorted(states), 40):
        states[pool] = _moved(states[pool], rng, 0.04)
    return replace(bench_scan.finder_input(market, 3), states=states)


@contextmanager
def _ctrl_c_at(code: CodeType, nth: int) -> Iterator[list[int]]:
    """Raise KeyboardInterrupt as `code` is called for the `nth` time (the count is yielded)."""
    calls = [0]

    def trace(frame, event, _arg) -> None:  # type: ignore[no-untyped-def]
        if event == "call" and frame.f_code is code:
            calls[0] += 1
            if calls[0] == nth:
                raise KeyboardInterrupt
        return None

    sys.settrace(trace)
    try:
        yield calls
    finally:
        sys.settrace(None)


def _interrupted(ask: Callable[[], list], code: CodeType, nth: int) -> bool:
    """Whether `ask()` was cut short at the `nth` call of `code`."""
    with _ctrl_c_at(code, nth):
        try:
            ask()
        except KeyboardInterrupt:
            return True
    return False


def _dated(ranked: list, block: int) -> list:
    return [at_block(o, block) for o in ranked]


def _ranked_top(seed: int) -> tuple[FinderInput, list, IncrementalFinder]:
    """The market, the full finder's ranking, and a finder that ranked its top 1 from scratch (most
    routes left for later)."""
    inp = _market(seed)
    finder = IncrementalFinder()
    head = finder.update_top(inp, None, 1)
    full = find_opportunities(inp)
    assert len(full) > 5 and len(finder.pending) > 5 and _dated(head, inp.block) == full[:1]
    return inp, full, finder


@pytest.mark.parametrize("seed", [3, 4])
def test_a_finish_cut_short_while_sizing_finishes_when_asked_again(seed):
    inp, full, finder = _ranked_top(seed)
    left = len(finder.pending)
    cuts = 0
    while _interrupted(finder.finish, _Scan.size.__code__, 2):  # one route sized, the next cut short
        cuts += 1
    assert cuts == left - 1
    assert _dated(finder.finish(), inp.block) == full
    assert not finder.pending


@pytest.mark.parametrize("seed", [3, 4])
def test_a_finish_cut_short_once_all_is_sized_finishes_when_asked_again(seed):
    inp, full, finder = _ranked_top(seed)
    assert _interrupted(finder.finish, KeptRanking.ranked.__code__, 1)
    assert _dated(finder.finish(), inp.block) == full


@pytest.mark.parametrize("seed", [3, 4])
def test_a_head_cut_short_while_sizing_is_the_full_rankings_when_asked_again(seed):
    inp, full, finder = _ranked_top(seed)
    for top in (2, 4, 8):
        assert _interrupted(lambda top=top: finder.certain(top), _Scan.size.__code__, 1)
        assert _dated(finder.certain(top), inp.block) == full[:top]
    assert _dated(finder.finish(), inp.block) == full


@pytest.mark.parametrize("seed", [3, 4])
def test_a_head_cut_short_while_bounding_leaves_nothing_to_the_rebuild(seed):
    """An update cut short while the routes left are bounded (by Ctrl-C here; `watch` outlives any
    error but that one): the next update, a rebuild as `watch` asks after a failed ranking, ranks that
    block's pools alone, here without a pool of a route the cut update had left for later."""
    inp = _market(seed)
    finder = IncrementalFinder()
    assert _interrupted(lambda: finder.update_top(inp, None, 1), hop_ceiling.__code__, 1)
    gone = next(iter(finder.pending))[0][0]
    states = {p: s for p, s in inp.states.items() if p != gone}
    later = replace(inp, block=inp.block + 1, states=states)
    full = find_opportunities(later)
    assert full and _dated(finder.update_top(later, None, 1), later.block) == full[:1]
    assert _dated(finder.finish(), later.block) == full

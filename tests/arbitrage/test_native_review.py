"""The native sizing kernel's glue: a quoter it has used still copies and pickles (its `_native` cache
goes as None and is made again); the built extension is not older than its sources (the differential
tests would otherwise compare Python with the previous kernel)."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from mevcli.arbitrage import sizing
from mevcli.arbitrage.sizing import compose_hops
from mevcli.dex.uniswap_v2.hop import V2Hop

ROOT = Path(__file__).resolve().parents[2]
PIPS = 1_000_000

pytestmark = pytest.mark.skipif(sizing.kernel is None, reason="the native kernel is not built")


def _cycle() -> list[V2Hop]:
    """Two V2 pairs 3% apart: a profitable cycle."""
    gamma = PIPS - 3_000
    return [V2Hop(10**21 * PIPS, 2 * 10**21, gamma), V2Hop(2 * 10**21 * PIPS, 103 * 10**19, gamma)]


def _size(hops: list[V2Hop]):
    coefficients = compose_hops([hop.local(1)[:3] for hop in hops])
    return sizing.kernel.size_route(hops, *coefficients, 0, 0, 1, 0, 1, 10**22)


@pytest.mark.parametrize("copy_of", [copy.deepcopy, lambda hop: pickle.loads(pickle.dumps(hop))])
def test_a_quoter_the_kernel_used_still_copies(copy_of):
    hops = _cycle()
    sized = _size(hops)
    assert sized not in (None, NotImplemented)
    copies = [copy_of(hop) for hop in hops]
    assert all(c._native is None for c in copies)
    assert _size(copies) == sized
    assert all(c._native is not None for c in copies)


def test_the_built_kernel_is_not_older_than_its_sources():
    built = Path(sizing.kernel.__file__).stat().st_mtime
    sources = [ROOT / "setup.py", *sorted((ROOT / "mevcli" / "native").glob("*.[ch]"))]
    newer = [path.name for path in sources if path.stat().st_mtime > built]
    assert not newer, (
        f"{newer} changed after the kernel was built: .venv/bin/python setup.py build_ext --inplace"
    )

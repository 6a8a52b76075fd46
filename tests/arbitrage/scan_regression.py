"""The scan's results on fixed inputs, recorded so a change to the search or the sizing can be held to
"identical before and after" (`test_scan_regression.py`).

    .venv/bin/python tests/arbitrage/scan_regression.py    # rewrite the fixture (starts its own anvil)

Inputs: the devnet market at its seeded block (2, 3 and 4 hops, gas at a fixed price) and seeded
synthetic markets from `benchmarks/bench_scan.py`. Recorded per opportunity: id, amounts, profits and
the flash source.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_scan  # noqa: E402

from mevcli.arbitrage.finder import FinderInput, find_opportunities  # noqa: E402
from mevcli.arbitrage.opportunity import Opportunity  # noqa: E402

FIXTURE = Path(__file__).parent / "data" / "scan_regression.json"
DEVNET_HOPS = (2, 3, 4)
# (pools, seed, hops) of the synthetic markets
SYNTHETIC = ((1000, 1, 2), (1000, 1, 3), (1000, 7, 3), (700, 2, 4))


def summary(opportunities: list[Opportunity]) -> list[list]:
    return [
        [
            o.id,
            o.amount_in,
            o.amount_out,
            o.profit,
            o.flash_fee,
            o.net_profit,
            o.flash_source,
            o.flash_lender,
            list(o.hop_amounts),
        ]
        for o in opportunities
    ]


def devnet_results(w3, manifest: dict) -> dict[str, list[list]]:
    base = bench_scan.devnet_input(w3, manifest, 2)
    return {f"devnet/{h}": summary(find_opportunities(replace(base, max_hops=h))) for h in DEVNET_HOPS}


def synthetic_input(pools: int, seed: int, hops: int) -> FinderInput:
    return bench_scan.finder_input(bench_scan.build_market(pools, seed), hops)


def synthetic_results() -> dict[str, list[list]]:
    return {
        f"synthetic/{pools}/{seed}/{hops}": summary(find_opportunities(synthetic_input(pools, seed, hops)))
        for pools, seed, hops in SYNTHETIC
    }


def write_fixture(results: dict[str, list[list]]) -> None:
    """One line per opportunity, so a change reads as a diff of opportunities."""
    blocks = [
        f"{json.dumps(key)}: [\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]"
        for key, rows in results.items()
    ]
    FIXTURE.write_text("{\n" + ",\n".join(blocks) + "\n}\n")


def main() -> None:
    from web3 import Web3
    from web3.providers.rpc import HTTPProvider

    from mevcli.devnet.market import deploy_market
    from mevcli.devnet.node import AnvilNode

    node = AnvilNode.start(Path("/tmp") / f"scan-regression-anvil-{id(FIXTURE)}.log")
    try:
        w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
        results = devnet_results(w3, deploy_market(w3))
    finally:
        node.stop()
    results.update(synthetic_results())
    write_fixture(results)
    print({k: len(v) for k, v in results.items()})


if __name__ == "__main__":
    main()

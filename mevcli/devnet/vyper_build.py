"""Compile our Vyper contracts with the pinned `vyper` (a dev dependency) into shipped artifacts.

`contracts/curve/CurveStableSwap.vy` is one source for every coin count: the build sets its
`N_COINS` line and writes `mevcli/artifacts/CurveStableSwap<N>.json` for N = 2 and 3.
`contracts/curve/CurveStableSwapNG.vy` (the stableswap-ng-style pool) takes its coins at deployment:
one artifact, `CurveStableSwapNG.json`; `contracts/curve/CurvePoolRegistry.vy` is the devnet's Curve pool
listing (`CurvePoolRegistry.json`).
`python -m mevcli.devnet.vyper_build` writes them; `--check` compiles in memory and fails if a shipped
artifact differs (setup runs it; CI then sees any difference in `git status`).
"""

from __future__ import annotations

import hashlib
import sys

from mevcli.devnet import solc
from mevcli.devnet.paths import REPO_ROOT
from mevcli.devnet.solc import CONTRACTS_DIR

STABLESWAP_SOURCE = CONTRACTS_DIR / "curve" / "CurveStableSwap.vy"
N_COINS_LINE = "N_COINS: constant(uint256) = 2"
COIN_COUNTS = (2, 3)
NG_SOURCE = CONTRACTS_DIR / "curve" / "CurveStableSwapNG.vy"
REGISTRY_SOURCE = CONTRACTS_DIR / "curve" / "CurvePoolRegistry.vy"


def stableswap_source(n_coins: int) -> str:
    """The StableSwap source with `N_COINS` set to `n_coins`."""
    text = STABLESWAP_SOURCE.read_text()
    if text.count(N_COINS_LINE + "\n") != 1:
        raise RuntimeError(f"{STABLESWAP_SOURCE} must declare exactly one line {N_COINS_LINE!r}")
    return text.replace(N_COINS_LINE + "\n", f"N_COINS: constant(uint256) = {n_coins}\n")


def compile_contracts() -> dict[str, dict]:
    """{contract name: artifact} for every coin count (abi, creation and runtime bytecode)."""
    import vyper  # a dev dependency: only building the artifacts needs it

    def build(name: str, source: str, path: str, n_coins: int | None) -> dict:
        out = vyper.compile_code(
            source, contract_path=path, output_formats=["abi", "bytecode", "bytecode_runtime"]
        )
        return {
            "contractName": name,
            "sourceName": path,
            "sourceSha256": hashlib.sha256(source.encode()).hexdigest(),
            "compiler": f"vyper {vyper.__version__}",
            "nCoins": n_coins,
            "abi": out["abi"],
            "bytecode": out["bytecode"],
            "deployedBytecode": out["bytecode_runtime"],
        }

    source_name = str(STABLESWAP_SOURCE.relative_to(REPO_ROOT))
    artifacts = {
        f"CurveStableSwap{n}": build(f"CurveStableSwap{n}", stableswap_source(n), source_name, n)
        for n in COIN_COUNTS
    }
    for name, path in (("CurveStableSwapNG", NG_SOURCE), ("CurvePoolRegistry", REGISTRY_SOURCE)):
        artifacts[name] = build(name, path.read_text(), str(path.relative_to(REPO_ROOT)), None)
    return artifacts


def check_artifacts() -> list[str]:
    """Names of shipped Vyper artifacts that are missing or differ from a fresh compile."""
    return solc.check_artifacts(compile_contracts)


if __name__ == "__main__":
    sys.exit(solc.build_main(sys.argv[1:], compile_contracts, "mevcli.devnet.vyper_build", "vyper artifacts"))

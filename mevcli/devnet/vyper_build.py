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
import json
import sys

from mevcli.devnet.paths import REPO_ROOT
from mevcli.devnet.solc import ARTIFACTS_DIR, CONTRACTS_DIR

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


def _render(artifact: dict) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def write_artifacts() -> list[str]:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    artifacts = compile_contracts()
    for name, artifact in artifacts.items():
        (ARTIFACTS_DIR / f"{name}.json").write_text(_render(artifact))
    return sorted(artifacts)


def check_artifacts() -> list[str]:
    """Names of shipped artifacts that are missing or differ from a fresh compile."""
    return [
        name
        for name, artifact in compile_contracts().items()
        if not (ARTIFACTS_DIR / f"{name}.json").exists()
        or (ARTIFACTS_DIR / f"{name}.json").read_text() != _render(artifact)
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = check_artifacts()
        if stale:
            print(
                f"Error: artifacts out of date: {', '.join(stale)} (run python -m mevcli.devnet.vyper_build)"
            )
            return 1
        print("vyper artifacts match sources")
        return 0
    print("compiled:", ", ".join(write_artifacts()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

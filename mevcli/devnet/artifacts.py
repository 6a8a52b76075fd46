"""Contract artifacts: our own (shipped in `mevcli/artifacts`) and the real protocol builds from npm."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mevcli.devnet.paths import node_modules

_OWN_DIR = Path(__file__).resolve().parent.parent / "artifacts"
_BALANCER_TASKS = "@balancer-labs/v2-deployments/dist/tasks"

# name -> path inside node_modules (Hardhat/Waffle JSON with `abi` and `bytecode`).
_NPM: dict[str, str] = {
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "UniswapV3Factory": "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    "UniswapV3Pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "SwapRouter": "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "QuoterV2": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
    "TickLens": "@uniswap/v3-periphery/artifacts/contracts/lens/TickLens.sol/TickLens.json",
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
    "PoolManager": "@uniswap/v4-core/out/PoolManager.sol/PoolManager.json",
    "PoolSwapTest": "@uniswap/v4-core/out/PoolSwapTest.sol/PoolSwapTest.json",
    "PoolModifyLiquidityTest": (
        "@uniswap/v4-core/out/PoolModifyLiquidityTest.sol/PoolModifyLiquidityTest.json"
    ),
    "PancakeV3Factory": "@pancakeswap/v3-core/artifacts/contracts/PancakeV3Factory.sol/PancakeV3Factory.json",
    "PancakeV3Pool": "@pancakeswap/v3-core/artifacts/contracts/PancakeV3Pool.sol/PancakeV3Pool.json",
}

COMPOSABLE_STABLE_TASK = "20230206-composable-stable-pool-v3"

# Balancer's deployment tasks keep the ABI and the creation code in separate files (older tasks), or
# both in one Hardhat artifact under `artifact/` (newer ones).
_BALANCER: dict[str, str] = {
    "Authorizer": "20210418-authorizer",
    "Vault": "20210418-vault",
    "WeightedPoolFactory": "20210418-weighted-pool",
    "WeightedPool": "20210418-weighted-pool",
    "BalancerQueries": "20220721-balancer-queries",
    "ProtocolFeePercentagesProvider": "20220725-protocol-fee-percentages-provider",
    # The newest composable-stable-pool task the package ships with its bytecode (v4+ are not in it).
    "ComposableStablePoolFactory": COMPOSABLE_STABLE_TASK,
    "ComposableStablePool": COMPOSABLE_STABLE_TASK,
}


@dataclass(frozen=True, slots=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    # Hardhat link references: {source: {library: [{start, length}, ...]}} (offsets in bytes).
    link_references: dict[str, dict[str, list[dict[str, int]]]] = field(default_factory=dict)

    def linked(self, libraries: dict[str, str]) -> str:
        """Creation code with each library placeholder replaced by its deployed address."""
        code = self.bytecode.removeprefix("0x")
        for libs in self.link_references.values():
            for lib_name, spots in libs.items():
                address = libraries[lib_name].lower().removeprefix("0x")
                for spot in spots:
                    start = spot["start"] * 2
                    code = code[:start] + address + code[start + spot["length"] * 2 :]
        return "0x" + code


def _from_json(name: str, data: dict[str, Any]) -> Artifact:
    bytecode = data["bytecode"]
    if isinstance(bytecode, dict):  # solc standard-JSON shape
        bytecode = bytecode["object"]
    if not bytecode.startswith("0x"):
        bytecode = "0x" + bytecode
    return Artifact(name, data["abi"], bytecode, data.get("linkReferences") or {})


@cache
def load(name: str) -> Artifact:
    """Load an artifact by contract name (ours first, then the npm builds)."""
    own = _OWN_DIR / f"{name}.json"
    if own.exists():
        return _from_json(name, json.loads(own.read_text()))
    root = node_modules()
    if name in _NPM:
        return _from_json(name, json.loads((root / _NPM[name]).read_text()))
    if name in _BALANCER:
        task = root / _BALANCER_TASKS / _BALANCER[name]
        if not (task / "bytecode" / f"{name}.json").exists():
            return _from_json(name, json.loads((task / "artifact" / f"{name}.json").read_text()))
        abi = json.loads((task / "abi" / f"{name}.json").read_text())
        creation = json.loads((task / "bytecode" / f"{name}.json").read_text())["creationCode"]
        return Artifact(name, abi, creation if creation.startswith("0x") else "0x" + creation)
    if name.startswith("aave:"):
        # e.g. "aave:protocol/pool/Pool.sol/Pool"
        path = root / "@aave/core-v3/artifacts/contracts" / f"{name[5:]}.json"
        return _from_json(path.stem, json.loads(path.read_text()))
    raise KeyError(f"unknown contract artifact: {name}")


def abi(name: str) -> list[dict[str, Any]]:
    return load(name).abi

"""The rollup L1 data fee in `mevcli scan`, on anvil.

anvil has neither Arbitrum's NodeInterface nor the OP Stack GasPriceOracle, so our test-only stand-ins
(`contracts/test/L1FeeOracles.sol`: the real signatures, a simple formula) are put at their addresses
with `anvil_setCode`. Each opportunity's fee is recomputed here from its own calldata, built from the
devnet manifest, by asking the oracle directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rlp
from typer.testing import CliRunner

from mevcli.arbitrage.discovery import identify_known
from mevcli.arbitrage.finder import native_rates
from mevcli.arbitrage.gas import to_base_token
from mevcli.arbitrage.l1fee import (
    GAS_PRICE_ORACLE,
    NODE_INTERFACE,
    PLACEHOLDER_TO,
    l1_fee_model,
    unsigned_tx,
)
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.devnet.solc import ARTIFACTS_DIR
from mevcli.dex.pools import read_states
from mevcli.dex.registry import DexRegistry
from mevcli.errors import UsageError
from mevcli.execution.calldata import build_execute_call
from mevcli.execution.costs import Fees, gas_cost_in_token
from mevcli.presets import get_preset

runner = CliRunner()
GAS_PRICE = 10**9  # fixed, so every figure is deterministic
KINDS = {"uniswap_v2": "uniswap_v2", "sushiswap": "uniswap_v2", "uniswap_v3": "uniswap_v3"}
KINDS |= {"sushiswap_v3": "uniswap_v3", "pancakeswap_v3": "uniswap_v3"}
KINDS |= {"balancer": "balancer", "curve": "curve"}


def scan(chain, cache: Path, *args: str, env: dict[str, str] | None = None) -> list[dict]:
    result = runner.invoke(
        app,
        ["scan", "--json", "--max-hops", "3", "--gas-price", str(GAS_PRICE), *args],
        env={**chain.cli_env(cache), **(env or {})},
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def install(chain, name: str, address: str) -> Any:
    """Our test-only contract `name` as the code at `address`; returns a web3 contract for it."""
    artifact = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
    chain.w3.provider.make_request("anvil_setCode", [address, artifact["deployedBytecode"]])
    return chain.w3.eth.contract(address=address, abi=artifact["abi"])


def calldata(chain, o: dict) -> bytes:
    """The executor call for `o`, from the manifest's pool list; minProfit = the L2 gas cost."""
    info = {}
    for p in chain.manifest["pools"]:
        entry = {"kind": KINDS[p["dex"]], "fee": p["fee"], "coins": p["tokens"]}
        if "pool_id" in p:
            entry["pool_id"] = p["pool_id"]
        info[p["address"]] = entry
    v4 = chain.manifest["uniswap_v4"]  # V4 pools by id: their manifest entry holds the key
    info |= {
        p["pool_id"]: {**p, "kind": "uniswap_v4", "pool_manager": v4["pool_manager"]} for p in v4["pools"]
    }
    opportunity = Opportunity.from_json(o)
    vault = chain.manifest["balancer"]["vault"]
    return build_execute_call(opportunity, info, o["gas_cost"] - o.get("l1_fee", 0), vault)


def rates(chain, block: int) -> dict[str, tuple[int, int] | None]:
    """Base units of each token per wei, read from the chain the way the scanner prices gas."""
    registry = DexRegistry.from_manifest(chain.manifest)
    multicall = Multicall(chain.w3, chain.manifest["multicall3"])
    refs = identify_known(registry, multicall, [p["address"] for p in chain.manifest["pools"]], block)
    states = read_states(multicall, refs, block)
    return native_rates(states, chain.manifest["weth"], list(chain.manifest["tokens"].values()))


def calldata_gas(data: bytes) -> int:
    return sum(4 if b == 0 else 16 for b in data)


def test_arbitrum_fee_is_the_oracles_answer_and_drops_what_it_eats(chain, tmp_path):
    with chain.snapshot():
        node_interface = install(chain, "TestNodeInterface", NODE_INTERFACE)
        owner = chain.deployer(0)
        base = scan(chain, tmp_path / "cache")
        assert base and all(o["l1_fee"] == 0 for o in base)
        by_rate = rates(chain, base[0]["block"])

        # An L1 / L2 base-fee ratio that eats about half of the opportunities.
        def break_even(o: dict) -> int:
            per_unit = to_base_token(calldata_gas(calldata(chain, o)) * GAS_PRICE, by_rate[o["base_token"]])
            return o["net_profit"] // max(per_unit, 1)

        ratio = sorted(break_even(o) for o in base)[len(base) // 2]
        owner.send(node_interface.functions.setFees(ratio, 1))
        assert chain.w3.eth.block_number > base[0]["block"]
        base = scan(chain, tmp_path / "cache")  # again at the new head: pools are unchanged
        assert scan(chain, tmp_path / "cache", "--l1-fee-model", "none") == base
        priced = {o["id"]: o for o in scan(chain, tmp_path / "cache", "--l1-fee-model", "arbitrum")}

        kept = dropped = 0
        for o in base:
            data = calldata(chain, o)
            units, l2_base_fee, l1_base_fee = node_interface.functions.gasEstimateL1Component(
                PLACEHOLDER_TO, False, data
            ).call()
            assert units == calldata_gas(data) * ratio and (l2_base_fee, l1_base_fee) == (1, ratio)
            fee = to_base_token(units * GAS_PRICE, by_rate[o["base_token"]])
            assert fee > 0
            if o["net_profit"] - fee <= 0:
                assert o["id"] not in priced
                dropped += 1
                continue
            kept += 1
            p = priced[o["id"]]
            assert p["l1_fee"] == fee
            assert p["gas_cost"] == o["gas_cost"] + fee
            assert p["net_profit"] == o["net_profit"] - fee == p["profit"] - p["flash_fee"] - p["gas_cost"]
            same = ("amount_in", "amount_out", "flash_source", "flash_lender", "gas_units", "hop_amounts")
            assert {k: p[k] for k in same} == {k: o[k] for k in same}
        assert kept and dropped and len(priced) == kept
        weth = chain.manifest["weth"]
        assert any(o["base_token"] == weth for o in priced.values())  # fee == wei, no conversion

        table = runner.invoke(
            app,
            ["scan", "--max-hops", "3", "--gas-price", str(GAS_PRICE), "--l1-fee-model", "arbitrum"],
            env=chain.cli_env(tmp_path / "cache"),
        )
        assert table.exit_code == 0 and "L1 data" in table.stdout
        assert "no longer pay once the L1 data fee is added" in table.stderr


def test_op_stack_fee_prices_the_unsigned_transaction(chain, tmp_path):
    per_byte = 7 * 10**9
    with chain.snapshot():
        oracle = install(chain, "TestGasPriceOracle", GAS_PRICE_ORACLE)
        chain.deployer(0).send(oracle.functions.setWeiPerByte(per_byte))
        base = scan(chain, tmp_path / "cache")
        priced = scan(chain, tmp_path / "cache", "--l1-fee-model", "op_stack")
        config = tmp_path / "mevcli.toml"
        config.write_text('[chains.devnet]\nl1_fee_model = "op_stack"\n')
        env = {"MEVCLI_CONFIG": str(config)}
        assert scan(chain, tmp_path / "cache", env=env) == priced
        assert scan(chain, tmp_path / "cache", "--l1-fee-model", "none", env=env) == base

        by_rate = rates(chain, base[0]["block"])
        by_id = {o["id"]: o for o in base}
        assert priced and {o["id"] for o in priced} <= set(by_id)
        for p in priced:
            o = by_id[p["id"]]
            data = calldata(chain, o)
            envelope = unsigned_tx(chain.w3.eth.chain_id, PLACEHOLDER_TO, data, o["gas_units"], GAS_PRICE)
            assert envelope[0] == 2
            fields = rlp.decode(envelope[1:])
            assert fields[7] == data and fields[5] == bytes.fromhex(PLACEHOLDER_TO[2:])
            assert int.from_bytes(fields[0], "big") == 31337
            assert int.from_bytes(fields[4], "big") == o["gas_units"]
            wei = oracle.functions.getL1Fee(envelope).call()
            assert wei == per_byte * len(envelope)
            fee = to_base_token(wei, by_rate[o["base_token"]])
            assert p["l1_fee"] == fee > 0
            assert p["gas_cost"] == o["gas_cost"] + fee
            assert p["net_profit"] == o["net_profit"] - fee


def test_a_model_without_its_oracle_is_an_error(chain, tmp_path):
    for model, needle in (("arbitrum", "NodeInterface"), ("op_stack", "GasPriceOracle")):
        result = runner.invoke(app, ["scan", "--l1-fee-model", model], env=chain.cli_env(tmp_path / "cache"))
        assert result.exit_code != 0
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("Error:") and needle in last
    result = runner.invoke(app, ["scan", "--l1-fee-model", "zksync"], env=chain.cli_env(tmp_path / "cache"))
    assert result.exit_code == 2 and "invalid --l1-fee-model" in result.stderr


def test_model_resolution_and_presets():
    assert get_preset("arbitrum").l1_fee_model == "arbitrum"
    assert get_preset("base").l1_fee_model == "op_stack"
    assert get_preset("ethereum").l1_fee_model is None
    assert get_preset("devnet").l1_fee_model is None
    arbitrum = get_preset("arbitrum")
    assert l1_fee_model(None, {}, arbitrum) == "arbitrum"
    assert l1_fee_model("none", {}, arbitrum) is None
    assert l1_fee_model(None, {"l1_fee_model": "none"}, arbitrum) is None
    assert l1_fee_model("OP_STACK", {"l1_fee_model": "none"}, None) == "op_stack"
    assert l1_fee_model(None, {"l1_fee_model": "arbitrum"}, get_preset("devnet")) == "arbitrum"
    for bad in ("zksync", "", 1):
        with pytest.raises(UsageError):
            l1_fee_model(None, {"l1_fee_model": bad}, arbitrum)


def test_one_gas_cost_rule_tip_capped_l1_fee_included_rounded_up():
    """Per gas: landing base fee + tip, never above the max fee; L2 gas and the L1 fee convert together
    at the market rate, rounded up; a token without a rate has no price (never a cost of 0)."""
    assert Fees(base_fee=10, max_fee=100, priority_fee=5).per_gas == 15
    assert Fees(base_fee=90, max_fee=100, priority_fee=50).per_gas == 100
    rate = (3_000, 10**13)  # 3000 units of the token per 10^13 wei
    assert gas_cost_in_token(100_000, 10**8, 0, rate) == 3_000
    assert gas_cost_in_token(100_000, 10**8, 10**13 + 1, rate) == 6_001  # the L1 fee joins; rounded up
    assert gas_cost_in_token(21_000, 7, 0, (1, 1)) == 147_000
    assert gas_cost_in_token(100_000, 10**8, 0, None) is None
    token = "0x" + "11" * 20
    original = Opportunity(
        id="x",
        chain_id=42161,
        block=1,
        base_token=token,
        tokens=(token, "0x" + "22" * 20, token),
        pools=("0x" + "33" * 20, "0x" + "44" * 20),
        dexes=("uniswap_v2", "sushiswap"),
        hop_amounts=(1, 2),
        amount_in=1,
        amount_out=2,
        profit=1,
        flash_source="balancer",
        flash_lender="0x" + "55" * 20,
        flash_fee=0,
        gas_units=100_000,
        gas_price=10**8,
        gas_cost=3_000 + 2_000,
        net_profit=0,
        l1_fee=2_000,
    )
    assert Opportunity.from_json({k: v for k, v in original.to_json().items() if k != "l1_fee"}).l1_fee == 0

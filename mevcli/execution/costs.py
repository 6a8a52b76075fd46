"""What a send costs, before and after: the one gas-cost rule shared by scan, simulate, execute, watch
--execute and the executor's on-chain floor, and the realized figures read back from the receipt.

- Per gas, a send pays the base fee of the block it lands in plus the tip it sets, never more than its
  max fee: `Fees.per_gas`. The landing block is the node's pending block.
- In the profit token, gas (units × per gas, plus an OP Stack chain's L1 data fee; Arbitrum counts its
  L1 part in the gas units) converts at the market's own price: the best direct pool with the native
  token (`finder.native_rates`, as scan prices gas), rounded up. A token with no such pool cannot be
  priced: callers refuse the route rather than count gas as 0.
- Realized: the executor's own `Executed(token, amount, profit)` event in the transaction's receipt (not
  a balance change over the block, which other transactions share), and `gasUsed × effectiveGasPrice`
  plus the receipt's L1 fee where the chain reports one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from mevcli.arbitrage.finder import native_rates
from mevcli.arbitrage.gas import to_base_token
from mevcli.arbitrage.l1fee import ARBITRUM, L1FeeOracle, L1Query, l1_fee_model
from mevcli.context import AppContext
from mevcli.dex.pools import PoolState
from mevcli.execution.sender import FeePolicy

Rate = tuple[int, int]  # (base units of the token, wei of the native token)
EXECUTED_TOPIC = keccak(text="Executed(address,uint256,uint256)")


@dataclass(frozen=True, slots=True)
class Fees:
    """The fee fields a send sets, and the base fee of the block it is expected to land in."""

    base_fee: int
    max_fee: int  # maxFeePerGas
    priority_fee: int  # maxPriorityFeePerGas

    @property
    def per_gas(self) -> int:
        """Wei per gas actually paid: base fee + tip, bounded by the max fee."""
        return min(self.base_fee + self.priority_fee, self.max_fee)


def landing_base_fee(w3: Web3) -> int:
    """The base fee of the next block: the pending block's, else the latest's (0 before EIP-1559)."""
    for tag in ("pending", "latest"):
        try:
            fee = w3.eth.get_block(tag).get("baseFeePerGas")
        except Exception:  # nodes without a pending block
            continue
        if fee is not None:
            return int(fee)
    return 0


def landing_fees(w3: Web3, policy: FeePolicy) -> Fees:
    """The fees `policy` sets for the next block (raises `FeeRefused` outside its caps)."""
    base_fee = landing_base_fee(w3)
    max_fee, priority = policy.fees(w3, base_fee)
    return Fees(base_fee, max_fee, priority)


def gas_cost_in_token(units: int, per_gas: int, l1_fee_wei: int, rate: Rate | None) -> int | None:
    """The gas cost of a send in the profit token (rounded up), None when it cannot be priced."""
    return to_base_token(units * per_gas + l1_fee_wei, rate)


def market_rate(
    ctx: AppContext, token: str, block: int, route_states: Mapping[str, PoolState] | None = None
) -> Rate | None:
    """Base units of `token` per wei of the native token, as scan prices gas: from the best direct pool
    among those the reserve cache follows, the devnet manifest's and the route's own; None if none."""
    from mevcli.arbitrage.discovery import identify_known
    from mevcli.arbitrage.known import read_pool_states

    native = (ctx.manifest or {}).get("weth") or (ctx.preset.weth if ctx.preset else None)
    if native is None:
        return None
    native, token = to_checksum_address(native), to_checksum_address(token)
    if native == token:
        return (1, 1)
    refs = dict(ctx.reserve_cache.tracked_refs())
    manifest_pools = [to_checksum_address(p["address"]) for p in (ctx.manifest or {}).get("pools", [])]
    missing = [a for a in manifest_pools if a not in refs]
    if missing:
        known = identify_known(ctx.dexes, ctx.multicall, missing, block, ctx.reserve_cache.store)
        refs.update((r.address, r) for r in known)
    states = {**read_pool_states(ctx, list(refs.values()), block), **(route_states or {})}
    return native_rates(states, native, [token])[token]


def l1_fee_wei(ctx: AppContext, executor: str, calldata: bytes, units: int, per_gas: int, block: int) -> int:
    """The rollup's L1 data fee (wei) for this executor call, on top of `units` of `eth_estimateGas`: the
    OP Stack charges it apart; Arbitrum's estimate (and its receipts' gasUsed) already include it."""
    model = l1_fee_model(None, ctx.chain_config, ctx.preset)
    if model is None or model == ARBITRUM:
        return 0
    oracle = L1FeeOracle(ctx.w3, ctx.multicall, model, ctx.chain_id, executor, block)
    return oracle.fees([L1Query(calldata, units, per_gas)])[0]


@dataclass(frozen=True, slots=True)
class Realized:
    """What one mined transaction really did, in wei and in the profit token."""

    gas_used: int
    effective_gas_price: int
    l1_fee_wei: int
    profit: int  # from the executor's Executed event; 0 when it reverted
    gas_cost: int  # gas_paid_wei in the profit token, at the send's rate
    events: int  # Executed events of our executor in this receipt

    @property
    def gas_paid_wei(self) -> int:
        return self.gas_used * self.effective_gas_price + self.l1_fee_wei

    @property
    def net(self) -> int:
        return self.profit - self.gas_cost

    def to_json(self) -> dict[str, Any]:
        return {
            "gas_used": self.gas_used,
            "effective_gas_price": self.effective_gas_price,
            "l1_fee_wei": self.l1_fee_wei,
            "gas_paid_wei": self.gas_paid_wei,
            "gas_cost": self.gas_cost,
            "token_profit": self.profit,
            "net_profit": self.net,
        }


def executed_profit(receipt: Mapping[str, Any], executor: str, token: str) -> tuple[int, int]:
    """(profit summed over our executor's Executed events for `token` in this receipt, their count)."""
    executor, token = to_checksum_address(executor), to_checksum_address(token)
    profit = count = 0
    for log in receipt.get("logs") or ():
        topics = [bytes(t) for t in log.get("topics") or ()]
        if to_checksum_address(log["address"]) != executor or len(topics) != 2 or topics[0] != EXECUTED_TOPIC:
            continue
        if to_checksum_address(topics[1][-20:]) != token:
            continue
        data = log["data"]
        raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
        _amount, value = decode(["uint256", "uint256"], raw)
        profit += value
        count += 1
    return profit, count


def realized(receipt: Mapping[str, Any], executor: str, token: str, rate: Rate) -> Realized:
    """The realized figures of a mined send (a revert: no profit, only its gas)."""
    gas_used = int(receipt["gasUsed"])
    price = int(receipt.get("effectiveGasPrice") or 0)
    l1_fee = _as_int(receipt.get("l1Fee"))  # OP Stack receipts; Arbitrum's gasUsed includes L1 gas
    profit, events = executed_profit(receipt, executor, token) if receipt.get("status") == 1 else (0, 0)
    cost = gas_cost_in_token(gas_used, price, l1_fee, rate)
    assert cost is not None  # a rate is given
    return Realized(gas_used, price, l1_fee, profit, cost, events)


def _as_int(value: Any) -> int:
    if value is None:
        return 0
    return int(value, 16) if isinstance(value, str) else int(value)

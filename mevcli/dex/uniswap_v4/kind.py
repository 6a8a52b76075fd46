"""Uniswap V4 pools as a `PoolKind`: one PoolManager holds them all, each named by its pool id.

A V4 `PoolRef` carries the pool id where other kinds carry an address, and its DEX's `factory` is the
PoolManager. A pool's key is not in storage: `read` takes it from the pool's `Initialize` event (one
`eth_getLogs` filtered by the id, remembered per PoolManager and id: keys never change). Pools whose hook
may change a swap are read but refuse to quote (`UnpricedPool`, with the reason).

The executor swaps a V4 pool inside the PoolManager's `unlock` (its Hop kind 4: hooks in `pool`, the
key's fee, tick spacing in `i`, the pool id, the PoolManager in `vault`); the PoolManager also lends any
token it holds for free (`arbitrage.flash`, source `uniswap_v4`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mevcli.chain.addresses import to_checksum_address
from mevcli.dex.kind import HopQuoter, Invalidate, Log, Mobius, PoolKind, Route
from mevcli.dex.uniswap_v3.ceiling import ceiling_form
from mevcli.dex.uniswap_v3.steps import PIPS, virtual_reserves
from mevcli.dex.uniswap_v4 import events
from mevcli.dex.uniswap_v4.hop import V4Hop
from mevcli.dex.uniswap_v4.keys import INITIALIZE_TOPIC, find_key, key_from_initialize
from mevcli.dex.uniswap_v4.pool_key import PoolKey
from mevcli.dex.uniswap_v4.reader import read_pools
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap import quote_exact_input
from mevcli.errors import MevcliError, as_pool_error

if TYPE_CHECKING:
    from mevcli.chain.multicall import Multicall
    from mevcli.dex.registry import PoolRef


class UniswapV4Kind(PoolKind):
    name = "uniswap_v4"
    label = "Uniswap V4"
    state_types = (V4PoolState,)
    hop_code = 4
    hop_gas = 110_000  # its own unlock, the swap, sync + transfer + settle, take
    # unlock, take, sync + transfer + settle: counted as the Vault's flashLoan (on the devnet it measured
    # some 15k less), so the Vault keeps the routes it can lend to and V4 lends where it cannot.
    flash_gas = 40_000
    event_topics = events.TOPICS
    creation_topic = "0x" + INITIALIZE_TOPIC.hex()  # the PoolManager's Initialize (`DexInfo.factory`)

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], PoolKey] = {}

    def key(self, mc: Multicall, manager: str, pool_id: str, block: int) -> PoolKey:
        """The pool's key, from its Initialize event the first time it is asked for."""
        known = self._keys.get((manager.lower(), pool_id.lower()))
        if known is None:
            known = find_key(mc.w3, manager, None, pool_id.lower(), block)
            self._keys[(manager.lower(), pool_id.lower())] = known
        return known

    def known_key(self, manager: str, pool_id: str) -> PoolKey | None:
        """The key of `pool_id` if an Initialize event of `manager` named it to this process (no RPC)."""
        return self._keys.get((manager.lower(), pool_id.lower()))

    def pool_from_creation(self, log: Log) -> str:
        """The id of the pool an Initialize log names: the hash of its key (remembered for `read`)."""
        key = key_from_initialize([bytes(t) for t in log["topics"]], bytes(log["data"]))
        self._keys[(str(log["address"]).lower(), key.pool_id)] = key
        return key.pool_id

    def creation_facts(self, log: Log) -> list[Any] | None:
        """The key's fields: those `pool_from_creation` remembered for the id in topic 1 (discovery asks
        both of each log), else decoded from the log."""
        topics = log["topics"]
        key = self._keys.get((str(log["address"]).lower(), "0x" + bytes(topics[1]).hex()))
        if key is None:
            key = key_from_initialize([bytes(t) for t in topics], bytes(log["data"]))
        return list(key.as_tuple)

    def remember_creation(self, factory: str, pool: str, facts: list[Any]) -> None:
        currency0, currency1, fee, spacing, hooks = facts
        key = PoolKey(
            currency0=currency0, currency1=currency1, fee=int(fee), tick_spacing=int(spacing), hooks=hooks
        )
        if key.pool_id == pool.lower():
            self._keys[(factory.lower(), key.pool_id)] = key

    def read(self, mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int) -> Sequence[Any]:
        by_manager: dict[str, list[PoolRef]] = {}
        for ref in refs:
            by_manager.setdefault(ref.dex.factory, []).append(ref)
        read: dict[str, Any] = {}
        for manager, group in by_manager.items():
            keys = [self.key(mc, manager, r.address, block) for r in group]
            for ref, state in zip(group, read_pools(mc, manager, keys, block, window_ticks), strict=True):
                read[ref.address] = state
        return [read[r.address] for r in refs]

    def read_rounds(self, state: Any) -> list[int]:
        """One `extsload` sub-call a round (up to 1,000 slots each, shared with the other pools read)."""
        return [1, 1, 1]

    def quote(self, state: Any, token_in: str, amount_in: int, token_out: str | None) -> int:
        try:
            return quote_exact_input(state, token_in, amount_in)
        except MevcliError:
            raise
        except (ArithmeticError, ValueError) as exc:
            raise as_pool_error(exc) from exc

    def exact_hop(self, state: Any, token_in: str, token_out: str) -> HopQuoter | None:
        return V4Hop(state, token_in, self.quote)

    def cpmm(self, state: Any) -> tuple[int, int, int] | None:
        if state.unpriced_reason is not None or state.liquidity == 0 or state.sqrt_price_x96 == 0:
            return 0, 0, 0
        fee = min(state.swap_fee(True), state.swap_fee(False))
        return (PIPS - fee, *virtual_reserves(state.liquidity, state.sqrt_price_x96))

    def mobius(self, state: Any, token_in: str) -> Mobius | None:
        if state.unpriced_reason is not None or state.liquidity == 0:
            return None
        zero_for_one = state.zero_for_one(token_in)
        virtual0, virtual1 = virtual_reserves(state.liquidity, state.sqrt_price_x96)
        reserve_in, reserve_out = (virtual0, virtual1) if zero_for_one else (virtual1, virtual0)
        gamma = PIPS - min(state.swap_fee(zero_for_one), PIPS)
        return gamma * reserve_out, reserve_in * PIPS, gamma

    def upper_mobius(self, state: Any, token_in: str) -> Mobius | None:
        if state.unpriced_reason is not None:
            return None
        zero_for_one = state.zero_for_one(token_in)
        return ceiling_form(state, zero_for_one, PIPS - min(state.swap_fee(zero_for_one), PIPS))

    def depth(self, state: Any) -> dict[str, int]:
        if state.sqrt_price_x96 == 0 or state.unpriced_reason is not None:
            return {state.currency0: 0, state.currency1: 0}
        virtual0, virtual1 = virtual_reserves(state.liquidity, state.sqrt_price_x96)
        return {state.currency0: virtual0, state.currency1: virtual1}

    def unpriced(self, state: Any) -> str | None:
        return state.unpriced_reason

    def fee_pips(self, state: Any) -> int:
        return int(state.lp_fee)

    def routes(self, state: Any) -> list[Route]:
        return list(events.routes(state))

    def apply_log(self, state: Any, log: Log) -> Any:
        try:
            return events.apply_log(state, log)
        except events.OutsideLoadedWords as exc:
            raise Invalidate(str(exc)) from exc

    def pool_info(self, ref: PoolRef, state: Any) -> dict[str, Any]:
        return {
            "fee": state.fee,  # the key's fee (the dynamic flag included): part of the key, not a rate
            "hooks": state.hooks,
            "tick_spacing": state.tick_spacing,
            "pool_manager": state.pool_manager,
        }

    def hop_fields(self, pool: str, token_in: str, token_out: str, info: Mapping[str, Any]) -> dict[str, Any]:
        """The key the executor rebuilds (and checks against the pool id) and the PoolManager."""
        missing = [k for k in ("pool_id", "hooks", "tick_spacing", "pool_manager") if info.get(k) is None]
        if missing:
            raise ValueError(f"Uniswap V4 pool {pool}: no {', '.join(missing)}")
        return {
            "pool": to_checksum_address(info["hooks"]),
            "fee": int(info["fee"]),
            "pool_id": bytes.fromhex(str(info["pool_id"]).removeprefix("0x")),
            "i": int(info["tick_spacing"]),
            "vault": to_checksum_address(info["pool_manager"]),
        }


KIND = UniswapV4Kind()

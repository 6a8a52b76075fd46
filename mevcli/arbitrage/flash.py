"""Flash-loan sources and their fees, read in one batch per scan.

- Balancer V2 Vault: fee = protocol flash-loan fee (0 by default), rounded up. Never for a route that
  swaps through the Vault: flashLoan and swap share one reentrancy lock.
- Aave V3 `flashLoanSimple`: premium = amount·FLASHLOAN_PREMIUM_TOTAL / 10⁴, rounded half up (percentMul).
- Uniswap V3 `flash`: fee = amount·pool fee / 10⁶, rounded up; never a pool the route swaps in (it is
  locked during the callback).
- Uniswap V4 PoolManager: `take` inside `unlock`, settled back before it returns: no fee. Lends what it
  holds of the token (its ERC20 balance). A route through V4 pools of the same PoolManager may borrow
  from it: their hops swap inside the loan's unlock.
Only sources holding enough of the token qualify.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, MutableMapping, Sequence
from dataclasses import dataclass

from mevcli.chain.abi import decode
from mevcli.chain.multicall import Call, CallResult, Multicall, encode_call

BALANCER = "balancer"
AAVE_V3 = "aave_v3"
UNISWAP_V3 = "uniswap_v3"
UNISWAP_V4 = "uniswap_v4"
_FLASHLOAN_ENABLED_BIT = 63  # Aave V3 ReserveConfiguration
_ACTIVE_BIT = 56
_PAUSED_BIT = 60
_FLASH_FEE = encode_call("getFlashLoanFeePercentage()")


@dataclass(frozen=True, slots=True)
class FlashSource:
    kind: str  # balancer | aave_v3 | uniswap_v3 | uniswap_v4
    lender: str  # the Vault, the Aave pool, the V3 pool or the V4 PoolManager
    token: str
    available: int
    fee_num: int  # fee = amount·fee_num / fee_den with the kind's rounding
    fee_den: int

    def fee(self, amount: int) -> int:
        if not self.fee_num:
            return 0  # what both roundings give (the Balancer Vault's default): sizing asks it often
        if self.kind == AAVE_V3:
            return (amount * self.fee_num + self.fee_den // 2) // self.fee_den  # percentMul: half up
        return -(-amount * self.fee_num // self.fee_den)  # mulUp / mulDivRoundingUp


def _balance_call(token: str, holder: str) -> Call:
    return Call(token, encode_call("balanceOf(address)", ["address"], [holder]))


def _uint(data: bytes) -> int:
    return int.from_bytes(data[:32], "big") if len(data) >= 32 else 0


def load_sources(
    mc: Multicall,
    block: int,
    tokens: Sequence[str],
    *,
    balancer_vault: str | None,
    aave_pool: str | None,
    v3_pools: Iterable[tuple[str, str, str, int]] = (),
    v4_managers: Iterable[str] = (),
    lender_book: MutableMapping[str, str] | None = None,
) -> dict[str, list[FlashSource]]:
    """Every usable source per token. `v3_pools`: (pool, token0, token1, fee) of candidate V3 lenders;
    `v4_managers`: Uniswap V4 PoolManagers (each lends any token it holds, for free).

    `lender_book` remembers the addresses a lender's liquidity is read from (the Vault's fee collector,
    each Aave reserve's aToken; fixed for good): once it holds them, this is one batch, else two (and
    the book is filled).
    """
    book: MutableMapping[str, str] = {} if lender_book is None else lender_book
    sources: dict[str, list[FlashSource]] = {t: [] for t in tokens}
    first: list[Call] = []
    collector_key = f"collector:{balancer_vault}".lower()
    collector = book.get(collector_key)
    if balancer_vault:
        if collector:
            first.append(Call(collector, _FLASH_FEE))
        else:
            first.append(Call(balancer_vault, encode_call("getProtocolFeesCollector()")))
        first += [_balance_call(t, balancer_vault) for t in tokens]
    a_tokens = {t: book.get(f"atoken:{aave_pool}:{t}".lower()) for t in tokens} if aave_pool else {}
    if aave_pool:
        first.append(Call(aave_pool, encode_call("FLASHLOAN_PREMIUM_TOTAL()")))
        for t in tokens:
            first.append(Call(aave_pool, encode_call("getReserveData(address)", ["address"], [t])))
            if a_tokens[t]:
                first.append(_balance_call(t, a_tokens[t]))
    lenders = [(p, t, fee) for p, t0, t1, fee in v3_pools for t in (t0, t1) if t in sources]
    first += [_balance_call(t, p) for p, t, _ in lenders]
    managers = [(m, t) for m in v4_managers for t in tokens]
    first += [_balance_call(t, m) for m, t in managers]
    results = iter(mc.call(first, block))

    second: list[Call] = []
    collector_index: int | None = None
    collector_fee: CallResult | None = None
    vault_balances: list[int] = []
    if balancer_vault:
        head = next(results)
        vault_balances = [_uint(next(results).data) for _ in tokens]
        if collector:
            collector_fee = head
        elif head.ok and len(head.data) >= 32:
            book[collector_key] = decode(["address"], head.data)[0]
            collector_index = len(second)
            second.append(Call(book[collector_key], _FLASH_FEE))
    aave_reserves: list[tuple[str, str]] = []
    aave_balances: dict[str, int] = {}
    premium_bps = 0
    if aave_pool:
        premium = next(results)
        premium_bps = _uint(premium.data) if premium.ok else 0
        for token in tokens:
            reserve = next(results)
            balance = next(results) if a_tokens[token] else None
            if not (premium.ok and reserve.ok and len(reserve.data) >= 32 * 9):
                continue
            config = _uint(reserve.data)
            usable = (config >> _FLASHLOAN_ENABLED_BIT) & 1 and (config >> _ACTIVE_BIT) & 1
            a_token = decode(["address"], reserve.data[8 * 32 : 9 * 32])[0]
            if not usable or (config >> _PAUSED_BIT) & 1:
                continue
            if balance is not None and a_token.lower() == str(a_tokens[token]).lower():
                aave_balances[token] = _uint(balance.data) if balance.ok else 0
            else:
                book[f"atoken:{aave_pool}:{token}".lower()] = a_token
                aave_reserves.append((token, a_token))
    aave_start = len(second)
    second += [_balance_call(t, a_token) for t, a_token in aave_reserves]
    for pool, token, fee in lenders:
        result = next(results)
        if result.ok and _uint(result.data):
            sources[token].append(FlashSource(UNISWAP_V3, pool, token, _uint(result.data), fee, 1_000_000))
    v4_balances = [(manager, token, next(results)) for manager, token in managers]

    later = mc.call(second, block) if second else []
    if collector_index is not None:
        collector_fee = later[collector_index]
    if balancer_vault and collector_fee is not None and collector_fee.ok:
        fee_pct = _uint(collector_fee.data)
        for token, available in zip(tokens, vault_balances, strict=True):
            if available:
                sources[token].append(
                    FlashSource(BALANCER, balancer_vault, token, available, fee_pct, 10**18)
                )
    for i, (token, _) in enumerate(aave_reserves):
        result = later[aave_start + i]
        aave_balances[token] = _uint(result.data) if result.ok else 0
    for token in tokens:
        if aave_balances.get(token):
            sources[token].append(
                FlashSource(AAVE_V3, aave_pool, token, aave_balances[token], premium_bps, 10_000)
            )
    # Last: at the Vault's fee (0) and gas the Vault comes first (the finder keeps the earliest on a tie).
    for manager, token, result in v4_balances:
        if result.ok and _uint(result.data):
            sources[token].append(FlashSource(UNISWAP_V4, manager, token, _uint(result.data), 0, 1))
    return sources


def eligible(
    sources: Sequence[FlashSource], route_pools: Collection[str], route_uses_vault: bool
) -> list[FlashSource]:
    """Sources a route may borrow from: not the Vault it swaps in, not a V3 pool it swaps in."""
    return [
        s
        for s in sources
        if not (s.kind == BALANCER and route_uses_vault)
        and not (s.kind == UNISWAP_V3 and s.lender in route_pools)
    ]


def best_v3_lenders(sources: Sequence[FlashSource]) -> list[FlashSource]:
    """Per fee tier, the V3 lender with the most liquidity (fewer candidates to size against)."""
    chosen: dict[int, FlashSource] = {}
    for s in sources:
        if s.kind == UNISWAP_V3 and (s.fee_num not in chosen or s.available > chosen[s.fee_num].available):
            chosen[s.fee_num] = s
    return [s for s in sources if s.kind != UNISWAP_V3] + list(chosen.values())

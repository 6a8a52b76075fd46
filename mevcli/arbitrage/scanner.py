"""A scan end to end: discover pools, read their state at one block, find and rank opportunities.

State is read through the reserve cache when the context has one (`ctx.reserve_cache`), else straight
from the chain in batched Multicall3 round trips.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mevcli.arbitrage.discovery import identify_known, pool_discovery
from mevcli.arbitrage.finder import FinderInput, FinderStats, L1Fees, find_opportunities
from mevcli.arbitrage.flash import FlashSource, load_sources
from mevcli.arbitrage.known import candidate_pools, read_pool_states
from mevcli.arbitrage.l1fee import PLACEHOLDER_TO, L1FeeOracle, L1Query, l1_fee_model
from mevcli.arbitrage.liquidity import deepest, filter_min_liquidity, native_prices
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.arbitrage.token_policy import VerdictStore, routable, trusted_tokens
from mevcli.atomic import write_json
from mevcli.cache.anchor import HashOf, block_hash_reader, remembered
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Multicall
from mevcli.context import AppContext
from mevcli.dex.forks import BALANCER, UNISWAP_V4
from mevcli.dex.kinds import kind_of, pools_lend
from mevcli.dex.pools import PoolState, pool_tokens
from mevcli.dex.registry import PoolRef
from mevcli.dex.uniswap_v3.kind import KIND as V3_KIND
from mevcli.dex.uniswap_v4.pool_key import NATIVE as NATIVE_CURRENCY
from mevcli.errors import ConfigError, UnknownToken, UsageError
from mevcli.execution.calldata import CalldataError, build_execute_call, pool_info_of
from mevcli.execution.deployments import known_executor

DEVNET_BASE_TOKENS = ("WETH", "USDC", "USDT", "DAI", "WBTC")
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanOptions:
    max_hops: int = 3
    min_profit: int = 0
    dexes: tuple[str, ...] = ()  # empty: every known DEX
    base_tokens: tuple[str, ...] = ()  # symbols or addresses; empty: the chain's defaults
    gas_price: int | None = None  # wei; None: the node's base fee + priority fee
    top: int | None = None
    min_liquidity: int = 0  # wei of the native token a pool's depth must be worth (0: no filter)
    max_candidates: int | None = None  # size only the N listed cycles of the best marginal rate
    # "none", "arbitrum" or "op_stack"; None: `[chains.NAME] l1_fee_model`, else the chain preset's
    l1_fee_model: str | None = None


@dataclass(slots=True)
class ScanReport:
    block: int
    opportunities: list[Opportunity]
    stats: FinderStats
    timings: dict[str, float] = field(default_factory=dict)
    profitable: int = 0  # opportunities found, before `top` keeps the best N of them
    pool_fees: dict[str, int] = field(default_factory=dict)  # Uniswap V3 fee tier per pool, for labels


def _gas_price(ctx: AppContext, responses: Sequence[Any] | None = None) -> int:
    """Wei per gas a send would pay with the default fees (`execution/costs.py`), as execute prices it;
    eth_gasPrice on a chain without a base fee. `responses`: the node's to `FEE_REQUESTS`, when the
    caller sent them (else they are asked here)."""
    from mevcli.execution.costs import Fees, landing_fees
    from mevcli.execution.sender import FeePolicy

    asked = _pending_fee_and_tip(ctx) if responses is None else _fee_and_tip(responses)
    if asked is None:
        fees = landing_fees(ctx.w3, FeePolicy())
    else:
        base_fee, tip = asked
        fees = Fees(base_fee, 2 * base_fee + tip, tip)  # what `FeePolicy().fees` sets for these two
    return fees.per_gas if fees.base_fee else int(ctx.w3.eth.gas_price)


FEE_REQUESTS = (("eth_getBlockByNumber", ["pending", False]), ("eth_maxPriorityFeePerGas", []))


def _pending_fee_and_tip(ctx: AppContext) -> tuple[int, int] | None:
    """The pending block's base fee and `eth_maxPriorityFeePerGas`, asked in one JSON-RPC batch; None
    when either answer is missing (no pending block, no base fee, no such method: the one-by-one path
    with its fall-backs decides then)."""
    from mevcli.chain.batch import rpc_batch

    try:
        responses = rpc_batch(ctx.w3, FEE_REQUESTS, "fees")
    except Exception:  # a refused batch, a transport error: the one-by-one path tries (and reports)
        return None
    return _fee_and_tip(responses)


def _fee_and_tip(responses: Sequence[Any]) -> tuple[int, int] | None:
    """(base fee, tip) from the node's responses to `FEE_REQUESTS`; None when either is missing."""
    block, tip = responses
    result = block.get("result") if isinstance(block, dict) else None
    base_fee = result.get("baseFeePerGas") if isinstance(result, dict) else None
    priority = tip.get("result") if isinstance(tip, dict) else None
    if not isinstance(base_fee, str) or not isinstance(priority, str):
        return None
    return int(base_fee, 16), int(priority, 16)


def _base_tokens(ctx: AppContext, requested: Sequence[str]) -> list[str]:
    if requested:
        return [ctx.resolve_token(t) for t in requested]
    symbols = ctx.preset.base_tokens if ctx.preset and ctx.preset.base_tokens else DEVNET_BASE_TOKENS
    return [ctx.resolve_token(s) for s in symbols if s.upper() in ctx.token_symbols]


def check_base_tokens_are_contracts(
    ctx: AppContext, requested: Sequence[str], bases: Sequence[str], block: int
) -> None:
    """A requested base token must be a contract: an address without code is a typo or another chain's."""
    for text, address in zip(requested, bases, strict=True):
        if not ctx.w3.eth.get_code(address, block_identifier=block):
            raise UnknownToken(
                f"--base-token {_named(text, address)} is not a contract on chain {ctx.chain_id}"
            )


def check_base_tokens_are_pooled(
    requested: Sequence[str], bases: Sequence[str], states: Mapping[str, PoolState]
) -> None:
    """A requested base token must be in at least one of the pools scanned, or no cycle can start there."""
    pooled = {token for state in states.values() for token in pool_tokens(state)}
    for text, address in zip(requested, bases, strict=True):
        if address not in pooled:
            raise UnknownToken(
                f"--base-token {_named(text, address)} is in none of the {len(states)} pools scanned"
            )


def _named(text: str, address: str) -> str:
    return address if text.strip().lower() == address.lower() else f"{text} ({address})"


def _candidate_pools(
    ctx: AppContext, head: int, progress: Progress, hash_of: HashOf | None = None
) -> list[str]:
    """The manifest's, the config's and discovered pools (Uniswap V4 ones by id), but not the V4 pools the
    chain's DEXes list: `_listed_by_id` adds those."""
    listed = {p for d in ctx.dexes.dexes if d.kind == UNISWAP_V4 for p in d.pools}
    return [p for p in candidate_pools(ctx, head, progress, hash_of) if p not in listed]


def _listed_by_id(ctx: AppContext, dexes: Sequence[str]) -> list[str]:
    """Uniswap V4 pools (named by id) the chain's DEXes list: those of the DEXes `--dex` names, else all."""
    return sorted(
        p for d in ctx.dexes.dexes if d.kind == UNISWAP_V4 and (not dexes or d.name in dexes) for p in d.pools
    )


def scan_universe(
    ctx: AppContext, block: int, progress: Progress, dexes: Sequence[str], hash_of: HashOf | None = None
) -> list[PoolRef]:
    """The pools a scan at `block` reads, identified: the candidates and the listed V4 pools, only those of
    the DEXes `dexes` names (all when empty). `hash_of` reads the anchors of discovery and identities."""
    addresses = _candidate_pools(ctx, block, progress, hash_of) + _listed_by_id(ctx, dexes)
    cache = getattr(ctx, "reserve_cache", None)
    store = cache.store if cache else None
    creators = pool_discovery(ctx).created_by()
    refs = identify_known(ctx.dexes, ctx.multicall, addresses, block, store, creators, hash_of)
    return [r for r in refs if r.dex.name in dexes] if dexes else refs


def v4_managers(ctx: AppContext) -> list[str]:
    """The Uniswap V4 PoolManagers the chain's DEXes know, and the devnet manifest's or the chain
    preset's (`dex.uniswap_v4.deployments`): each is a fee-free flash lender."""
    from mevcli.dex.uniswap_v4.deployments import pool_manager

    known = {d.factory for d in ctx.dexes.dexes if d.kind == UNISWAP_V4 and d.factory}
    listed = pool_manager(ctx.manifest, ctx.preset.name if ctx.preset else None)
    return sorted(known | ({listed} if listed else set()))


def flash_venues(ctx: AppContext) -> tuple[str | None, str | None]:
    """The Balancer Vault and the Aave V3 pool to borrow from: the devnet manifest's, else the preset's."""
    manifest = ctx.manifest or {}
    vault = (manifest.get("balancer") or {}).get("vault") or (
        ctx.preset.balancer_vault if ctx.preset else None
    )
    aave = (manifest.get("aave_v3") or {}).get("pool") or (ctx.preset.aave_v3_pool if ctx.preset else None)
    return vault, aave


def v3_lenders(refs: Sequence[PoolRef], states: Mapping[str, PoolState]) -> list[tuple[str, str, str, int]]:
    """(pool, token0, token1, fee) of every pool with a state whose kind lends from its pools (Uniswap V3
    `flash`): the candidate flash lenders."""
    return [
        (r.address, states[r.address].token0, states[r.address].token1, states[r.address].fee)
        for r in refs
        if pools_lend(r.dex.kind) and r.address in states
    ]


def scan(ctx: AppContext, options: ScanOptions, progress: Progress) -> ScanReport:
    if not 2 <= options.max_hops <= 4:
        raise UsageError(f"--max-hops must be 2, 3 or 4 (got {options.max_hops})")
    l1_model = l1_fee_model(options.l1_fee_model, ctx.chain_config, ctx.preset)  # bad input fails first
    max_pools = configured_max_pools(ctx.settings.extra.get("scan", {}))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    block = ctx.w3.eth.block_number
    known = {d.name for d in ctx.dexes.dexes}
    unknown = [d for d in options.dexes if d not in known]
    if unknown:
        raise UsageError(f"unknown --dex {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    bases = _base_tokens(ctx, options.base_tokens)
    trusted = _token_policy(ctx)  # bad config fails before any work
    if options.base_tokens:
        check_base_tokens_are_contracts(ctx, options.base_tokens, bases, block)

    hash_of = remembered(block_hash_reader(ctx.w3))  # discovery's, identity's, verdicts' anchors: one read
    refs = scan_universe(ctx, block, progress, options.dexes, hash_of)
    timings["discovery_s"] = time.perf_counter() - started
    progress(f"reading {len(refs)} pools at block {block}")
    t = time.perf_counter()
    states = read_pool_states(ctx, refs, block)
    states = _filtered(ctx, states)
    timings["state_read_s"] = time.perf_counter() - t
    if options.base_tokens:
        check_base_tokens_are_pooled(options.base_tokens, bases, states)

    t = time.perf_counter()
    manifest = ctx.manifest or {}
    vault, aave = flash_venues(ctx)
    sources = _flash_sources(ctx, block, bases, vault, aave, v3_lenders(refs, states))
    gas_price = options.gas_price if options.gas_price is not None else _gas_price(ctx)
    native = manifest.get("weth") or (ctx.preset.weth if ctx.preset else None)
    if options.min_liquidity > 0:
        if native is None:
            raise UsageError("--min-liquidity needs the chain's wrapped native token (none known)")
        before = len(states)
        states = filter_min_liquidity(states, native_prices(states, native), options.min_liquidity)
        progress(f"{len(states)} of {before} pools hold at least {options.min_liquidity} wei of liquidity")
    if max_pools is not None and len(states) > max_pools:
        if native is None:
            raise UsageError("[scan] max_pools needs the chain's wrapped native token (none known)")
        before = len(states)
        states = deepest(states, native_prices(states, native), max_pools)
        progress(f"scanning the {len(states)} deepest of {before} pools ([scan] max_pools)")
    l1_fees = _l1_fees(ctx, l1_model, options.min_profit, refs, states, vault, block)
    timings["flash_and_gas_s"] = time.perf_counter() - t

    t = time.perf_counter()
    stats = FinderStats()
    progress(f"searching cycles of up to {options.max_hops} hops from {len(bases)} base tokens")
    opportunities = find_opportunities(
        FinderInput(
            chain_id=ctx.chain_id,
            block=block,
            states=states,
            dex_of={r.address: (r.dex.name, r.dex.kind) for r in refs},
            base_tokens=bases,
            flash_sources=sources,
            gas_price=gas_price,
            native_token=native,
            max_hops=options.max_hops,
            min_profit=options.min_profit,
            l1_fees=l1_fees,
            max_candidates=options.max_candidates,
        ),
        stats,
    )
    timings["search_s"] = time.perf_counter() - t
    t = time.perf_counter()
    opportunities = _plain_tokens_only(ctx, trusted, opportunities, refs, vault, block, progress, hash_of)
    timings["token_policy_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - started
    profitable = len(opportunities)
    if options.top is not None:
        opportunities = opportunities[: options.top]
    save_opportunities(
        ctx.settings.cache_dir, ctx.chain_id, opportunities, block=block, profitable=profitable
    )
    fees = {
        r.address: states[r.address].fee for r in refs if r.dex.kind == V3_KIND.name and r.address in states
    }
    return ScanReport(block, opportunities, stats, timings, profitable, fees)


def _token_policy(ctx: AppContext) -> set[str] | None:
    """`[scan] token_probe` and `trusted_tokens`: None when the probe is off, else the trusted tokens."""
    scan_config = ctx.settings.extra.get("scan", {})
    probe = scan_config.get("token_probe", True)
    if not isinstance(probe, bool):
        raise UsageError(f"invalid scan.token_probe {probe!r} in the config: expected true or false")
    listed = scan_config.get("trusted_tokens", [])
    if not isinstance(listed, list):
        raise UsageError(f"invalid scan.trusted_tokens {listed!r} in the config: expected a list of tokens")
    return trusted_tokens(ctx.resolve_token, scan_config) if probe else None


def _plain_tokens_only(
    ctx: AppContext,
    trusted: set[str] | None,
    opportunities: list[Opportunity],
    refs: Sequence[PoolRef],
    vault: str | None,
    block: int,
    progress: Progress,
    hash_of: HashOf | None = None,
) -> list[Opportunity]:
    """Drop routes through tokens that do not transfer like a plain ERC-20 (see `token_policy`);
    `hash_of` reads the verdicts' anchor blocks (default: from the chain)."""
    if not opportunities or trusted is None:
        return opportunities
    trusted = trusted | {NATIVE_CURRENCY}  # a V4 pool's native ETH runs no code on transfer
    balancer = {r.address.lower() for r in refs if r.dex.kind == BALANCER}
    # the PoolManager holding each V4 pool
    managers = {r.address.lower(): r.dex.factory for r in refs if r.dex.kind == UNISWAP_V4}
    kept, refused = routable(
        ctx.w3,
        VerdictStore(ctx.settings.cache_dir, ctx.chain_id, hash_of or block_hash_reader(ctx.w3)),
        opportunities,
        lambda pool: vault if pool.lower() in balancer else managers.get(pool.lower()),
        trusted,
        block,
        progress,
    )
    if refused:
        progress(
            f"{len(opportunities) - len(kept)} opportunities dropped: they route through "
            + ", ".join(f"{ctx.symbol_of(to_checksum_address(t))} ({v.reason})" for t, v in refused.items())
        )
    return kept


def _flash_sources(
    ctx: AppContext,
    block: int,
    bases: Sequence[str],
    vault: str | None,
    aave: str | None,
    v3_pools: list[tuple[str, str, str, int]],
) -> dict[str, list[FlashSource]]:
    """Flash-loan sources in one batch once the reserve cache remembers where lenders keep liquidity."""
    from mevcli.cache.identity import read_lender_book, write_lender_book

    cache = getattr(ctx, "reserve_cache", None)
    book = read_lender_book(cache.store) if cache is not None else {}
    known = dict(book)
    sources = read_flash_sources(ctx, book, block, bases, (vault, aave), v3_pools)
    if cache is not None and book != known:
        write_lender_book(cache.store, book)
    return sources


def read_flash_sources(
    ctx: AppContext,
    book: dict[str, str],
    block: int,
    bases: Sequence[str],
    venues: tuple[str | None, str | None],
    v3_pools: list[tuple[str, str, str, int]],
    mc: Multicall | None = None,
) -> dict[str, list[FlashSource]]:
    """`load_sources` from every venue a scan borrows from (`venues`: the Balancer Vault and the Aave
    pool, `flash_venues`), in one batch (through `mc`, default the context's: `watch` hands one whose
    answers rode with the head's logs); adds to the lender `book` (which the caller reads and writes)."""
    vault, aave = venues
    return load_sources(
        mc or ctx.multicall,
        block,
        bases,
        balancer_vault=vault,
        aave_pool=aave,
        v3_pools=v3_pools,
        v4_managers=v4_managers(ctx),
        lender_book=book,
    )


def _l1_fees(
    ctx: AppContext,
    model: str | None,
    min_profit: int,
    refs: Sequence[PoolRef],
    states: dict[str, PoolState],
    vault: str | None,
    block: int,
) -> L1Fees | None:
    """The rollup's L1 data fee per opportunity (wei), or None off rollups (see `arbitrage/l1fee.py`).

    Each opportunity is priced with the calldata `execute` would send: the same route, loan and hops,
    and a `minProfit` of its L2 gas cost plus `--min-profit` (execute's floor, less the L1 fee itself).
    """
    if model is None:
        return None
    oracle = L1FeeOracle(ctx.w3, ctx.multicall, model, ctx.chain_id, _executor(ctx), block)
    info = pool_info_of([r for r in refs if r.address in states], states)

    def fees(opportunities: Sequence[Opportunity]) -> dict[str, int]:
        priced: list[tuple[str, L1Query]] = []
        for o in opportunities:
            try:
                calldata = build_execute_call(o, info, o.gas_cost + min_profit, vault)
            except CalldataError:  # the executor cannot run it: no fee, and the finder drops it
                continue
            priced.append((o.id, L1Query(calldata, o.gas_units, o.gas_price)))
        wei = oracle.fees([q for _, q in priced])
        return {key: fee for (key, _), fee in zip(priced, wei, strict=True)}

    return fees


def _executor(ctx: AppContext) -> str:
    """The executor `execute` would call (config, else the deployments file), or a stand-in address."""
    return known_executor(ctx) or PLACEHOLDER_TO


def configured_max_pools(scan_config: Mapping[str, Any]) -> int | None:
    """`[scan] max_pools`: a positive whole number, or None when unset."""
    value = scan_config.get("max_pools")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"invalid scan.max_pools {value!r} in the config: expected an integer >= 1")
    return value


def _filtered(ctx: AppContext, states: dict[str, PoolState]) -> dict[str, PoolState]:
    """Apply the config's token allow / deny lists; leave out pools their kind cannot price (a V4 pool
    whose hook may change swaps)."""
    scan_config = ctx.settings.extra.get("scan", {})
    allow = {ctx.resolve_token(t) for t in scan_config.get("allow_tokens", [])}
    deny = {ctx.resolve_token(t) for t in scan_config.get("deny_tokens", [])}
    return {
        address: state
        for address, state in states.items()
        if not deny.intersection(pool_tokens(state))
        and (not allow or allow.issuperset(pool_tokens(state)))
        and kind_of(state).unpriced(state) is None
    }


def _store_path(cache_dir: Path, chain_id: int) -> Path:
    return cache_dir / "opportunities" / f"{chain_id}.json"


def save_opportunities(
    cache_dir: Path, chain_id: int, opportunities: Sequence[Opportunity], *, block: int, profitable: int
) -> None:
    """Keep exactly the opportunities this scan reported (its `--top N`), replacing the last scan's, so
    `simulate ID` / `execute ID` run what was shown and nothing else."""
    document = {
        "block": block,
        "profitable": profitable,
        "opportunities": {o.id: o.to_json() for o in opportunities},
    }
    write_json(_store_path(cache_dir, chain_id), document)


@dataclass(frozen=True, slots=True)
class StoredScan:
    """What the last scan kept: its block, how many it found, and the ones it reported by id."""

    block: int | None
    profitable: int
    opportunities: dict[str, Opportunity]


def load_stored_scan(cache_dir: Path, chain_id: int) -> StoredScan | None:
    try:
        data = json.loads(_store_path(cache_dir, chain_id).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if "opportunities" not in data:  # the older layout: id -> opportunity, accumulated over scans
        kept = {k: Opportunity.from_json(v) for k, v in data.items()}
        return StoredScan(None, len(kept), kept)
    kept = {k: Opportunity.from_json(v) for k, v in data["opportunities"].items()}
    return StoredScan(data.get("block"), int(data.get("profitable", len(kept))), kept)

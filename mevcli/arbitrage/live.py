"""`scan` kept across blocks, for `mevcli watch`: the ranking of each block from the pools it changed.

`LiveScan` selects the pools a `scan` would (the manifest's, the config's, discovery's; `--dex`; the
token allow/deny lists), takes their states from the watcher's cache snapshot, reads what a scan reads per
block (flash sources, the gas price, the L1 fee on a rollup) and hands the states to an
`IncrementalFinder`, told which pools changed. Its opportunities are then those of a `scan` at the same
block. Settings that choose pools by the whole market's depth (`[scan] max_pools`, `--min-liquidity`) or
cap the candidates (`max_candidates`) make every block a full scan instead.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from mevcli.arbitrage.discovery import identify_known
from mevcli.arbitrage.finder import FinderInput
from mevcli.arbitrage.flash import FlashSource
from mevcli.arbitrage.incremental import IncrementalFinder, UpdateStats
from mevcli.arbitrage.l1fee import l1_fee_model
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.arbitrage.scanner import (
    Progress,
    ScanOptions,
    _base_tokens,
    _candidate_pools,
    _filtered,
    _gas_price,
    _l1_fees,
    _listed_by_id,
    _plain_tokens_only,
    _token_policy,
    configured_max_pools,
    flash_venues,
    read_flash_sources,
    save_opportunities,
    scan,
    v3_lenders,
)
from mevcli.cache.identity import read_lender_book, write_lender_book
from mevcli.context import AppContext
from mevcli.dex.pools import PoolState
from mevcli.dex.registry import PoolRef


@dataclass(slots=True)
class _Reads:
    """A block's reads that need no pool state (the lenders' balances, the gas price), started while
    the cache catches up: `lenders` are the V3 lenders they were started for."""

    block: int
    lenders: list[tuple[str, str, str, int]]
    book: dict[str, str]  # the lender book the read adds to
    known: dict[str, str]  # the book before the read
    sources: Future
    gas: Future | None


class LiveScan:
    """One scan's settings, pools and finder state, carried from block to block."""

    def __init__(self, ctx: AppContext, options: ScanOptions, progress: Progress) -> None:
        self.ctx = ctx
        self.options = options
        self.progress = progress
        scan_config = ctx.settings.extra.get("scan", {})
        self.l1_model = l1_fee_model(options.l1_fee_model, ctx.chain_config, ctx.preset)
        self.full_scans = bool(
            configured_max_pools(scan_config) is not None
            or options.min_liquidity > 0
            or options.max_candidates is not None
        )
        self.bases = _base_tokens(ctx, options.base_tokens)
        self.trusted = _token_policy(ctx)
        self.vault, self.aave = flash_venues(ctx)
        manifest = ctx.manifest or {}
        self.native = manifest.get("weth") or (ctx.preset.weth if ctx.preset else None)
        self.refs: list[PoolRef] = []
        self.dex_of: dict[str, tuple[str, str]] = {}
        self.allowed: dict[str, bool] = {}  # pool -> passes the token allow/deny lists
        self.finder = IncrementalFinder()
        self.lenders: list[tuple[str, str, str, int]] = []  # the V3 lenders of the last ranking
        self.reader = ThreadPoolExecutor(max_workers=2, thread_name_prefix="watch-reads")
        self.ahead: _Reads | None = None

    @property
    def last(self) -> UpdateStats:
        return self.finder.last

    def refresh_pools(self, block: int) -> None:
        """The pools a scan at `block` would read (discovery is incremental: only new blocks)."""
        cache = self.ctx.reserve_cache
        addresses = _candidate_pools(self.ctx, block, self.progress) + _listed_by_id(
            self.ctx, self.options.dexes
        )
        refs = identify_known(self.ctx.dexes, self.ctx.multicall, addresses, block, cache.store)
        if self.options.dexes:
            refs = [r for r in refs if r.dex.name in self.options.dexes]
        self.refs = refs
        self.dex_of = {r.address: (r.dex.name, r.dex.kind) for r in refs}

    def rank(
        self, block: int, states: Mapping[str, PoolState], changed: Collection[str] | None
    ) -> list[Opportunity]:
        """The opportunities `scan` reports at `block` (its `top`), given the watcher's states there and
        the pools they changed since the last call (None: any)."""
        if self.full_scans:
            return scan(self.ctx, self.options, self.progress).opportunities
        if not self.refs:
            self.refresh_pools(block)
        ctx, options = self.ctx, self.options
        states = self._scanned(block, states)
        lenders = v3_lenders(self.refs, states)
        ahead, self.ahead = self.ahead, None
        if ahead is None or ahead.block != block or ahead.lenders != lenders:
            ahead = self._start_reads(block, lenders)  # not started, or for other lenders
        sources = ahead.sources.result()
        if ahead.book != ahead.known:
            write_lender_book(ctx.reserve_cache.store, ahead.book)
        gas_price = options.gas_price if ahead.gas is None else ahead.gas.result()
        self.lenders = lenders
        l1_fees = _l1_fees(ctx, self.l1_model, options.min_profit, self.refs, dict(states), self.vault, block)
        opportunities = self.finder.update(
            FinderInput(
                chain_id=ctx.chain_id,
                block=block,
                states=states,
                dex_of=self.dex_of,
                base_tokens=self.bases,
                flash_sources=sources,
                gas_price=gas_price,
                native_token=self.native,
                max_hops=options.max_hops,
                min_profit=options.min_profit,
                l1_fees=l1_fees,
            ),
            changed,
        )
        opportunities = _plain_tokens_only(
            ctx, self.trusted, opportunities, self.refs, self.vault, block, self.progress
        )
        profitable = len(opportunities)
        if options.top is not None:
            opportunities = opportunities[: options.top]
        save_opportunities(
            ctx.settings.cache_dir, ctx.chain_id, opportunities, block=block, profitable=profitable
        )
        return opportunities

    def prefetch(self, block: int) -> None:
        """Start `block`'s lender and gas reads (the V3 lenders of the last ranking) while the cache
        catches up; `rank` takes them when the lenders are still those, else reads again."""
        if not self.full_scans and self.refs:
            self.ahead = self._start_reads(block, self.lenders)

    def _start_reads(self, block: int, lenders: list[tuple[str, str, str, int]]) -> _Reads:
        """The flash sources at `block` (one batch; the lender book is read and written here, in the
        caller's thread, as the cache's store wants) and the gas price, in the background."""
        ctx = self.ctx
        book = read_lender_book(ctx.reserve_cache.store)
        known = dict(book)
        sources: Future[dict[str, list[FlashSource]]] = self.reader.submit(
            read_flash_sources, ctx, book, block, self.bases, (self.vault, self.aave), lenders
        )
        gas = self.reader.submit(_gas_price, ctx) if self.options.gas_price is None else None
        return _Reads(block, lenders, book, known, sources, gas)

    def _scanned(self, block: int, states: Mapping[str, PoolState]) -> dict[str, PoolState]:
        """The scan's pools at `block`: from `states`, else through the cache; allow/deny lists applied."""
        missing = [r for r in self.refs if r.address not in states]
        read = self.ctx.reserve_cache.get_states(missing, block) if missing else {}
        scanned: dict[str, PoolState] = {}
        for ref in self.refs:
            address = ref.address
            state = states.get(address) or read.get(address)
            if state is None:
                continue
            allowed = self.allowed.get(address)
            if allowed is None:
                allowed = self.allowed[address] = bool(_filtered(self.ctx, {address: state}))
            if allowed:
                scanned[address] = state
        return scanned

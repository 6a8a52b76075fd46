"""`scan` kept across blocks, for `mevcli watch`: the ranking of each block from the pools it changed.

`LiveScan` selects the pools a `scan` would (the manifest's, the config's, discovery's; `--dex`; the
token allow/deny lists), takes their states from the watcher's cache snapshot, reads what a scan reads per
block (flash sources, the gas price, the L1 fee on a rollup) and hands the states to an
`IncrementalFinder`, told which pools changed. Its opportunities are then those of a `scan` at the same
block. Settings that choose pools by the whole market's depth (`[scan] max_pools`, `--min-liquidity`) or
cap the candidates (`max_candidates`) make every block a full scan instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from mevcli.arbitrage.finder import FinderInput
from mevcli.arbitrage.incremental import IncrementalFinder, UpdateStats
from mevcli.arbitrage.l1fee import l1_fee_model
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.arbitrage.ranking import at_block
from mevcli.arbitrage.scanner import (
    FEE_REQUESTS,
    Progress,
    ScanOptions,
    _base_tokens,
    _filtered,
    _gas_price,
    _l1_fees,
    _plain_tokens_only,
    _token_policy,
    configured_max_pools,
    flash_venues,
    read_flash_sources,
    save_opportunities,
    scan,
    scan_universe,
    v3_lenders,
)
from mevcli.cache.anchor import HashOf, block_hash_reader
from mevcli.cache.identity import read_lender_book, write_lender_book
from mevcli.cache.riders import Answer, CallRecorder, PrefetchedMulticall, Riders
from mevcli.cache.sync import ChainMoved
from mevcli.context import AppContext
from mevcli.dex.pools import PoolState
from mevcli.dex.registry import PoolRef


class LatestWriter:
    """Writes off the caller's thread, in order, only the newest when several queue up; `flush` waits
    for the one in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None  # the last write's failure, raised by `flush`

    def put(self, write: Callable[[], None]) -> None:
        with self._lock:
            self._pending = write
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="watch-save", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                write, self._pending = self._pending, None
                if write is None:
                    self._thread = None
                    return
            try:
                write()
                self.error = None
            except Exception as exc:  # reported by `flush`
                self.error = exc

    def flush(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


@dataclass(slots=True)
class _Reads:
    """A block's reads that need no pool state (the lenders' balances, the gas price), asked before the
    cache catches up so that they ride with the head's logs (`riders`): `lenders` are the V3 lenders
    they were asked for."""

    block: int
    lenders: list[tuple[str, str, str, int]]
    book: dict[str, str]  # the lender book the read adds to
    riders: Riders
    multicall: PrefetchedMulticall  # the lenders' first round, asked
    gas: list[Answer] | None  # the node's responses to `FEE_REQUESTS`


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
        self.ref_of: dict[str, PoolRef] = {}
        self.dex_of: dict[str, tuple[str, str]] = {}
        self.allowed: dict[str, bool] = {}  # pool -> passes the token allow/deny lists
        self.scanned: dict[str, PoolState] = {}  # the scan's pools' states at the last ranking
        self.finder = IncrementalFinder()
        self.lenders: list[tuple[str, str, str, int]] = []  # the V3 lenders of the last ranking
        self.saver = LatestWriter()
        self.ahead: _Reads | None = None
        self.unsaved: tuple[int, list[Opportunity]] | None = None  # (block, shown) of a ranking to settle
        # (lenders, lender book) -> the calls of the flash sources' first round (they read no block)
        self.first_round: tuple[tuple[list, dict], list] | None = None

    def close(self) -> None:
        """Drop the reads asked ahead, settle the last ranking and finish saving it."""
        if self.ahead is not None:
            self.ahead.riders.cancel()
        self.ahead = None
        try:
            self.settle()
        finally:
            self.saver.flush()  # what was stored before stays stored

    @property
    def last(self) -> UpdateStats:
        return self.finder.last

    def refresh_pools(self, block: int) -> list[PoolRef]:
        """The pools a scan at `block` would read (discovery is incremental: only new blocks)."""
        refs = scan_universe(self.ctx, block, self.progress, self.options.dexes)
        self.refs = refs
        self.ref_of = {r.address: r for r in refs}
        self.dex_of = {r.address: (r.dex.name, r.dex.kind) for r in refs}
        self.scanned = {}  # rebuilt at the next ranking
        return refs

    def rank(
        self, block: int, states: Mapping[str, PoolState], changed: Collection[str] | None
    ) -> list[Opportunity]:
        """The opportunities `scan` reports at `block` (its `top`), given the watcher's states there and
        the pools they changed since the last call (None: any)."""
        if self.full_scans:
            return scan(self.ctx, self.options, self.progress).opportunities
        self.settle()  # the last head's, if its caller did not
        if not self.refs:
            self.refresh_pools(block)
        ctx, options = self.ctx, self.options
        states, moved = self._scanned(block, states, changed)
        lenders = v3_lenders(self.refs, states) if moved else self.lenders
        ahead, self.ahead = self.ahead, None
        if ahead is None or ahead.block != block or ahead.lenders != lenders:
            if ahead is not None:
                ahead.riders.cancel()
            ahead = self._start_reads(block, lenders, self._riders(block))  # not asked, or other lenders
        ahead.riders.flush()  # what did not ride with the logs
        if ahead.riders.replaced:  # the next head ranks every pool again
            raise ChainMoved(f"block {block} was replaced while its lenders were read")
        book, known = ahead.book, dict(ahead.book)
        sources = read_flash_sources(
            ctx, book, block, self.bases, (self.vault, self.aave), lenders, ahead.multicall
        )
        if book != known:
            write_lender_book(ctx.reserve_cache.store, book)
        gas_price = options.gas_price if ahead.gas is None else _gas_price(ctx, _answers(ahead.gas))
        self.lenders = lenders
        l1_fees = _l1_fees(ctx, self.l1_model, options.min_profit, self.refs, dict(states), self.vault, block)
        inp = FinderInput(
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
        )
        top = options.top
        if top is None:
            ranked = self._plain(self.finder.update_kept(inp, changed), block)
        else:
            # The head of the ranking first: the routes that cannot reach it are sized by `settle`.
            asked = top
            head = self.finder.update_top(inp, changed, asked)
            ranked = self._plain(head, block)
            while len(ranked) < top and len(head) == asked:  # the token policy dropped some: further
                asked *= 2
                head = self.finder.certain(asked)
                ranked = self._plain(head, block)
            ranked = ranked[:top]
        opportunities = [at_block(o, block) for o in ranked]  # only those shown: at this block
        self.unsaved = (block, opportunities)
        if not self.finder.pending:
            self.settle()
        return opportunities

    def settle(self) -> None:
        """Size what `rank` left for later (the routes that could not reach its head) and save the
        ranking with its count of opportunities; `watch` calls it once the head's line is out. A settle
        that raises (or is interrupted) is done again by the next one (`rank`'s, `close`'s): the shown
        head is what gets stored."""
        if self.unsaved is None:
            return
        block, shown = self.unsaved
        profitable = len(self._plain(self.finder.finish(), block))
        self.unsaved = None
        self.saver.put(
            lambda: save_opportunities(
                self.ctx.settings.cache_dir, self.ctx.chain_id, shown, block=block, profitable=profitable
            )
        )

    def _plain(self, ranked: list[Opportunity], block: int) -> list[Opportunity]:
        """`ranked` less the routes through tokens that do not transfer plainly (`_plain_tokens_only`)."""
        return _plain_tokens_only(
            self.ctx, self.trusted, ranked, self.refs, self.vault, block, self.progress, self._hash_of()
        )

    def _riders(self, block: int) -> Riders:
        """Riders of `block`, pinned to the hash the cache caught up to (its last processed block)."""
        riders = Riders(self.ctx.w3, block)
        point = self.ctx.reserve_cache.store.sync()
        if point is not None and point.block == block:
            riders.pin(block, point.block_hash)
        return riders

    def _hash_of(self) -> HashOf:
        """Block hashes for the token policy's anchors: the cache's checkpoints (canonical: the cache
        has just caught up to this head), else read from the chain."""
        read = block_hash_reader(self.ctx.w3)
        checkpoints: dict[int, str] | None = None

        def hash_of(number: int) -> str | None:
            nonlocal checkpoints
            if checkpoints is None:
                point = self.ctx.reserve_cache.store.sync()
                checkpoints = dict(point.checkpoints) if point else {}
            known = checkpoints.get(number)
            return known if known is not None else read(number)

        return hash_of

    def prefetch(self, block: int, riders: Riders) -> None:
        """Ask `block`'s lender and gas reads (the V3 lenders of the last ranking) to ride with the
        head's logs; `rank` takes them when the lenders are still those, else reads again."""
        if self.ahead is not None:
            self.ahead.riders.cancel()
            self.ahead = None
        if not self.full_scans and self.refs:
            self.ahead = self._start_reads(block, self.lenders, riders)

    def _start_reads(self, block: int, lenders: list[tuple[str, str, str, int]], riders: Riders) -> _Reads:
        """Ask, through `riders`, the flash sources' first round at `block` (the calls a dry run of the
        read makes, with a copy of the lender book; the same as the last head's while the lenders and the
        book are) and the gas price. Whatever the read asks that is not those calls is asked when it runs."""
        ctx = self.ctx
        book = read_lender_book(ctx.reserve_cache.store)
        asked = (lenders, book)
        if self.first_round is None or self.first_round[0] != asked:  # else the calls are the last head's
            recorder = CallRecorder(ctx.multicall)
            read_flash_sources(ctx, dict(book), block, self.bases, (self.vault, self.aave), lenders, recorder)
            self.first_round = ((list(lenders), dict(book)), recorder.calls or [])
        multicall = PrefetchedMulticall(ctx.multicall, self.first_round[1], block, riders)
        gas = None if self.options.gas_price is not None else [riders.ask(m, p) for m, p in FEE_REQUESTS]
        return _Reads(block, lenders, book, riders, multicall, gas)

    def _scanned(
        self, block: int, states: Mapping[str, PoolState], changed: Collection[str] | None
    ) -> tuple[dict[str, PoolState], bool]:
        """The scan's pools at `block`: from `states`, else through the cache; allow/deny lists applied.
        Only the `changed` pools are looked at again (all when None or on the first ranking). Also
        whether the set of pools moved (a pool joined or left)."""
        moved = changed is None or not self.scanned
        if moved:
            pools: Collection[str] = self.ref_of.keys()
            self.scanned = {}
        else:
            pools = [a for a in changed or () if a in self.ref_of]
        missing = [self.ref_of[a] for a in pools if a not in states]
        read = self.ctx.reserve_cache.get_states(missing, block) if missing else {}
        scanned = self.scanned
        for address in pools:
            state = states.get(address) or read.get(address)
            allowed = state is not None and self.allowed.get(address)
            if state is not None and allowed is None:
                allowed = self.allowed[address] = bool(_filtered(self.ctx, {address: state}))
            if allowed:
                moved = moved or address not in scanned
                scanned[address] = state
            elif scanned.pop(address, None) is not None:
                moved = True
        return scanned, moved


def _answers(answers: list[Answer]) -> list[Any] | None:
    """The node's responses; None when one could not be had (the caller asks again its own way)."""
    try:
        return [a.get() for a in answers]
    except Exception:
        return None

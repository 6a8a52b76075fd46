"""Pool discovery: factory creation events (`PairCreated`, `PoolCreated`, the Balancer Vault's
`PoolRegistered`, the Uniswap V4 PoolManager's `Initialize`) in chunked `eth_getLogs`, plus pools named by
the devnet manifest or the config. A V4 pool is found by its id, and the key its `Initialize` names
(currencies, fee, tick spacing, hooks: in no storage slot) is kept with it, so reading it never asks for
that event again.
What was found is kept in the cache dir, window by window, so the next run (even after a kill) only
scans blocks not yet answered. `eth_getLogs` windows adapt to the provider's limits (`mevcli.chain.logs`).
Progress is anchored to the chain it was read from (the head's hash of each run, see `cache.anchor`): after
a reorg, a devnet reloaded from a dump or a new devnet under the same chain id, progress rewinds to the
newest anchor still on the chain and the pools found above it are forgotten (each pool keeps its block).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from web3 import Web3

from mevcli.atomic import write_json
from mevcli.cache import anchor
from mevcli.cache.anchor import HashOf
from mevcli.chain.logs import MAX_WINDOW, LogWindow, log_windows
from mevcli.chain.multicall import Multicall
from mevcli.dex.balancer.kind import POOL_REGISTERED
from mevcli.dex.kinds import KINDS, kind_named
from mevcli.dex.registry import DexInfo, DexRegistry, PoolRef
from mevcli.dex.uniswap_v2.kind import PAIR_CREATED
from mevcli.dex.uniswap_v3.kind import POOL_CREATED
from mevcli.dex.uniswap_v4.deployments import POOL_MANAGERS, POOL_MANAGERS_DEPLOYED_AT

__all__ = ["PAIR_CREATED", "POOL_CREATED", "POOL_REGISTERED", "PoolDiscovery"]

if TYPE_CHECKING:
    from mevcli.cache.store import ReserveStore
    from mevcli.context import AppContext

LOG_CHUNK = 10_000
DEFAULT_LOOKBACK = 200_000  # blocks scanned on a chain's first discovery when no start block is set

PROGRESS_EVERY = 5.0  # seconds between discovery's progress lines within one factory


@dataclass(frozen=True, slots=True)
class SyncStep:
    """One answered `eth_getLogs` window of a discovery run, with the run's totals so far."""

    dex: str  # the DEX names of the factories asked together
    first: int
    last: int
    head: int
    blocks_done: int  # blocks covered so far in this run, over every group of factories
    blocks_total: int  # blocks this run has to cover
    pools: int  # pools known after this window


Progress = Callable[[str], None]
OnWindow = Callable[[SyncStep], None]
logger = logging.getLogger(__name__)


# Each kind's creation event, emitted by its DEX's factory (Balancer: the Vault).
_CREATION_TOPIC = {k.name: k.creation_topic for k in KINDS.values() if k.creation_topic}


def _pool_from_log(log: dict, kind: str) -> str:
    return kind_named(kind).pool_from_creation(log)


class PoolDiscovery:
    """Creation events of every known factory, from a start block to a head, kept in `state_path`.

    Each answered `eth_getLogs` window is appended to a journal next to the state file before the next
    one is asked for, so a run killed at any moment loses at most the window in flight; the next run
    replays the journal and continues from there. A finished run folds the journal into the state file.
    The window size learned from the provider's limits is kept too.
    """

    def __init__(
        self,
        w3: Web3,
        registry: DexRegistry,
        state_path: Path,
        from_block: int | None = None,
        deployed_at: Mapping[str, int] | None = None,
        hash_of: HashOf | None = None,
    ) -> None:
        """`from_block` applies to every factory; else `deployed_at` (factory or Vault address, any case,
        to its deployment block); else DEFAULT_LOOKBACK blocks before the head, said in the log.
        `hash_of` reads block hashes (default: from the node each time)."""
        self.hash_of = hash_of
        self.w3 = w3
        self.registry = registry
        self.state_path = state_path
        self.from_block = from_block
        self.deployed_at = {address.lower(): block for address, block in (deployed_at or {}).items()}

    @property
    def journal_path(self) -> Path:
        return self.state_path.with_suffix(".journal")

    def _load(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            state = {}
        if not isinstance(state, dict) or not isinstance(state.get("factories"), dict):
            state = {}
        state.setdefault("factories", {})
        pools = set(state.get("pools", []))
        anchors = anchor.load(state.get("anchors"))
        found_at: dict[str, int] = state.setdefault("found_at", {})
        try:
            lines = self.journal_path.read_text().splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                entry = json.loads(line)
                factory, last, found = entry["factory"], int(entry["to"]), entry["pools"]
                at_block, at_hash = entry["anchor"]
            except (ValueError, KeyError, TypeError):
                continue  # the line a killed run was writing (or one of an older format)
            if last > state["factories"].get(factory, -1):
                state["factories"][factory] = last
            pools.update(found)
            found_at.update(entry.get("found_at", {}))
            if at_hash is not None:
                anchors = anchor.load(anchor.added(anchors, int(at_block), str(at_hash)))
            state.setdefault("created_by", {}).update(dict.fromkeys(found, factory))
            state.setdefault("facts", {}).update(entry.get("facts", {}))
            state["window"] = entry.get("window", state.get("window"))
        state["pools"] = sorted(pools)
        state["anchors"] = [list(a) for a in anchors]
        return state

    def _rewound(self, state: dict, hash_of: HashOf) -> bool:
        """Forget what was read above the newest anchor still on the chain; True when anything was."""
        anchors = anchor.load(state["anchors"])
        through = anchor.valid_through(anchors, hash_of)
        found_at: dict[str, int] = state["found_at"]
        stale = [p for p in state["pools"] if found_at.get(p, through + 1) > through]
        behind = {f: min(done, through) for f, done in state["factories"].items() if done > through}
        if not stale and not behind:
            return False
        state["pools"] = [p for p in state["pools"] if p not in set(stale)]
        for pool in stale:
            found_at.pop(pool, None)
            state.get("created_by", {}).pop(pool, None)
            state.get("facts", {}).pop(pool, None)
        state["factories"] = {f: done for f, done in {**state["factories"], **behind}.items() if done >= 0}
        state["anchors"] = [[b, h] for b, h in anchors if b <= through]
        logger.info("discovery: the chain changed above block %d; scanning again from there", through)
        return True

    def _save(self, state: dict) -> None:
        write_json(self.state_path, state)
        self.journal_path.unlink(missing_ok=True)

    def _note(
        self,
        journal: TextIO,
        factory: str,
        last: int,
        found: Mapping[str, int],
        window: int,
        head: tuple[int, str | None],
        facts: Mapping[str, list] | None = None,
    ) -> None:
        entry = {
            "factory": factory,
            "to": last,
            "pools": sorted(found),
            "found_at": dict(found),
            "facts": {p: f for p, f in (facts or {}).items() if p in found},
            "window": window,
            "anchor": list(head),
        }
        journal.write(json.dumps(entry) + "\n")
        journal.flush()  # in the OS's hands before the next window: a killed process loses nothing

    def start_block(self, dex: DexInfo, head: int) -> int:
        """Where a factory with no progress yet starts (see `__init__`)."""
        if self.from_block is not None:
            return self.from_block
        deployed = self.deployed_at.get(dex.factory.lower())
        if deployed is not None:
            return deployed
        start = max(head - DEFAULT_LOOKBACK, 0)
        logger.warning(
            "%s: no deployment block known, discovering pools created in the last %d blocks only "
            "(from block %d); set [scan] discovery_from_block for more",
            dex.name,
            head - start,
            start,
        )
        return start

    def created_by(self) -> dict[str, str]:
        """Pool address -> the factory (or Vault) address, lower case, whose event announced it, as far as
        discovery has got (no RPC)."""
        return dict(self._load().get("created_by", {}))

    def remember_kept_facts(self) -> None:
        """Hand the creation facts discovery has kept so far (V4 keys) to their kinds, with no RPC."""
        self._remember_facts(self._load())

    def _remember_facts(self, state: dict) -> None:
        """Hand each pool's kept creation facts (a V4 pool's key) to its kind."""
        for pool, facts in state.get("facts", {}).items():
            dex = self.registry.by_factory.get(state["created_by"].get(pool, ""))
            if dex is not None:
                kind_named(dex.kind).remember_creation(dex.factory, pool, facts)

    def discover(
        self, head: int, progress: Progress | None = None, on_window: OnWindow | None = None
    ) -> list[str]:
        """Addresses of every pool the known factories created up to `head` (cached between runs).

        Factories that are behind by the same blocks share one `eth_getLogs` per window (their addresses
        and creation topics in one filter); a warm run with nothing new asks nothing. `progress` gets a
        line for a group's first and last window and at most every PROGRESS_EVERY seconds in between;
        `on_window` gets every answered window (for a progress bar)."""
        read_hash = self.hash_of or anchor.block_hash_reader(self.w3)
        head_hash = read_hash(head)  # None (a node behind `head`): this run anchors nothing

        def hash_of(number: int) -> str | None:
            return head_hash if number == head else read_hash(number)

        state = self._load()
        if self._rewound(state, hash_of):
            self._save(state)
        found_at: dict[str, int] = state["found_at"]
        pools: set[str] = set(state["pools"])
        created_by: dict[str, str] = state.setdefault("created_by", {})
        facts: dict[str, list] = state.setdefault("facts", {})
        self._remember_facts(state)
        window = LogWindow(size=int(state.get("window") or LOG_CHUNK), maximum=MAX_WINDOW)
        groups: dict[int, list[DexInfo]] = {}
        for dex in self.registry.dexes:
            if dex.kind in _CREATION_TOPIC:
                done = state["factories"].get(dex.factory.lower())  # a Balancer DEX's factory is its Vault
                start = done + 1 if done is not None else self.start_block(dex, head)
                groups.setdefault(start, []).append(dex)
        total = sum(max(head - start + 1, 0) for start in groups)
        covered = 0
        said = 0.0
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        with self.journal_path.open("a") as journal:
            for start, dexes in sorted(groups.items()):
                by_factory = {d.factory.lower(): d for d in dexes}
                names = ", ".join(d.name for d in dexes)
                topics = sorted({_CREATION_TOPIC[d.kind] for d in dexes})
                factories = [d.factory for d in dexes]
                for first, last, logs in log_windows(self.w3, factories, topics, start, head, window):
                    found: dict[str, dict[str, int]] = {key: {} for key in by_factory}
                    for log in logs:
                        key = str(log["address"]).lower()
                        dex = by_factory.get(key)
                        topic = "0x" + bytes(log["topics"][0]).hex() if log["topics"] else None
                        if dex is not None and topic == _CREATION_TOPIC[dex.kind]:
                            pool = _pool_from_log(log, dex.kind)
                            found[key][pool] = int(log["blockNumber"])
                            stated = kind_named(dex.kind).creation_facts(log)
                            if stated is not None and pool not in pools:
                                facts[pool] = stated
                    for key, created in found.items():
                        new = {p: b for p, b in created.items() if p not in pools}
                        pools.update(new)
                        found_at.update(new)
                        created_by.update(dict.fromkeys(new, key))
                        state["factories"][key] = last
                        self._note(journal, key, last, new, window.size, (head, head_hash), facts)
                    covered += last - first + 1
                    if on_window:
                        on_window(SyncStep(names, first, last, head, covered, total, len(pools)))
                    now = time.monotonic()
                    if progress and (first == start or last == head or now - said >= PROGRESS_EVERY):
                        said = now
                        progress(f"discovering {names} pools: blocks {first}..{last} of {head}")
                for key in by_factory:
                    state["factories"][key] = max(state["factories"].get(key, head), head)
        state["pools"] = sorted(pools)
        state["window"] = window.size
        if head_hash is not None:
            state["anchors"] = anchor.added(anchor.load(state["anchors"]), head, head_hash)
        self._save(state)
        return state["pools"]


def deployment_blocks(preset: object) -> dict[str, int]:
    """Factory (Vault, PoolManager) address to deployment block, for the preset's DEXes that state one."""
    blocks: dict[str, int] = {}
    for dex in getattr(preset, "dexes", {}).values():
        address = dex.factory or dex.vault
        if address and dex.deployed_at is not None:
            blocks[address.lower()] = dex.deployed_at
    name = str(getattr(preset, "name", ""))
    manager = POOL_MANAGERS.get(name)
    if manager is not None and name in POOL_MANAGERS_DEPLOYED_AT:
        blocks[manager.lower()] = POOL_MANAGERS_DEPLOYED_AT[name]
    return blocks


def pool_discovery(ctx: AppContext, hash_of: HashOf | None = None) -> PoolDiscovery:
    """The discovery of `ctx`'s chain: from block 0 on a devnet, from `[scan] discovery_from_block` when
    set, else from each factory's deployment block the preset knows; `hash_of` reads block hashes."""
    scan_config = ctx.settings.extra.get("scan", {})
    return PoolDiscovery(
        ctx.w3,
        ctx.dexes,
        ctx.settings.cache_dir / "discovery" / f"{ctx.chain_id}.json",
        from_block=0 if ctx.is_devnet else scan_config.get("discovery_from_block"),
        deployed_at=deployment_blocks(ctx.preset) if ctx.preset is not None else None,
        hash_of=hash_of,
    )


def identify_known(
    registry: DexRegistry,
    mc: Multicall,
    addresses: Sequence[str],
    block: int,
    store: ReserveStore | None = None,
    creators: Mapping[str, str] | None = None,
    hash_of: HashOf | None = None,
) -> list[PoolRef]:
    """PoolRefs for the addresses a known DEX vouches for and we can price; others are skipped, not
    fatal, in a scan (a Balancer Vault registers pools of kinds our math does not cover). With the
    reserve cache's `store`, each address is identified once per chain and remembered. `creators`
    (discovery's `created_by`) narrows the getters asked of each new pool (see `DexRegistry.classify`)."""
    if store is not None:
        from mevcli.cache.identity import PoolIdentities

        return PoolIdentities(store, registry, hash_of).identify(mc, addresses, block, creators=creators)
    return registry.classify(mc, addresses, block, creators=creators)[0]

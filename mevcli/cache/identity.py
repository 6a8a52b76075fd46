"""Pool identity, read once per chain: which DEX vouches for an address (its factory or Vault agreed),
or why none does. Kept in the reserve cache's store (`meta:identity`), so a warm run asks no factory,
no Vault and no pool getter again for an address it has seen.

What a pool's identity rests on never changes: a pool's factory, tokens, fee tier, Vault and pool id are
immutable, and so is a factory's answer to `getPair`/`getPool`. Refusals are kept too (an address no
known DEX vouches for, a Balancer pool of a kind we cannot price), tagged with the DEX set they were
judged against: a config naming another factory or Vault judges them again. A refusal because a probe
call failed (no code yet, a node error) is not kept. A factory's answer to a pool's name
(`quote --pool uniswap_v3:WETH/USDC:500`) is kept the same way.

Every row keeps the block it was judged at, and the store keeps anchors (see `cache.anchor`): before any
row is used, rows judged after the newest anchor still on the chain are dropped, so another chain under
the same chain id (a new devnet, one reloaded from a dump, a reorg) never inherits them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from mevcli.cache import anchor
from mevcli.cache.anchor import HashOf
from mevcli.cache.store import KEY_IDENTITY, KEY_LENDERS, ReserveStore
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Multicall
from mevcli.dex.registry import DexInfo, DexRegistry, PoolRef, canonical_pool
from mevcli.errors import UnknownPool


def registry_tag(registry: DexRegistry) -> str:
    """A short fingerprint of the DEX set: refusals judged against another set are judged again."""
    described = sorted(repr(sorted(asdict(d).items())) for d in registry.dexes)
    return hashlib.sha256("\n".join(described).encode()).hexdigest()[:16]


class PoolIdentities:
    """`identify` through the store: only addresses never seen on this chain cost RPC."""

    def __init__(self, store: ReserveStore, registry: DexRegistry, hash_of: HashOf | None = None) -> None:
        """`hash_of` reads a block's canonical hash (default: over the Multicall's node)."""
        self.store = store
        self.registry = registry
        self.tag = registry_tag(registry)
        self.hash_of = hash_of
        self._checked: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        """The stored rows still true on this chain (checked once per instance; stale rows dropped)."""
        if self._checked is not None:
            return self._checked
        assert self.hash_of is not None
        data = self.store.read_json(KEY_IDENTITY) or {}
        data = data if isinstance(data, dict) else {}
        anchors = anchor.load(data.get("anchors"))
        through = anchor.valid_through(anchors, self.hash_of)

        def holds(row: Any) -> bool:
            return isinstance(row, dict) and isinstance(row.get("at"), int) and row["at"] <= through

        pools = data.get("pools") if isinstance(data.get("pools"), dict) else {}
        names = data.get("names") if isinstance(data.get("names"), dict) else {}
        kept = {
            "anchors": [[b, h] for b, h in anchors if b <= through],
            "pools": {a: r for a, r in pools.items() if holds(r)},
            "names": {n: r for n, r in names.items() if holds(r)},
        }
        if len(kept["pools"]) != len(pools) or len(kept["names"]) != len(names) or (data and not anchors):
            with self.store.transact():
                self.store.write_json(KEY_IDENTITY, kept)
        self._checked = kept
        return kept

    def _rows(self) -> dict[str, Any]:
        return self._data()["pools"]

    def _ref(self, address: str, row: Any) -> PoolRef | bool | None:
        """The PoolRef a stored row names; False for a refusal still valid; None: judge again."""
        if not isinstance(row, dict):
            return None
        if "refused" in row:
            return False if row.get("tag") == self.tag else None
        if row.get("listed"):  # known by address (Curve): only while the DEX set still lists it
            dex = self.registry.by_pool.get(address.lower())
        else:
            dex = self.registry.by_factory.get(str(row.get("factory", "")).lower())
        return PoolRef(canonical_pool(address), dex) if dex is not None else None

    def identify(
        self,
        mc: Multicall,
        addresses: Sequence[str],
        block: int,
        *,
        strict: bool = False,
        creators: Mapping[str, str] | None = None,
    ) -> list[PoolRef]:
        """PoolRefs of the addresses a known DEX vouches for and we can price, in the given order; the
        others are skipped, or with `strict` the first raises UnknownPool (with the reason found)."""
        ordered = list(dict.fromkeys(canonical_pool(a) for a in addresses))
        if self.hash_of is None:
            self.hash_of = anchor.block_hash_reader(mc.w3)
        rows = self._rows()
        known: dict[str, PoolRef] = {}
        refused: dict[str, str] = {}
        new: list[str] = []
        for address in ordered:
            row = rows.get(address)
            ref = self._ref(address, row)
            if ref is None:
                new.append(address)
            elif ref is False:
                refused[address] = row["refused"]
            else:
                known[address] = ref
        if new:
            unsettled: set[str] = set()
            refs, fresh_refusals = self.registry.classify(mc, new, block, unsettled, creators)
            found = {r.address: r for r in refs}
            known.update(found)
            refused.update(fresh_refusals)
            settled = {a: r for a, r in fresh_refusals.items() if a not in unsettled}
            self._store(found, settled, block)
        if strict:
            for address in ordered:
                if address in refused:
                    raise UnknownPool(refused[address])
        return [known[a] for a in ordered if a in known]

    def named(self, name: str) -> str | None:
        """The pool a factory named for `name` (`<factory>:<token>/<token>:<fee>`), if asked before."""
        row = self._data()["names"].get(name)
        return str(row["address"]) if isinstance(row, dict) and "address" in row else None

    def remember_name(self, name: str, address: str, block: int) -> None:
        """A factory's answer for `name` at `block` (never changes once the pool exists)."""
        self._write({"names": {name: {"address": to_checksum_address(address), "at": block}}}, block)

    def _store(self, found: dict[str, PoolRef], refused: dict[str, str], block: int) -> None:
        rows = {address: {**_row(ref.dex), "at": block} for address, ref in found.items()}
        for address, reason in refused.items():
            rows[canonical_pool(address)] = {"refused": reason[:300], "tag": self.tag, "at": block}
        self._write({"pools": rows}, block)

    def _write(self, new: dict[str, dict[str, Any]], block: int) -> None:
        """Merge `new` rows judged at `block` into the checked rows, anchored at that block's hash."""
        assert self.hash_of is not None
        block_hash = self.hash_of(block)
        if block_hash is None:  # the block is gone (a reorg meanwhile): keep nothing
            return
        data = self._data()
        with self.store.transact():
            stored = self.store.read_json(KEY_IDENTITY)
            same_chain = isinstance(stored, dict) and anchor.load(stored.get("anchors")) == anchor.load(
                data["anchors"]
            )
            if same_chain:  # rows another process added meanwhile, judged on the same anchors
                data = {**data, **{k: v for k, v in stored.items() if isinstance(v, dict)}}
            for key, rows in new.items():
                data[key] = {**data.get(key, {}), **rows}
            data["anchors"] = anchor.added(anchor.load(data.get("anchors")), block, block_hash)
            self.store.write_json(KEY_IDENTITY, data)
        self._checked = data


def read_lender_book(store: ReserveStore) -> dict[str, str]:
    """Where flash lenders' liquidity is read on this chain (see `arbitrage.flash.load_sources`)."""
    book = store.read_json(KEY_LENDERS)
    return {str(k): str(v) for k, v in book.items()} if isinstance(book, dict) else {}


def write_lender_book(store: ReserveStore, book: dict[str, str]) -> None:
    store.write_json(KEY_LENDERS, book)


def _row(dex: DexInfo) -> dict[str, Any]:
    if dex.pools:  # known by address (Curve) or id (Uniswap V4): no factory to ask
        return {"listed": True}
    return {"factory": dex.factory}

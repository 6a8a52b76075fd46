"""Pool identity, read once per chain: which DEX vouches for an address (its factory or Vault agreed),
or why none does. Kept in the reserve cache's store (`meta:identity`), so a warm run asks no factory,
no Vault and no pool getter again for an address it has seen.

What a pool's identity rests on never changes: a pool's factory, tokens, fee tier, Vault and pool id are
immutable, and so is a factory's answer to `getPair`/`getPool`. Refusals are kept too (an address no
known DEX vouches for, a Balancer pool of a kind we cannot price), tagged with the DEX set they were
judged against: a config naming another factory or Vault judges them again. A chain that no longer has
any processed block of ours (a new devnet under the same chain id) drops everything (see `sync`).
A factory's answer to a pool's name (`quote --pool uniswap_v3:WETH/USDC:500`) is kept the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from eth_utils import to_checksum_address

from mevcli.cache.store import KEY_IDENTITY, KEY_LENDERS, ReserveStore
from mevcli.chain.multicall import Multicall
from mevcli.dex.registry import DexInfo, DexRegistry, PoolRef
from mevcli.errors import UnknownPool


def registry_tag(registry: DexRegistry) -> str:
    """A short fingerprint of the DEX set: refusals judged against another set are judged again."""
    described = sorted(repr(sorted(asdict(d).items())) for d in registry.dexes)
    return hashlib.sha256("\n".join(described).encode()).hexdigest()[:16]


class PoolIdentities:
    """`identify` through the store: only addresses never seen on this chain cost RPC."""

    def __init__(self, store: ReserveStore, registry: DexRegistry) -> None:
        self.store = store
        self.registry = registry
        self.tag = registry_tag(registry)

    def _rows(self) -> dict[str, Any]:
        data = self.store.read_json(KEY_IDENTITY) or {}
        return data.get("pools", {}) if isinstance(data, dict) else {}

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
        return PoolRef(to_checksum_address(address), dex) if dex is not None else None

    def identify(
        self, mc: Multicall, addresses: Sequence[str], block: int, *, strict: bool = False
    ) -> list[PoolRef]:
        """PoolRefs of the addresses a known DEX vouches for and we can price, in the given order; the
        others are skipped, or with `strict` the first raises UnknownPool (with the reason found)."""
        ordered = list(dict.fromkeys(to_checksum_address(a) for a in addresses))
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
            refs, fresh_refusals = self.registry.classify(mc, new, block)
            found = {r.address: r for r in refs}
            known.update(found)
            refused.update(fresh_refusals)
            self._store(found, fresh_refusals)
        if strict:
            for address in ordered:
                if address in refused:
                    raise UnknownPool(refused[address])
        return [known[a] for a in ordered if a in known]

    def named(self, name: str) -> str | None:
        """The pool a factory named for `name` (`<factory>:<token>/<token>:<fee>`), if asked before."""
        data = self.store.read_json(KEY_IDENTITY) or {}
        names = data.get("names", {}) if isinstance(data, dict) else {}
        return names.get(name) if isinstance(names, dict) else None

    def remember_name(self, name: str, address: str) -> None:
        """A factory's answer for `name` (never changes once the pool exists)."""
        with self.store.transact():
            data = self.store.read_json(KEY_IDENTITY) or {}
            data = data if isinstance(data, dict) else {}
            data.setdefault("names", {})[name] = to_checksum_address(address)
            self.store.write_json(KEY_IDENTITY, data)

    def _store(self, found: dict[str, PoolRef], refused: dict[str, str]) -> None:
        with self.store.transact():
            data = self.store.read_json(KEY_IDENTITY) or {}
            data = data if isinstance(data, dict) else {}
            rows = data.get("pools", {}) if isinstance(data.get("pools"), dict) else {}
            for address, ref in found.items():
                rows[address] = _row(ref.dex)
            for address, reason in refused.items():
                rows[to_checksum_address(address)] = {"refused": reason[:300], "tag": self.tag}
            data["pools"] = rows
            self.store.write_json(KEY_IDENTITY, data)


def read_lender_book(store: ReserveStore) -> dict[str, str]:
    """Where flash lenders' liquidity is read on this chain (see `arbitrage.flash.load_sources`)."""
    book = store.read_json(KEY_LENDERS)
    return {str(k): str(v) for k, v in book.items()} if isinstance(book, dict) else {}


def write_lender_book(store: ReserveStore, book: dict[str, str]) -> None:
    store.write_json(KEY_LENDERS, book)


def _row(dex: DexInfo) -> dict[str, Any]:
    if dex.pools:  # known by address (Curve): no factory to ask
        return {"listed": True}
    return {"factory": dex.factory}

"""Which logs the tracked pools follow, and fetching them: `eth_getLogs` filters built once per index.

A `LogFilter` is derived from the cache's index (every tracked pool's event model and log routes) and kept
while the index does not change, so a head's catch-up walks no per-pool structure. Logs of one block are
asked by its hash (EIP-234: exactly that block's logs, whatever the chain did meanwhile); with more
emitters than fit one filter, a short range is asked by topics alone (one request, not one per 500
addresses) and the logs of untracked emitters are dropped before they are decoded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mevcli.cache.events import MODELS, Log
from mevcli.cache.riders import Riders
from mevcli.chain.addresses import keccak
from mevcli.chain.batch import rpc_batch
from mevcli.chain.logs import ADDRESS_CHUNK, get_logs, normalise, topic_filter

if TYPE_CHECKING:
    from web3 import Web3

TOPICS_ONLY_RANGE = 64  # blocks: a range this short is asked by topics alone when the emitters are many


@dataclass(frozen=True, slots=True)
class LogFilter:
    filtered: tuple[str, ...]  # emitters whose logs are asked with the topic-0 filter
    topics: tuple[bytes, ...]
    unfiltered: tuple[str, ...]  # emitters every log of which is asked (the generic model)
    routes: Mapping[tuple[str, str | None], str]  # (lower-case emitter, topic 1 or None) -> pool
    emitters: frozenset[str]  # lower-case, both groups
    marks: tuple[tuple[tuple[int, int], ...], ...] = ()  # bloom bits of each topic 0 and unfiltered emitter

    @classmethod
    def of(cls, index: Mapping[str, Mapping[str, Any]]) -> LogFilter:
        filtered: set[str] = set()
        topics: set[bytes] = set()
        unfiltered: set[str] = set()
        routes: dict[tuple[str, str | None], str] = {}
        for address, row in index.items():
            model = MODELS[row["model"]]
            emitters = {emitter for emitter, _ in row["routes"]}
            if model.topics is None:
                unfiltered |= emitters
            else:
                filtered |= emitters
                topics.update(model.topics)
            for emitter, topic1 in row["routes"]:
                routes[(emitter.lower(), topic1)] = address
        values = [*topics, *(bytes.fromhex(e.lower().removeprefix("0x")) for e in unfiltered)]
        return cls(
            tuple(sorted(filtered)),
            tuple(sorted(topics)),
            tuple(sorted(unfiltered)),
            routes,
            frozenset(e.lower() for e in filtered | unfiltered),
            tuple(bloom_bits(v) for v in values),
        )

    def may_match(self, bloom: bytes) -> bool:
        """Whether a block whose logs bloom is `bloom` may hold a log this filter asks for (a bloom has
        no false negatives: False means there is none)."""
        return any(all(bloom[i] & mask for i, mask in bits) for bits in self.marks)

    def fetch(
        self, w3: Web3, start: int, end: int, end_hash: str | None = None, riders: Riders | None = None
    ) -> list[Log]:
        """The logs in [start, end] of the tracked emitters, in chain order; with `end_hash` and a
        one-block range, that block's logs asked by its hash (every filter group in one batch, and the
        `riders` waiting to go with it)."""
        groups = [(a, t) for a, t in ((self.filtered, self.topics), (self.unfiltered, None)) if a]
        logs: list[Log] = []
        if start == end and end_hash is not None:
            requests = [("eth_getLogs", [self._params(a, t, {"blockHash": end_hash})]) for a, t in groups]
            boarded = riders.board() if riders is not None else []
            sent = riders.resolved(boarded) if riders is not None else []
            try:
                responses = rpc_batch(w3, [*requests, *sent], "eth_getLogs")
            except BaseException:
                if riders is not None:
                    riders.unboard(boarded)  # they go on their own when wanted
                raise
            if riders is not None:
                riders.settle(boarded, sent, responses[len(requests) :])
            for response in responses[: len(requests)]:
                if "error" in response:
                    raise ValueError(response["error"])
                logs += self._kept(response.get("result") or ())
        else:
            for addresses, topics in groups:
                many = topics is not None and len(addresses) > ADDRESS_CHUNK
                if many and end - start < TOPICS_ONLY_RANGE:
                    logs += get_logs(w3, None, topics, start, end, keep=self._tracked)
                else:
                    logs += get_logs(w3, addresses, topics, start, end)
        logs.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
        return logs

    @staticmethod
    def _params(
        addresses: Sequence[str], topics: Sequence[bytes] | None, where: dict[str, Any]
    ) -> dict[str, Any]:
        """An `eth_getLogs` filter: by topics alone when the emitters would not fit one filter."""
        params = dict(where)
        if topics is None or len(addresses) <= ADDRESS_CHUNK:
            params["address"] = list(addresses)
        if topics:
            params["topics"] = topic_filter(topics)
        return params

    def _tracked(self, log: Any) -> bool:
        """Whether a log, as the node sent it, comes from a tracked emitter."""
        return str(log["address"]).lower() in self.emitters

    def _kept(self, raw: Sequence[Any]) -> list[Log]:
        return [normalise(log) for log in raw if self._tracked(log)]

    def route(self, logs: Sequence[Log]) -> dict[str, list[Log]]:
        """The logs of each tracked pool, in chain order; logs of no tracked pool are dropped."""
        routes = self.routes
        seen: set[tuple[int, int]] = set()
        by_pool: dict[str, list[Log]] = defaultdict(list)
        for log in logs:
            position = (log["blockNumber"], log["logIndex"])
            if position in seen:  # the same log fetched by two filter groups
                continue
            seen.add(position)
            emitter = log["address"].lower()
            pool = routes.get((emitter, None))
            if pool is None and len(log["topics"]) > 1:
                pool = routes.get((emitter, "0x" + log["topics"][1].hex()))
            if pool is not None:
                by_pool[pool].append(log)
        return by_pool


def bloom_bits(value: bytes) -> tuple[tuple[int, int], ...]:
    """(byte index, mask) of the three bits `value` sets in a 2048-bit logs bloom (M3:2048)."""
    digest = keccak(value)
    bits = [((digest[i] << 8) | digest[i + 1]) & 2047 for i in (0, 2, 4)]
    return tuple((255 - bit // 8, 1 << (bit % 8)) for bit in bits)

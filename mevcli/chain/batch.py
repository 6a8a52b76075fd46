"""One JSON-RPC batch for many requests, or one request at a time where the provider cannot batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mevcli.errors import RpcError

if TYPE_CHECKING:
    from web3 import Web3


def packed(sizes: Sequence[int], limit: int, most: int | None = None) -> list[list[int]]:
    """Indexes of `sizes` in consecutive groups of at most `limit` in all (and at most `most` items); an
    item larger than `limit` goes alone."""
    groups: list[list[int]] = []
    total = 0
    for i, size in enumerate(sizes):
        if groups and total + size <= limit and (most is None or len(groups[-1]) < most):
            groups[-1].append(i)
            total += size
        else:
            groups.append([i])
            total = size
    return groups


class BatchRefused(RpcError):
    """The node refused a JSON-RPC batch as a whole (too large, too many requests, no batching)."""


def rpc_batch(w3: Web3, requests: Sequence[tuple[str, list[Any]]], what: str) -> list[Any]:
    """The responses to `requests`, in their order, from one JSON-RPC batch (one round trip).

    Providers without batching (the websocket one once its node refused a batch) get them one by one. A
    batch the node refuses as a whole, or answers with the wrong number of responses, is `BatchRefused`
    naming `what`.
    Each response is returned as the node sent it (`result` or `error`): the caller judges them.
    """
    provider: Any = w3.provider
    make_batch = getattr(provider, "make_batch_request", None)
    responses = None
    if make_batch is not None and requests:
        try:
            responses = make_batch(list(requests))
        except NotImplementedError:
            responses = None
    if responses is None:
        return [provider.make_request(method, params) for method, params in requests]
    if not isinstance(responses, list) or len(responses) != len(requests):
        error = responses.get("error", responses) if isinstance(responses, dict) else responses
        raise BatchRefused(f"{what}: the node answered a batch with {str(error)[:300]}")
    return responses

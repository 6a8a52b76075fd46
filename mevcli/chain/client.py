"""Connect to an EVM node over HTTP or a websocket and check that it is the chain the operator asked for."""

from __future__ import annotations

from collections.abc import Sequence

from web3 import Web3

from mevcli.chain.failover import DEFAULT_RETRIES, FailoverHTTPProvider
from mevcli.errors import ChainMismatch, RpcError
from mevcli.redact import first_line, redact_url


def connect(rpc_urls: str | Sequence[str], timeout: float = 10.0, retries: int = DEFAULT_RETRIES) -> Web3:
    """A Web3 client verified to answer JSON-RPC (one `eth_chainId` round trip).

    HTTP(S) URLs share one fail-over provider (in the order given); a `ws://` URL is used on its own.
    """
    urls = (rpc_urls,) if isinstance(rpc_urls, str) else tuple(rpc_urls)
    if not urls:
        raise RpcError("no RPC URL given")
    if urls[0].startswith(("ws://", "wss://")):
        if len(urls) > 1:
            raise RpcError("a ws:// RPC URL cannot be combined with other URLs: pass one, or http(s) URLs")
        from mevcli.chain.ws import WebSocketSyncProvider

        w3 = Web3(WebSocketSyncProvider(urls[0], timeout))
    else:
        bad = [u for u in urls if not u.startswith(("http://", "https://"))]
        if bad:
            raise RpcError(
                f"unsupported RPC URL {redact_url(bad[0])!r}: expected http(s):// (several allowed) or one ws(s)://"
            )
        # The provider caches eth_chainId, which web3 asks before every eth_call, and nothing else (block
        # reads must stay live for reorgs).
        w3 = Web3(FailoverHTTPProvider(urls, timeout, retries))
    try:
        w3.eth.chain_id  # noqa: B018 - the call itself is the probe
    except Exception as exc:  # transport errors, non-JSON bodies, HTTP errors
        labels = [redact_url(u) for u in urls]
        where = labels[0] if len(labels) == 1 else f"any of {', '.join(labels)}"
        raise RpcError(f"cannot reach a JSON-RPC node at {where}: {first_line(exc)}") from exc
    return w3


def check_chain(w3: Web3, expected_chain_id: int, preset_name: str) -> int:
    actual = w3.eth.chain_id
    if actual != expected_chain_id:
        raise ChainMismatch(expected_chain_id, actual, preset_name)
    return actual


def answering_url(w3: Web3) -> str | None:
    """The URL that gave `w3`'s latest answer: after a fail-over, the one that answered, not the first."""
    provider = w3.provider
    if isinstance(provider, FailoverHTTPProvider):
        return provider.answered_url
    return getattr(provider, "url", None) or getattr(provider, "endpoint_uri", None)

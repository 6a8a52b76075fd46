"""Connect to an EVM node over HTTP or a websocket and check that it is the chain the operator asked for."""

from __future__ import annotations

from web3 import Web3
from web3.providers.rpc import HTTPProvider
from web3.types import RPCEndpoint

from mevcli.errors import ChainMismatch, RpcError


def connect(rpc_url: str, timeout: float = 10.0) -> Web3:
    """A Web3 client for `rpc_url`, verified to answer JSON-RPC (one `eth_chainId` round trip)."""
    if rpc_url.startswith(("ws://", "wss://")):
        from mevcli.chain.ws import WebSocketSyncProvider

        w3 = Web3(WebSocketSyncProvider(rpc_url, timeout))
    elif rpc_url.startswith(("http://", "https://")):
        # web3 validates every eth_call against eth_chainId (twice); a node's chain id never changes
        # under us, so cache that one answer and nothing else (block reads must stay live for reorgs).
        w3 = Web3(
            HTTPProvider(
                rpc_url,
                request_kwargs={"timeout": timeout},
                cache_allowed_requests=True,
                cacheable_requests={RPCEndpoint("eth_chainId")},
            )
        )
    else:
        raise RpcError(f"unsupported RPC URL {rpc_url!r}: expected http(s):// or ws(s)://")
    try:
        w3.eth.chain_id  # noqa: B018 - the call itself is the probe
    except Exception as exc:  # transport errors, non-JSON bodies, HTTP errors
        raise RpcError(f"cannot reach a JSON-RPC node at {rpc_url}: {_short(exc)}") from exc
    return w3


def check_chain(w3: Web3, expected_chain_id: int, preset_name: str) -> int:
    actual = w3.eth.chain_id
    if actual != expected_chain_id:
        raise ChainMismatch(expected_chain_id, actual, preset_name)
    return actual


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

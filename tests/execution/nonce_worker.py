"""One "host" sending `count` zero-value transfers from the key in $NONCE_WORKER_KEY, its nonces kept in
the backend given (a redis:// URL or a cache dir). Prints one JSON line per send: nonce and attempts."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.backend.redis_store import RedisBackend
from mevcli.execution.sender import FeePolicy, TxSender
from mevcli.execution.signer import from_private_key


def main() -> None:
    rpc_url, where, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
    signer = from_private_key(os.environ["NONCE_WORKER_KEY"])
    backend = RedisBackend(where) if where.startswith("redis://") else Path(where)
    sender = TxSender(w3, signer, backend, FeePolicy())
    print("ready", flush=True)
    sys.stdin.readline()  # both hosts start sending together
    for _ in range(count):
        before = sender.attempts
        _, receipt = sender.send({"to": signer.address, "value": 0, "data": b""}, gas=21_000)
        print(
            json.dumps(
                {"nonce": sender.nonce, "attempts": sender.attempts - before, "status": receipt["status"]}
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

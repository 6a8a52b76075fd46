"""The devnet's dumped node state, made small enough to load in seconds.

`anvil_dumpState` keeps every mined transaction with its receipt and its full call trace. The traces are
most of it (a contract creation's trace holds its init code and the code it returned: two thirds of a
5,000-pool market's ~650 MB), and nothing reads them back: the state, the blocks and the receipts (so
`eth_getLogs` over the deployment still answers) are what a restarted node needs.
"""

from __future__ import annotations

import gzip
import json

LOAD_TIMEOUT = 300.0  # seconds anvil may take to parse a large dumped state before it listens


def slim_state(dump_hex: str) -> bytes:
    """The gzip JSON state of an `anvil_dumpState` answer, without the transactions' call traces."""
    state = json.loads(gzip.decompress(bytes.fromhex(dump_hex.removeprefix("0x"))))
    for transaction in state.get("transactions") or []:
        info = transaction.get("info")
        if isinstance(info, dict) and "traces" in info:
            info["traces"] = []
    return gzip.compress(json.dumps(state, separators=(",", ":")).encode(), compresslevel=1)

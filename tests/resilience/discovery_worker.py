"""Pool discovery in its own process (so a test can SIGKILL it): prints the pools found as JSON.

python discovery_worker.py RPC_URL MANIFEST STATE_PATH
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mevcli.arbitrage.discovery import PoolDiscovery
from mevcli.chain.client import connect
from mevcli.dex.registry import DexRegistry


def main() -> None:
    rpc_url, manifest_path, state_path = sys.argv[1:4]
    manifest = json.loads(Path(manifest_path).read_text())
    w3 = connect(rpc_url, timeout=30.0)
    discovery = PoolDiscovery(w3, DexRegistry.from_manifest(manifest), Path(state_path), from_block=0)
    print(json.dumps(discovery.discover(w3.eth.block_number)), flush=True)


if __name__ == "__main__":
    main()

"""Two hosts (separate processes, separate cache dirs) send from one key through one Redis: every
transaction gets its own nonce on the first try, none is refused for a nonce another host took."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_sending import funded_account

WORKER = str(Path(__file__).with_name("nonce_worker.py"))
SENDS = 6


def test_two_hosts_one_key_use_distinct_nonces(snapshot, tmp_path, redis_url):
    chain = snapshot
    address, key = funded_account(chain)
    start = chain.w3.eth.get_transaction_count(address)
    env = {**os.environ, "NONCE_WORKER_KEY": key}
    hosts = [
        subprocess.Popen(
            [sys.executable, WORKER, chain.rpc_url, redis_url, str(SENDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    try:
        for process in hosts:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        for process in hosts:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=120) for process in hosts]
    finally:
        for process in hosts:
            process.kill()
    sends = []
    for process, (out, err) in zip(hosts, outputs, strict=True):
        assert process.returncode == 0, err
        assert key.removeprefix("0x") not in out + err
        sends += [json.loads(line) for line in out.splitlines()]
    assert len(sends) == 2 * SENDS and all(s["status"] == 1 for s in sends)
    nonces = sorted(s["nonce"] for s in sends)
    assert nonces == list(range(start, start + 2 * SENDS))  # distinct, no gap
    assert all(s["attempts"] == 1 for s in sends), sends  # no send lost a nonce race and resent
    assert chain.w3.eth.get_transaction_count(address) == start + 2 * SENDS

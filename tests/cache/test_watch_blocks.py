"""`mevcli watch --blocks N` over HTTP polling: each block is printed once and the heads counted right."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from processes import rest_of_output

MEVCLI = str(Path(sys.executable).with_name("mevcli"))


def test_watch_blocks_prints_each_block_once(snapshot, tmp_path):
    chain = snapshot
    env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    env.update(chain.cli_env(tmp_path / "cache"))
    args = ["--json", "watch", "--no-opportunities", "--poll-interval", "0.1", "--blocks", "2"]
    watch = subprocess.Popen(
        [MEVCLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        first = json.loads(watch.stdout.readline())  # the head at start, processed
        start = chain.w3.eth.block_number
        assert first["block"] == start
        time.sleep(1.0)  # several polls see the same head: none of them may print it again
        lines = [first]
        for _ in range(2):  # the next block only once watch has shown the last one: no poll can skip
            chain.w3.provider.make_request("evm_mine", [])
            lines.append(json.loads(watch.stdout.readline()))
        out, err = rest_of_output(watch, 60)
    finally:
        watch.kill()
    assert watch.returncode == 0, err
    lines += [json.loads(line) for line in out.splitlines()]
    assert "summary" in lines[-1], (lines, err)
    summary = lines.pop()["summary"]
    assert [line["block"] for line in lines] == [start, start + 1, start + 2]
    assert summary["heads"] == 3
    assert (summary["first_block"], summary["last_block"]) == (start, start + 2)
    assert "3 heads" in err

"""`mevcli devnet up|down|status`: one long-lived anvil with the seeded market, per cache dir.

The node's pid, port and manifest live under `<cache_dir>/devnet/`. A file lock serialises `up`, so two
cron jobs starting at once share one node instead of racing to start two.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.exceptions import BlockNotFound
from web3.providers.rpc import HTTPProvider

from mevcli.devnet.node import (
    AnvilNode,
    NodeError,
    pid_alive,
    pid_is_anvil,
    states_dir,
    terminate_pid,
)
from mevcli.errors import DevnetError


@dataclass(frozen=True, slots=True)
class DevnetInfo:
    rpc_url: str
    chain_id: int
    manifest: str
    pid: int
    port: int
    log: str
    reused: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def devnet_dir(cache_dir: Path) -> Path:
    return cache_dir / "devnet"


@contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    directory = devnet_dir(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_state(cache_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((devnet_dir(cache_dir) / "state.json").read_text())
    except (OSError, ValueError):
        return None


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def _healthy(state: dict[str, Any]) -> bool:
    """The recorded node is our anvil, answers, and still holds the deployed market."""
    pid = int(state.get("pid", 0))
    if not pid or not pid_alive(pid) or not pid_is_anvil(pid):
        return False
    try:
        w3 = Web3(HTTPProvider(state["rpc_url"], request_kwargs={"timeout": 2}))
        manifest = json.loads(Path(state["manifest"]).read_text())
        return w3.eth.chain_id == state["chain_id"] and len(w3.eth.get_code(manifest["weth"])) > 0
    except Exception:
        return False


def status(cache_dir: Path) -> DevnetInfo | None:
    state = _read_state(cache_dir)
    if state is None or not _healthy(state):
        return None
    return DevnetInfo(**{**state, "reused": True})


def up(cache_dir: Path, port: int = 0) -> DevnetInfo:
    """Start (or reuse) the devnet node and deploy the market on it."""
    from mevcli.devnet.market import deploy_market  # heavy imports only when deploying

    with _locked(cache_dir):
        state = _read_state(cache_dir)
        if state is not None:
            if _healthy(state) and (port in (0, state["port"])):
                return DevnetInfo(**{**state, "reused": True})
            _stop_recorded(state)
        directory = devnet_dir(cache_dir)
        log_path = directory / "anvil.log"
        try:
            node = AnvilNode.start(log_path, port, detached=True)
        except NodeError as exc:
            raise DevnetError(str(exc)) from exc
        try:
            w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))
            started = time.monotonic()
            manifest = deploy_market(w3)
            manifest["rpc_url"] = node.rpc_url
            manifest["block_hash"] = _block_hash(w3, manifest["block"])
            manifest["deploy_seconds"] = round(time.monotonic() - started, 3)
        except Exception as exc:
            node.stop()
            raise DevnetError(f"deploying the devnet market failed: {exc}") from exc
        manifest_path = directory / "manifest.json"
        _write_json_atomic(manifest_path, manifest)
        info = DevnetInfo(
            rpc_url=node.rpc_url,
            chain_id=manifest["chain_id"],
            manifest=str(manifest_path),
            pid=node.pid,
            port=node.port,
            log=str(log_path),
        )
        state_data = info.to_json()
        state_data.pop("reused")
        _write_json_atomic(directory / "state.json", state_data)
        return info


def _stop_recorded(state: dict[str, Any]) -> None:
    pid = int(state.get("pid", 0))
    if pid and pid_is_anvil(pid):
        terminate_pid(pid)


def down(cache_dir: Path) -> bool:
    """Stop the node `up` started (only that process). True if one was running."""
    with _locked(cache_dir):
        state = _read_state(cache_dir)
        if state is None:
            return False
        pid = int(state.get("pid", 0))
        running = bool(pid) and pid_alive(pid) and pid_is_anvil(pid)
        if running:
            terminate_pid(pid)
        shutil.rmtree(states_dir(devnet_dir(cache_dir) / "anvil.log"), ignore_errors=True)
        for name in ("state.json", "manifest.json"):
            (devnet_dir(cache_dir) / name).unlink(missing_ok=True)
        return running


def _block_hash(w3: Web3, number: int) -> str | None:
    block = w3.eth.get_block(number)
    return None if block is None else Web3.to_hex(block["hash"])


def holds_market(w3: Web3, manifest: dict[str, Any], running: DevnetInfo) -> bool:
    """Whether the node behind `w3` is the running devnet's chain, whatever URL reaches it: the same chain id
    and the same block hash where the market was deployed (so the same history, market included)."""
    try:
        if w3.eth.chain_id != manifest["chain_id"]:
            return False
        expected = manifest.get("block_hash")
        if expected is None:  # a manifest written before block hashes were recorded: ask the devnet
            expected = _block_hash(
                Web3(HTTPProvider(running.rpc_url, request_kwargs={"timeout": 5})), manifest["block"]
            )
        return expected is not None and _block_hash(w3, manifest["block"]) == expected
    except (KeyError, ValueError, BlockNotFound):
        return False


def load_manifest(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise DevnetError(f"cannot read devnet manifest {path}: {exc}") from exc

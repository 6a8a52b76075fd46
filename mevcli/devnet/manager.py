"""`mevcli devnet up|down|status`: one long-lived anvil with the seeded market, per cache dir.

The node's pid, port and manifest live under `<cache_dir>/devnet/`. A file lock serialises `up`, so two
cron jobs starting at once share one node instead of racing to start two.

Deploying the market takes a while (minutes with thousands of `--extra-pools`), so after a deployment the
node's whole state is dumped (`anvil_dumpState`) into `<cache_dir>/devnet-states/`, keyed by the number of
extra pools and a hash of what shapes the market (the market spec and the extra pools' plan, our artifacts,
the npm lock file, the anvil binary). The next `up` with the same key loads that state into a fresh node in
seconds. Remove that directory to force a fresh deployment.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mevcli.atomic import write_json
from mevcli.chain.light import LightRpc, block_or_none
from mevcli.devnet.dumped_state import LOAD_TIMEOUT, slim_state
from mevcli.devnet.node import (
    AnvilNode,
    NodeError,
    pid_alive,
    pid_is_anvil,
    states_dir,
    terminate_pid,
)
from mevcli.devnet.paths import node_bin
from mevcli.errors import DevnetError

if TYPE_CHECKING:
    from web3 import Web3


@dataclass(frozen=True, slots=True)
class DevnetInfo:
    rpc_url: str
    chain_id: int
    manifest: str
    pid: int
    port: int
    log: str
    reused: bool = False
    extra_pools: int = 0
    loaded_state: bool = False  # started from a dumped state rather than deployed

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
    write_json(path, data, indent=2)


def _healthy(state: dict[str, Any]) -> bool:
    """The recorded node is our anvil, answers, and still holds the deployed market."""
    pid = int(state.get("pid", 0))
    if not pid or not pid_alive(pid) or not pid_is_anvil(pid):
        return False
    try:
        w3 = LightRpc(state["rpc_url"], timeout=2, retries=0)
        manifest = json.loads(Path(state["manifest"]).read_text())
        return w3.eth.chain_id == state["chain_id"] and len(w3.eth.get_code(manifest["weth"])) > 0
    except Exception:
        return False


def status(cache_dir: Path) -> DevnetInfo | None:
    state = _read_state(cache_dir)
    if state is None or not _healthy(state):
        return None
    return DevnetInfo(**{**state, "reused": True})


def up(cache_dir: Path, port: int = 0, extra_pools: int = 0, log: Any = None) -> DevnetInfo:
    """Start (or reuse) the devnet node with the market and `extra_pools` more pools on it."""
    with _locked(cache_dir):
        state = _read_state(cache_dir)
        if state is not None:
            same_market = int(state.get("extra_pools", 0)) == extra_pools
            if same_market and _healthy(state) and (port in (0, state["port"])):
                return DevnetInfo(**{**state, "reused": True})
            _stop_recorded(state)
        directory = devnet_dir(cache_dir)
        log_path = directory / "anvil.log"
        dump = state_dump_path(cache_dir, extra_pools)
        started = time.monotonic()
        node, manifest = _start_from_dump(dump, log_path, port)
        loaded = node is not None
        if node is None:
            try:
                node = AnvilNode.start(log_path, port, detached=True)
            except NodeError as exc:
                raise DevnetError(str(exc)) from exc
            try:
                from web3 import Web3
                from web3.providers.rpc import HTTPProvider

                w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 600}))
                manifest = _deploy(w3, node.rpc_url, extra_pools, log)
                _save_dump(w3, dump, manifest)
            except Exception as exc:
                node.stop()
                raise DevnetError(f"deploying the devnet market failed: {exc}") from exc
        assert manifest is not None
        try:  # what recognises this node as the devnet, whatever URL reaches it (see holds_market)
            manifest["block_hash"] = _block_hash(LightRpc(node.rpc_url, timeout=30), manifest["block"])
        except Exception as exc:
            node.stop()
            raise DevnetError(f"reading the devnet's market block failed: {exc}") from exc
        manifest["rpc_url"] = node.rpc_url
        manifest["deploy_seconds"] = round(time.monotonic() - started, 3)
        manifest_path = directory / "manifest.json"
        _write_json_atomic(manifest_path, manifest)
        info = DevnetInfo(
            rpc_url=node.rpc_url,
            chain_id=manifest["chain_id"],
            manifest=str(manifest_path),
            pid=node.pid,
            port=node.port,
            log=str(log_path),
            extra_pools=extra_pools,
            loaded_state=loaded,
        )
        state_data = info.to_json()
        state_data.pop("reused")
        _write_json_atomic(directory / "state.json", state_data)
        return info


def _deploy(w3: Web3, rpc_url: str, extra_pools: int, log: Any) -> dict[str, Any]:
    from mevcli.devnet.market import deploy_market  # heavy imports only when deploying

    manifest = deploy_market(w3)
    if extra_pools:
        from mevcli.devnet.extra_pools import add_extra_pools

        manifest = add_extra_pools(w3, rpc_url, manifest, extra_pools, log or (lambda _: None))
    return manifest


def market_key(extra_pools: int) -> str:
    """A hash of what decides the deployed market: its spec, the extra pools' plan, the contract
    artifacts (ours and the npm lock file's), and the anvil binary that writes the dump."""
    from mevcli.devnet.extra_pools import plan_extra_pools

    package = Path(__file__).resolve().parent.parent
    files = [package / "devnet" / "market_spec.py", *sorted((package / "artifacts").glob("*.json"))]
    files.append(package.parent / "package-lock.json")
    digest = hashlib.sha256(repr(plan_extra_pools(extra_pools)).encode() if extra_pools else b"")
    for path in files:
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    anvil = node_bin("anvil")
    if anvil.exists():
        stat = anvil.stat()
        digest.update(f"anvil {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def state_dump_path(cache_dir: Path, extra_pools: int) -> Path:
    """Where the dumped node state (and its manifest, beside it) for this market is kept."""
    return cache_dir / "devnet-states" / f"market-{extra_pools}-{market_key(extra_pools)}.state.gz"


def _start_from_dump(dump: Path, log_path: Path, port: int) -> tuple[AnvilNode | None, dict[str, Any] | None]:
    """A node started on the dumped state and its manifest; (None, None) if there is no usable dump."""
    try:
        manifest = json.loads(dump.with_suffix(".manifest.json").read_text())
        state = gzip.decompress(dump.read_bytes())
    except (OSError, ValueError, EOFError, gzip.BadGzipFile):
        return None, None
    state_file = log_path.with_name("loaded-state.json")
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_bytes(state)
    try:
        node = AnvilNode.start(
            log_path, port, detached=True, extra_args=("--load-state", str(state_file)), timeout=LOAD_TIMEOUT
        )
    except NodeError:
        return None, None
    finally:
        state_file.unlink(missing_ok=True)
    try:
        w3 = LightRpc(node.rpc_url, timeout=30)
        if len(w3.eth.get_code(manifest["weth"])) > 0 and w3.eth.block_number >= manifest["block"]:
            return node, manifest
    except Exception:
        pass
    node.stop()
    return None, None


def _save_dump(w3: Web3, dump: Path, manifest: dict[str, Any]) -> None:
    """Keep the node's state (gzip JSON, as `anvil_dumpState` returns it) beside the market's manifest."""
    try:
        blob = w3.provider.make_request("anvil_dumpState", [])["result"]
        dump.parent.mkdir(parents=True, exist_ok=True)
        tmp = dump.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(slim_state(blob))
        _write_json_atomic(dump.with_suffix(".manifest.json"), manifest)
        os.replace(tmp, dump)
    except (OSError, KeyError, ValueError):
        return


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


def _block_hash(w3: Web3 | LightRpc, number: int) -> str | None:
    block = block_or_none(w3, number)
    return None if block is None else "0x" + bytes(block["hash"]).hex()


def holds_market(w3: Web3, manifest: dict[str, Any], running: DevnetInfo) -> bool:
    """Whether the node behind `w3` is the running devnet's chain, whatever URL reaches it: the same chain id
    and the same block hash where the market was deployed (so the same history, market included)."""
    try:
        if w3.eth.chain_id != manifest["chain_id"]:
            return False
        expected = manifest.get("block_hash")
        if expected is None:  # a manifest written before block hashes were recorded: ask the devnet
            expected = _block_hash(LightRpc(running.rpc_url, timeout=5, retries=0), manifest["block"])
        return expected is not None and _block_hash(w3, manifest["block"]) == expected
    except (KeyError, ValueError):
        return False


def load_manifest(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise DevnetError(f"cannot read devnet manifest {path}: {exc}") from exc

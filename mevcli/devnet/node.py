"""Run an anvil node: in the foreground of a test session, or detached for `mevcli devnet up`."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from mevcli.devnet.paths import node_bin

DEVNET_CHAIN_ID = 31337
_LISTENING = re.compile(r"Listening on ([0-9.]+):(\d+)")
# anvil moves old block states out of memory onto disk (by default under ~/.foundry/anvil/tmp, never
# removed when the node is killed: gigabytes per long test session). Ours go next to the node's log, are
# bounded, and are removed when the node stops. The window still covers any block a scan pins to.
MAX_PERSISTED_STATES = 512


def states_dir(log_path: Path) -> Path:
    """Where the node started with `log_path` keeps its persisted block states."""
    return log_path.with_name(log_path.stem + "-states")


class NodeError(RuntimeError):
    """anvil could not be started or stopped."""


@dataclass(slots=True)
class AnvilNode:
    pid: int
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        log_path: Path,
        port: int = 0,
        *,
        detached: bool = False,
        block_time: float | None = None,
        extra_args: tuple[str, ...] = (),
        timeout: float = 20.0,
    ) -> AnvilNode:
        """Start anvil and wait until it listens. `port=0` lets the OS choose a free port.

        Output goes to `log_path` (never a pipe: anvil logs every transaction and would block on a full
        pipe nobody reads). A detached node gets its own session so it outlives this process.
        """
        binary = node_bin("anvil")
        if not binary.exists():
            raise NodeError(f"anvil not found at {binary}; run scripts/setup.sh")
        args = [
            str(binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(DEVNET_CHAIN_ID),
            "--accounts",
            "10",
            "--balance",
            "1000000",
            "--gas-limit",
            "100000000",
            "--code-size-limit",
            "100000",  # Balancer's Vault and Aave's Pool exceed EIP-170 unoptimized
        ]
        states = states_dir(log_path)
        shutil.rmtree(states, ignore_errors=True)  # a previous node's, killed before it could clean up
        args += ["--cache-path", str(states), "--max-persisted-states", str(MAX_PERSISTED_STATES)]
        if block_time:
            args += ["--block-time", str(block_time)]
        args += list(extra_args)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=detached,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _LISTENING.search(log_path.read_text(errors="replace"))
            if match:
                return cls(pid=proc.pid, port=int(match.group(2)), log_path=log_path, process=proc)
            if proc.poll() is not None:
                raise NodeError(f"anvil exited with code {proc.returncode}: see {log_path}")
            time.sleep(0.02)
        proc.kill()
        raise NodeError(f"anvil did not start listening within {timeout:.0f}s: see {log_path}")

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        else:
            terminate_pid(self.pid, timeout)
        shutil.rmtree(states_dir(self.log_path), ignore_errors=True)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def pid_is_anvil(pid: int) -> bool:
    """True when `pid` runs an anvil binary (so we never signal an unrelated reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return os.path.basename(cmdline.decode(errors="replace")) == "anvil"


def terminate_pid(pid: int, timeout: float = 5.0) -> None:
    if not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)

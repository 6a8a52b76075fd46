"""`mevcli status --follow` in a real pseudo-terminal: the screen is redrawn in place, Ctrl-C ends it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from typer.testing import CliRunner

from mevcli.cli.app import app

MEVCLI = str(Path(sys.executable).with_name("mevcli"))
CURSOR_UP = "\x1b[1A"


def start(chain, cache: Path, *args: str) -> tuple[subprocess.Popen, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))  # 40 rows, 100 columns
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(chain.cli_env(cache), TERM="xterm")
    process = subprocess.Popen(
        [MEVCLI, "status", "--follow", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    return process, master


def read_until(master: int, process: subprocess.Popen, done, timeout: float = 60.0) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(seen.decode("utf-8", "replace")):
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    return seen.decode("utf-8", "replace")


def test_follow_redraws_in_place_and_stops_after_refreshes(chain, tmp_path):
    scan = CliRunner().invoke(app, ["scan", "--top", "2"], env=chain.cli_env(tmp_path / "cache"))
    assert scan.exit_code == 0, scan.stderr
    process, master = start(chain, tmp_path / "cache", "--interval", "0.3", "--refreshes", "3")
    try:
        screen = read_until(master, process, lambda text: "refresh 3 at" in text)
        assert process.wait(timeout=30) == 0
    finally:
        os.close(master)
    assert "refresh 1 at" in screen and "refresh 2 at" in screen and "refresh 3 at" in screen
    # Each refresh draws the whole screen; rich may repaint the last frame once more as the Live stops.
    assert screen.count("mevcli status") >= 3
    assert screen.count(CURSOR_UP) >= 2 * 10  # each redraw moves back over the previous frame
    head = f"{chain.w3.eth.block_number:,}"
    assert head in screen and "best net profit" in screen


def test_ctrl_c_ends_follow_cleanly(chain, tmp_path):
    process, master = start(chain, tmp_path / "cache", "--interval", "0.3")
    try:
        screen = read_until(master, process, lambda text: "refresh 2 at" in text)
        assert "refresh 2 at" in screen
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        rest = read_until(master, process, lambda _text: False, timeout=2)
    finally:
        os.close(master)
    assert "Traceback" not in screen + rest and "Error" not in screen + rest


def test_refreshes_without_follow_is_a_usage_error(chain, tmp_path):
    result = CliRunner().invoke(app, ["status", "--refreshes", "2"], env=chain.cli_env(tmp_path / "c"))
    assert result.exit_code != 0 and result.stderr.startswith("Error: --refreshes belongs to --follow")


def test_follow_with_json_is_a_usage_error(chain, tmp_path):
    result = CliRunner().invoke(app, ["status", "--follow", "--json"], env=chain.cli_env(tmp_path / "c"))
    assert result.exit_code != 0 and result.stderr.startswith("Error: --follow draws a screen")

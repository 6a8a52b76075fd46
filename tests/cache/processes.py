"""Reading a child process's output after some `readline()` calls.

`Popen.communicate()` reads the raw pipes, so lines a `readline()` already pulled into the text buffer
(a child that printed its last lines quickly) would be lost; `rest_of_output` reads through the buffer."""

from __future__ import annotations

import subprocess
import threading


def rest_of_output(process: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """Wait for `process` to exit (killing it after `timeout` seconds) and return the rest of its stdout
    and all of its stderr."""
    assert process.stdout is not None and process.stderr is not None
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.append(process.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    try:
        out = process.stdout.read()
        reader.join()
        process.wait()
    finally:
        timer.cancel()
    return out, "".join(errors)

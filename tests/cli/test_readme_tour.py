"""README.md's tour, run as written: every line of its ```sh tour blocks, in order, through the real entry
point against a fresh devnet in a private cache dir. A command that fails, or whose output lacks a field the
README names after `# →`, fails the test, so the README cannot drift from the tool."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MEVCLI = str(Path(sys.executable).with_name("mevcli"))
FENCE = re.compile(r"^```sh tour[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
FIELDS = re.compile(r"→\s*([\w.]+(?:\s*,\s*[\w.]+)*)")
ID = "<ID>"


@dataclass(frozen=True, slots=True)
class Step:
    line: str
    argv: tuple[str, ...]
    fields: tuple[str, ...]


def tour_steps(readme: str) -> list[Step]:
    """The commands of every ```sh tour block, with the JSON fields each one's comment promises."""
    steps = []
    for block in FENCE.findall(readme):
        for line in block.splitlines():
            command, _, comment = line.partition(" #")
            if not command.strip():
                continue
            match = FIELDS.search(comment)
            fields = tuple(f.strip() for f in match.group(1).split(",")) if match else ()
            steps.append(Step(line.strip(), tuple(shlex.split(command)), fields))
    return steps


def json_documents(stdout: str) -> list[Any]:
    """stdout as one JSON document or as JSON lines; a list stands for its elements."""
    try:
        documents = [json.loads(stdout)]
    except ValueError:
        documents = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    flat: list[Any] = []
    for document in documents:
        flat.extend(document if isinstance(document, list) else [document])
    return flat


def has_field(document: Any, path: str) -> bool:
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return False
        document = document[key]
    return True


def test_tour_is_marked_and_starts_the_devnet():
    steps = tour_steps((ROOT / "README.md").read_text())
    assert len(steps) >= 8, "README.md lost its ```sh tour block"
    assert steps[0].argv[:3] == ("mevcli", "devnet", "up")
    assert steps[-1].argv[:3] == ("mevcli", "devnet", "down")
    assert all(step.argv[0] == "mevcli" for step in steps)


def test_readme_tour_runs_as_written(tmp_path):
    steps = tour_steps((ROOT / "README.md").read_text())
    cache = tmp_path / "cache"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ETH_RPC_URL", "MEVCLI_", "ETH_KEYSTORE"))
    }
    env.pop("CHAIN", None)
    env["MEVCLI_CACHE_DIR"] = str(cache)
    last_id: str | None = None
    try:
        for step in steps:
            argv = list(step.argv)
            if ID in argv:
                assert last_id is not None, f"{step.line!r} needs an id, but no `scan --json` printed one"
                argv = [last_id if a == ID else a for a in argv]
            result = subprocess.run(
                [MEVCLI, *argv[1:]], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
            )
            where = f"README tour step {step.line!r}"
            assert result.returncode == 0, f"{where} exited {result.returncode}: {result.stderr.strip()}"
            assert "Traceback" not in result.stderr, where
            if step.fields:
                documents = json_documents(result.stdout)
                missing = [f for f in step.fields if not any(has_field(d, f) for d in documents)]
                assert not missing, f"{where}: output lacks {missing}"
            if argv[1] == "scan" and "--json" in argv:
                found = json_documents(result.stdout)
                assert found, f"{where}: the devnet's planted opportunities were not found"
                last_id = found[0]["id"]
    finally:
        subprocess.run([MEVCLI, "devnet", "down"], capture_output=True, env=env, timeout=60)

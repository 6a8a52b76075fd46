"""Compile our Solidity contracts with the pinned solcjs and ship the artifacts as package data.

`python -m mevcli.devnet.solc` writes `mevcli/artifacts/<Contract>.json`; `--check` compiles to memory
and fails if a committed artifact differs from its source (CI runs this).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mevcli.devnet.paths import REPO_ROOT, node_bin

CONTRACTS_DIR = REPO_ROOT / "contracts"
ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "artifacts"
OPTIMIZER_RUNS = 200


def _sources() -> dict[str, dict[str, str]]:
    files = sorted(p for p in CONTRACTS_DIR.rglob("*.sol"))
    return {str(p.relative_to(REPO_ROOT)): {"content": p.read_text()} for p in files}


def compile_contracts() -> dict[str, dict]:
    """Run solcjs in standard-JSON mode; return {contract name: artifact}."""
    sources = _sources()
    request = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "viaIR": False,
            "evmVersion": "cancun",
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }
    # solcjs ends with process.exit() right after printing: through a pipe, output beyond the 64 KiB
    # pipe buffer can be lost. A file receives every byte. The request goes in through a file too:
    # solcjs reads stdin with one readFileSync, which fails with EAGAIN on a pipe the writer has not
    # filled yet (seen on a clean clone).
    with tempfile.TemporaryFile(mode="w+") as request_file, tempfile.TemporaryFile(mode="w+") as out:
        request_file.write(json.dumps(request))
        request_file.seek(0)
        completed = subprocess.run(
            [
                str(node_bin("solcjs")),
                "--standard-json",
                "--base-path",
                str(REPO_ROOT),
                "--include-path",
                str(REPO_ROOT / "node_modules"),
            ],
            stdin=request_file,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            cwd=REPO_ROOT,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"solcjs exited with {completed.returncode}: {completed.stderr.strip()}")
        out.seek(0)
        stdout = out.read()
    # solcjs may print warnings before the JSON document.
    output = json.loads(stdout[stdout.index("{") :])
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    artifacts: dict[str, dict] = {}
    for source_path, contracts in output["contracts"].items():
        if not source_path.startswith("contracts/"):
            continue  # imported library code (OpenZeppelin) is not shipped on its own
        source_hash = hashlib.sha256(sources[source_path]["content"].encode()).hexdigest()
        for name, data in contracts.items():
            bytecode = data["evm"]["bytecode"]["object"]
            if not bytecode:
                continue  # interfaces and abstract contracts
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_path,
                "sourceSha256": source_hash,
                "abi": data["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
            }
    return artifacts


def _render(artifact: dict) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


Compile = Callable[[], dict[str, dict]]


def write_artifacts(compile_all: Compile = compile_contracts) -> list[str]:
    """Compile (`compile_all`: Solidity by default) and write every artifact; their names."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    artifacts = compile_all()
    for name, artifact in artifacts.items():
        (ARTIFACTS_DIR / f"{name}.json").write_text(_render(artifact))
    return sorted(artifacts)


def check_artifacts(compile_all: Compile = compile_contracts) -> list[str]:
    """Names of shipped artifacts that are missing or differ from a fresh compile."""
    stale = []
    for name, artifact in compile_all().items():
        path = ARTIFACTS_DIR / f"{name}.json"
        if not path.exists() or path.read_text() != _render(artifact):
            stale.append(name)
    return stale


def build_main(argv: list[str], compile_all: Compile, module: str, what: str) -> int:
    """`python -m <module> [--check]`: write the artifacts; with `--check` compare them (exit 1: stale)."""
    if "--check" in argv:
        stale = check_artifacts(compile_all)
        if stale:
            print(f"Error: artifacts out of date: {', '.join(stale)} (run python -m {module})")
            return 1
        print(f"{what} match sources")
        return 0
    print("compiled:", ", ".join(write_artifacts(compile_all)))
    return 0


if __name__ == "__main__":
    sys.exit(build_main(sys.argv[1:], compile_contracts, "mevcli.devnet.solc", "artifacts"))

"""scripts/deploy-multi-dex.sh against the anvil devnet: dry run, broadcast with a keystore, re-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eth_account import Account

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "deploy-multi-dex.sh"
MEVCLI = str(Path(sys.executable).with_name("mevcli"))
ANVIL_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil account 1


def run(chain, cache: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ETH_RPC_URL", "MEVCLI_", "CHAIN"))}
    base.update(MEVCLI=MEVCLI, MEVCLI_CACHE_DIR=str(cache), MEVCLI_MANIFEST=str(chain.manifest_path), **env)
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=base, cwd=cache.parent, timeout=180
    )


def rows(output: str) -> dict[str, list[str]]:
    lines = output.strip().splitlines()
    assert lines[0].split() == ["CHAIN", "STATUS", "ADDRESS", "GAS", "DETAIL"]
    return {line.split()[0]: line.split() for line in lines[1:]}


def test_dry_run_plans_and_deploys_nothing(snapshot, tmp_path):
    chain = snapshot
    cache = tmp_path / "cache"
    nonce = chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0])
    block = chain.w3.eth.block_number
    result = run(chain, cache, "devnet", ETH_RPC_URL_DEVNET=chain.rpc_url)
    assert result.returncode == 0, result.stderr
    row = rows(result.stdout)["devnet"]
    assert row[1] == "planned" and row[2] == "-" and int(row[3]) > 100_000
    assert chain.rpc_url not in result.stdout + result.stderr  # URLs are never printed
    assert chain.w3.eth.block_number == block
    assert chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0]) == nonce
    assert not (cache / "deployments").exists()


def test_broadcast_with_keystore_then_rerun_reports_existing(snapshot, tmp_path):
    chain = snapshot
    cache = tmp_path / "cache"
    keystore = tmp_path / "deployer.json"
    keystore.write_text(json.dumps(Account.encrypt(ANVIL_KEY_1, "correct horse")))
    password = tmp_path / "password"
    password.write_text("correct horse\n")
    # The chain comes from the config file: [chains.local] with its RPC URL and preset name.
    config = tmp_path / "mevcli.toml"
    config.write_text(f'[chains.local]\nrpc_url = "{chain.rpc_url}"\nchain = "devnet"\n')
    keys = ("--keystore", str(keystore), "--password-file", str(password))

    first = run(chain, cache, "--broadcast", "--config", str(config), *keys)
    assert first.returncode == 0, first.stdout + first.stderr
    row = rows(first.stdout)["local"]
    assert row[1] == "deployed"
    address = row[2]
    assert len(bytes(chain.w3.eth.get_code(address))) > 1000
    deployments = json.loads((cache / "deployments" / "31337.json").read_text())
    assert deployments["ArbExecutor"]["address"] == address
    assert deployments["ArbExecutor"]["deployer"] == Account.from_key(ANVIL_KEY_1).address
    assert "correct horse" not in first.stdout + first.stderr

    block = chain.w3.eth.block_number
    again = run(chain, cache, "--broadcast", "--config", str(config), *keys)
    assert again.returncode == 0, again.stderr
    assert rows(again.stdout)["local"][1:3] == ["existing", address]
    assert chain.w3.eth.block_number == block  # nothing sent the second time


def test_a_failing_chain_fails_the_run(snapshot, tmp_path):
    chain = snapshot
    result = run(
        chain,
        tmp_path / "cache",
        "devnet",
        "base",
        ETH_RPC_URL_DEVNET=chain.rpc_url,
        ETH_RPC_URL_BASE=chain.rpc_url,  # a devnet node is not Base: mevcli refuses the chain id
    )
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["devnet"][1] == "planned"
    assert table["base"][1] == "failed"
    assert chain.rpc_url not in result.stdout
    none = run(chain, tmp_path / "cache", "arbitrum")
    assert none.returncode == 1 and "ETH_RPC_URL_ARBITRUM" in none.stdout

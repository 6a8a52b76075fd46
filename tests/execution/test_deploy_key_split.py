"""`deploy balancer` keeps the owner (cold) and the executor (hot) apart: refused off the devnet when they
would be the same key, a warning on the devnet. The node plays Arbitrum by changing its chain id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()
HOT_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil account 1
HOT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
COLD = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # anvil account 3
ARBITRUM = 42161


@pytest.fixture
def arbitrum(chain) -> Iterator[None]:
    original = chain.w3.eth.chain_id
    chain.w3.provider.make_request("anvil_setChainId", [ARBITRUM])
    try:
        yield
    finally:
        chain.w3.provider.make_request("anvil_setChainId", [original])


def deploy(chain, tmp_path, *args: str):
    return runner.invoke(app, ["deploy", "balancer", *args], env=chain.cli_env(tmp_path / "cache"))


@pytest.mark.parametrize(
    "args",
    [
        ("--private-key", HOT_KEY),
        ("--private-key", HOT_KEY, "--owner", HOT),
        ("--owner", COLD, "--executor", COLD),
    ],
    ids=["defaults", "owner-is-signer", "both-flags"],
)
def test_same_owner_and_executor_refused_off_the_devnet(chain, arbitrum, tmp_path, args):
    before = chain.w3.eth.block_number
    result = deploy(chain, tmp_path, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: owner and executor would be the same key"), lines
    assert "--owner" in lines[0] and "Traceback" not in result.output
    assert chain.w3.eth.block_number == before
    assert not (tmp_path / "cache" / "deployments").exists()


def test_cold_owner_accepted_off_the_devnet(chain, arbitrum, tmp_path):
    result = deploy(chain, tmp_path, "--private-key", HOT_KEY, "--owner", COLD)
    assert result.exit_code == 0, result.stderr
    assert f"owner {COLD}, executor {HOT}" in result.stdout
    assert "warning" not in result.stderr


def test_same_key_warns_on_the_devnet(chain, tmp_path):
    result = deploy(chain, tmp_path, "--private-key", HOT_KEY)
    assert result.exit_code == 0, result.stderr
    assert f"owner {HOT}, executor {HOT}" in result.stdout
    assert "warning: owner and executor are the same key" in result.stderr

"""Keys and sending through the CLI on anvil: keystores and raw keys (never shown anywhere), the nonce
store's resync (once, only on a nonce problem), fee caps that refuse before signing, and confirmations."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account
from hook_proxy import hook_proxy
from test_cli_flow import _balance
from test_watch_execute import mining
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()
ETHER = 10**18


def run(env: dict[str, str], *args: str, expect: int | None = 0) -> tuple[dict, str]:
    """(stdout JSON, stdout + stderr) of a --json command; `expect` is the exit code (None: any)."""
    result = runner.invoke(app, [*args, "--json"], env=env)
    shown = [
        ("<key>" if before == "--private-key" else a) for before, a in zip(("", *args), args, strict=False)
    ]
    assert expect is None or result.exit_code == expect, (shown, result.stdout, result.stderr)
    data = json.loads(result.stdout) if result.stdout.strip() else {}
    return data, result.stdout + result.stderr


def funded_account(chain) -> tuple[str, str]:
    """(address, private key hex without 0x) of a fresh account holding 100 ETH."""
    account = Account.create()
    chain.w3.provider.make_request("anvil_setBalance", [account.address, hex(100 * ETHER)])
    return account.address, account.key.hex().removeprefix("0x")


def self_transfer(chain, key: str) -> None:
    """A transaction from the key's account that mevcli does not know about."""
    account = Account.from_key(key)
    tx = {
        "to": account.address,
        "value": 0,
        "gas": 21_000,
        "maxFeePerGas": 10 * 10**9,
        "maxPriorityFeePerGas": 1,
        "chainId": chain.w3.eth.chain_id,
        "nonce": chain.w3.eth.get_transaction_count(account.address, "pending"),
    }
    chain.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)


def assert_key_absent(key: str, texts: list[str], cache: Path) -> None:
    stored = [p.read_text(errors="replace") for p in cache.rglob("*") if p.is_file() and p.suffix != ".db"]
    for text in texts + stored:
        assert key.lower() not in text.lower()


def disjoint(opportunities: list[dict], count: int) -> list[dict]:
    chosen: list[dict] = []
    for o in opportunities:
        if all(not set(o["pools"]) & set(c["pools"]) for c in chosen):
            chosen.append(o)
    assert len(chosen) >= count
    return chosen[:count]


def test_keystore_from_env_with_password_file_and_wrong_password(snapshot, tmp_path):
    chain = snapshot
    address, key = funded_account(chain)
    keystore = tmp_path / "keystore.json"
    keystore.write_text(json.dumps(Account.encrypt(key, "correct horse")))
    password, wrong = tmp_path / "password", tmp_path / "wrong"
    password.write_text("correct horse\n")
    wrong.write_text("battery staple\n")
    cache = tmp_path / "cache"
    env = {**chain.cli_env(cache), "ETH_KEYSTORE": str(keystore)}
    outputs = []

    deployed, out = run(env, "deploy", "balancer", "--broadcast", "--password-file", str(password))
    outputs.append(out)
    assert deployed["owner"] == deployed["executor"] == deployed["deployer"] == address
    best, out = run(env, "scan")
    done, out = run(env, "execute", best[0]["id"], "--broadcast", "--password-file", str(password))
    outputs.append(out)
    assert done["status"] == "success" and done["sender"] == address
    assert done["send_attempts"] == 1 and done["nonce_resyncs"] == 0

    nonce = chain.w3.eth.get_transaction_count(address)
    journal = (cache / "executions" / "31337.jsonl").read_text()
    for args in (
        ["--password-file", str(wrong)],
        ["--keystore", str(keystore), "--password-file", str(wrong)],
    ):
        result = runner.invoke(app, ["execute", best[1]["id"], "--broadcast", *args], env=env)
        assert result.exit_code != 0 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error:") and "wrong password" in lines[0]
        outputs.append(result.stderr)
    assert chain.w3.eth.get_transaction_count(address) == nonce  # nothing sent
    assert (cache / "executions" / "31337.jsonl").read_text() == journal  # nor journaled
    assert_key_absent(key, outputs, cache)


def test_private_key_flag_nonce_resync_and_no_retry_on_other_errors(snapshot, tmp_path):
    chain = snapshot
    address, key = funded_account(chain)
    cache = tmp_path / "cache"
    env = chain.cli_env(cache)
    outputs = []
    deployed, out = run(env, "deploy", "balancer", "--broadcast", "--private-key", key)
    outputs.append(out)
    assert deployed["executor"] == address
    first, second, third, fourth = disjoint(run(env, "scan")[0], 4)

    # No environment fallback for the raw key: without the flag the devnet's own account is the sender,
    # which is not the executor's key, so the opportunity is refused.
    no_flag = {**env, "ETH_PRIVATE_KEY": key, "PRIVATE_KEY": key, "MEVCLI_PRIVATE_KEY": key}
    refused, out = run(no_flag, "execute", first["id"], "--broadcast", expect=1)
    outputs.append(out)
    assert refused["sender"] == chain.w3.eth.accounts[0] and refused["status"].startswith("refused")
    assert refused["tx_hash"] is None

    # A transaction sent out-of-band since our last one: the stored nonce is behind, one resync.
    self_transfer(chain, key)
    done, out = run(env, "execute", first["id"], "--broadcast", "--private-key", key)
    outputs.append(out)
    assert done["status"] == "success" and done["sender"] == address
    assert done["nonce_resyncs"] == 1 and done["send_attempts"] == 1

    # Another process sends from our account between our nonce read and our send: the node answers
    # "nonce too low", we resync once and the second attempt goes through.
    with hook_proxy(chain.rpc_url) as proxy:
        proxy.once("eth_sendRawTransaction", lambda _request: self_transfer(chain, key))
        raced, out = run(
            {**env, "ETH_RPC_URL": proxy.url}, "execute", second["id"], "--broadcast", "--private-key", key
        )
        assert proxy.fired == ["eth_sendRawTransaction"]
    outputs.append(out)
    assert raced["status"] == "success" and raced["nonce_resyncs"] == 1 and raced["send_attempts"] == 2

    # The same signed transaction delivered twice (a transport retry): the copy that arrived first is
    # ours, so it is awaited, not answered with a resync and a second arbitrage.
    def deliver_first(request: dict) -> None:
        chain.w3.provider.make_request("eth_sendRawTransaction", request["params"])

    nonce = chain.w3.eth.get_transaction_count(address)
    with hook_proxy(chain.rpc_url) as proxy:
        proxy.once("eth_sendRawTransaction", deliver_first)
        twice, out = run(
            {**env, "ETH_RPC_URL": proxy.url}, "execute", third["id"], "--broadcast", "--private-key", key
        )
    outputs.append(out)
    assert twice["status"] == "success" and twice["nonce_resyncs"] == 0 and twice["send_attempts"] == 1
    assert chain.w3.eth.get_transaction_count(address) == nonce + 1

    # Any other error is never retried: an account that loses its gas money after the pre-send check
    # (which would have refused it) fails once, nothing is mined.
    nonce = chain.w3.eth.get_transaction_count(address)
    with hook_proxy(chain.rpc_url) as proxy:
        proxy.once(
            "eth_sendRawTransaction",
            lambda _request: chain.w3.provider.make_request("anvil_setBalance", [address, "0x1"]),
        )
        failed, out = run(
            {**env, "ETH_RPC_URL": proxy.url},
            "execute",
            fourth["id"],
            "--broadcast",
            "--private-key",
            key,
            expect=1,
        )
    outputs.append(out)
    assert failed["status"].startswith("failed: the node refused") and failed["tx_hash"] is None
    assert failed["send_attempts"] == 1 and failed["nonce_resyncs"] == 0
    assert chain.w3.eth.get_transaction_count(address) == nonce
    assert_key_absent(key, outputs, cache)


def test_fee_caps_refuse_before_signing(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    run(env, "deploy", "balancer", "--broadcast")
    best = run(env, "scan")[0][0]
    sender = chain.w3.eth.accounts[0]
    nonce, block = chain.w3.eth.get_transaction_count(sender), chain.w3.eth.block_number
    base_fee = chain.w3.eth.get_block("latest")["baseFeePerGas"]
    below, _ = run(env, "execute", best["id"], "--broadcast", "--gas-price", str(base_fee - 1), expect=1)
    assert (
        below["status"].startswith("refused: --gas-price") and "below the current base fee" in below["status"]
    )
    ceiling, _ = run(env, "execute", best["id"], "--broadcast", "--max-fee-ceiling", str(base_fee), expect=1)
    assert ceiling["status"].startswith("refused: max fee") and "exceeds the ceiling" in ceiling["status"]
    assert below["tx_hash"] is None and ceiling["tx_hash"] is None
    assert below["send_attempts"] == ceiling["send_attempts"] == 0
    assert chain.w3.eth.get_transaction_count(sender) == nonce and chain.w3.eth.block_number == block
    # Within the caps the same opportunity goes through.
    done, _ = run(env, "execute", best["id"], "--broadcast", "--max-fee-ceiling", str(3 * base_fee + 10**9))
    assert done["status"] == "success"


def test_deploy_and_execute_wait_for_confirmations(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    with mining(chain, 0.3):
        deployed, _ = run(env, "deploy", "balancer", "--broadcast", "--confirmations", "3")
        assert chain.w3.eth.block_number >= deployed["block"] + 2
    assert set(deployed) >= {"address", "tx_hash", "chain_id"} and deployed["chain_id"] == 31337
    assert deployed["tx_hash"] and deployed["confirmed_block"] >= deployed["block"] + 2
    again, _ = run(env, "deploy", "balancer", "--broadcast", "--confirmations", "3")
    assert again["address"] == deployed["address"] and again["tx_hash"] is None and again["chain_id"] == 31337

    best = run(env, "scan")[0][0]
    token = best["base_token"]
    before = _balance(chain, token, deployed["address"])
    with mining(chain, 0.3):
        done, _ = run(env, "execute", best["id"], "--broadcast", "--confirmations", "4")
        assert chain.w3.eth.block_number >= done["block"] + 3
    assert done["status"] == "success" and done["confirmed_block"] >= done["block"] + 3
    assert _balance(chain, token, deployed["address"]) - before == done["token_profit"]


def test_a_pending_copy_of_our_transaction_is_awaited(snapshot, tmp_path):
    """With blocks mined on a timer, the copy delivered first is still pending when ours arrives: the
    node says it has it already (anvil: "transaction already imported"); we wait for that one."""
    chain = snapshot
    address, key = funded_account(chain)
    env = chain.cli_env(tmp_path / "cache")
    run(env, "deploy", "balancer", "--broadcast", "--private-key", key)
    best = run(env, "scan")[0][0]

    def deliver_first(request: dict) -> None:
        chain.w3.provider.make_request("eth_sendRawTransaction", request["params"])

    nonce = chain.w3.eth.get_transaction_count(address)
    chain.w3.provider.make_request("evm_setAutomine", [False])
    try:
        with mining(chain, 0.5), hook_proxy(chain.rpc_url) as proxy:
            proxy.once("eth_sendRawTransaction", deliver_first)
            done, _ = run(
                {**env, "ETH_RPC_URL": proxy.url}, "execute", best["id"], "--broadcast", "--private-key", key
            )
    finally:
        chain.w3.provider.make_request("evm_setAutomine", [True])
    assert done["status"] == "success" and done["nonce_resyncs"] == 0 and done["send_attempts"] == 1
    assert chain.w3.eth.get_transaction_count(address) == nonce + 1

"""The fail-over provider against the real node behind loopback proxies: what reaches the node how often."""

from __future__ import annotations

import json
import socket
import time
from http.server import BaseHTTPRequestHandler

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import Web3RPCError

from mevcli.chain.client import connect
from mevcli.chain.failover import FailoverHTTPProvider
from mevcli.devnet.fault_proxy import FaultProxy, RpcProxy, reply
from mevcli.errors import RpcError

ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
WITHDRAW_1 = "0x2e1a7d4d" + f"{1:064x}"  # WETH9.withdraw(1): reverts without a balance


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def counted(chain):
    proxy = RpcProxy(chain.rpc_url)
    yield proxy
    proxy.close()


def test_a_revert_is_returned_at_once_not_retried(chain, counted):
    provider = FailoverHTTPProvider([counted.url], timeout=5, retries=3)
    call = {
        "from": "0x000000000000000000000000000000000000dEaD",
        "to": chain.manifest["weth"],
        "data": WITHDRAW_1,
    }
    response = provider.make_request("eth_call", [call, "latest"])
    assert "execution reverted" in response["error"]["message"]
    assert counted.reset()["eth_call"] == 1
    assert (provider.stats.calls, provider.stats.retries, provider.stats.errors) == (1, 0, 0)


def test_a_nonce_error_is_returned_at_once_and_the_send_not_repeated(chain, counted):
    w3 = Web3(FailoverHTTPProvider([counted.url], timeout=5, retries=3))
    account = Account.from_key(ANVIL_KEY_0)
    tx = {"to": account.address, "value": 1, "gas": 21_000, "gasPrice": 10**10, "nonce": 0, "chainId": 31337}
    raw = account.sign_transaction(tx).raw_transaction
    with pytest.raises(Web3RPCError, match=r"(?i)nonce"):
        w3.eth.send_raw_transaction(raw)
    assert counted.reset()["eth_sendRawTransaction"] == 1
    assert w3.provider.stats.retries == 0


def test_faults_are_retried_until_the_node_answers(chain):
    proxy = FaultProxy(chain.rpc_url, script=["500", "429", "drop", "truncate"])
    try:
        w3 = Web3(FailoverHTTPProvider([proxy.url], timeout=5, retries=4, backoff=0.01))
        assert w3.eth.block_number == chain.w3.eth.block_number
        assert w3.provider.stats.retries == 4 and w3.provider.stats.errors == 0
        assert sum(proxy.faults.values()) == 4
    finally:
        proxy.close()


def test_a_send_whose_answer_was_lost_is_not_resent(chain):
    proxy = FaultProxy(chain.rpc_url, script=["drop"])
    try:
        w3 = Web3(FailoverHTTPProvider([proxy.url], timeout=5, retries=3, backoff=0.01))
        raw = (
            Account.from_key(ANVIL_KEY_0)
            .sign_transaction(
                {
                    "to": Account.from_key(ANVIL_KEY_0).address,
                    "value": 1,
                    "gas": 21_000,
                    "gasPrice": 10**10,
                    "nonce": 0,
                    "chainId": 31337,
                }
            )
            .raw_transaction
        )
        with pytest.raises(RpcError, match="closed without an answer"):
            w3.eth.send_raw_transaction(raw)
        assert proxy.counts["eth_sendRawTransaction"] == 1
        assert w3.provider.stats.errors == 1
    finally:
        proxy.close()


def test_giving_up_after_the_retries_raises_one_rpc_error(chain):
    proxy = FaultProxy(chain.rpc_url, rate=1.0, kinds=["500"])
    try:
        provider = FailoverHTTPProvider([proxy.url], timeout=5, retries=2, backoff=0.01)
        with pytest.raises(RpcError, match=r"after 3 attempts.*HTTP 500"):
            provider.make_request("eth_blockNumber", [])
        assert proxy.counts["eth_blockNumber"] == 3
        assert (provider.stats.calls, provider.stats.retries, provider.stats.errors) == (1, 2, 1)
    finally:
        proxy.close()


def test_fails_over_to_the_second_url_and_back_to_the_primary_when_it_recovers(chain):
    port = free_port()
    backup = RpcProxy(chain.rpc_url)
    primary = None
    try:
        w3 = Web3(FailoverHTTPProvider([f"http://127.0.0.1:{port}", backup.url], timeout=5, cooldown=0.3))
        assert w3.eth.chain_id == 31337  # as connect() asks first: the chain every URL must serve
        assert w3.provider.stats.failovers == 1
        assert w3.provider.endpoint_uri == backup.url  # the dead primary is cooling down
        primary = RpcProxy(chain.rpc_url, port=port)
        time.sleep(0.35)
        backup.reset()
        for _ in range(3):
            assert w3.eth.get_block("latest")["number"] == chain.w3.eth.block_number
        assert primary.counts["eth_getBlockByNumber"] == 3
        assert primary.counts["eth_chainId"] == 1  # checked once before first use
        assert backup.reset()["eth_getBlockByNumber"] == 0
        assert w3.provider.stats.errors == 0
    finally:
        backup.close()
        if primary is not None:
            primary.close()


class OtherChain(RpcProxy):
    """Answers every request with chain id 2."""

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        request_id = json.loads(body).get("id")
        reply(handler, 200, json.dumps({"jsonrpc": "2.0", "id": request_id, "result": "0x2"}).encode())


def test_a_backup_serving_another_chain_is_never_used(chain):
    primary = RpcProxy(chain.rpc_url)
    other = OtherChain(chain.rpc_url)
    try:
        w3 = connect([primary.url, other.url], timeout=5, retries=2)
        w3.provider.backoff = 0.01
        primary.close()
        with pytest.raises(RpcError):
            w3.eth.block_number  # noqa: B018
        assert set(other.counts) == {"eth_chainId"}
    finally:
        other.close()


def test_batch_requests_go_through_retries(chain):
    proxy = FaultProxy(chain.rpc_url, script=["429", "truncate"])
    try:
        w3 = Web3(FailoverHTTPProvider([proxy.url], timeout=5, retries=3, backoff=0.01))
        account = chain.w3.eth.accounts[1]
        with w3.batch_requests() as batch:
            batch.add(w3.eth.get_block(1))
            batch.add(w3.eth.get_balance(account))
            block, balance = batch.execute()
        assert block["hash"] == chain.w3.eth.get_block(1)["hash"]
        assert balance == chain.w3.eth.get_balance(account)
        assert w3.provider.stats.retries == 2 and w3.provider.stats.calls == 1
    finally:
        proxy.close()

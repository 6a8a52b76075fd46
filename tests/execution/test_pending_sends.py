"""A broadcast whose receipt does not come in time, on anvil with automine off: it is journaled pending
with its hash and no realized figures, the same route is refused (never signed a second time) while the
transaction is unmined, and once it is mined the next run of the route settles it: its realized figures
from the receipt are journaled and equal the operator's real balance change to the wei."""

from __future__ import annotations

from test_accounting import journal, manual_mining, pending, real_net, weth_routes
from test_cli_flow import cli

from mevcli.execution.costs import executed_profit


def test_an_unmined_send_is_pending_refuses_its_route_and_settles_once_mined(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    weth = chain.manifest["weth"]
    best = weth_routes(cli(env, "scan"), weth)[0]
    short = {**env, "MEVCLI_RECEIPT_TIMEOUT": "1"}
    before = chain.w3.eth.block_number
    with manual_mining(chain):
        sent = cli(short, "execute", best["id"], "--broadcast", expect=None)
        assert sent["status"].startswith("pending: waiting for ") and sent["tx_hash"]
        assert sent["net_profit"] is None and sent["token_profit"] is None
        assert sent["estimated"]["net_profit"] > 0
        assert pending(chain) == 1
        assert chain.w3.eth.get_transaction(sent["tx_hash"])["blockNumber"] is None
        (entry,) = [e for e in journal(tmp_path) if e["kind"] == "execute"]
        assert entry["tx_hash"] == sent["tx_hash"] and entry["status"] == sent["status"]
        # The same opportunity, and the same route given by its pools, are refused: nothing is signed.
        again = cli(short, "execute", best["id"], "--broadcast", expect=1)
        assert again["status"].startswith("refused: ") and sent["tx_hash"] in again["status"]
        args = ["--pools", ",".join(best["pools"]), "--token", weth, "--amount", str(best["amount_in"])]
        by_route = cli(short, "execute", *args, "--broadcast", expect=1)
        assert by_route["status"].startswith("refused: ") and "not mined yet" in by_route["status"]
        assert pending(chain) == 1
        chain.w3.provider.make_request("evm_mine", [])
    receipt = chain.w3.eth.get_transaction_receipt(sent["tx_hash"])
    assert receipt["status"] == 1 and receipt["blockNumber"] == before + 1
    # Mined: the next run of the route is not refused for it, and settles it first.
    after = cli(env, "execute", best["id"], "--broadcast", expect=None)
    assert "not mined yet" not in after["status"]
    (settled,) = [e for e in journal(tmp_path) if e["kind"] == "settle"]
    assert settled["tx_hash"] == sent["tx_hash"] and settled["status"] == "success"
    assert settled["token_profit"] == executed_profit(receipt, executor, weth)[0] > 0
    assert settled["estimated"] == sent["estimated"]
    assert real_net(chain, executor, weth, before + 1, before) == settled["net_profit"]
    stats = cli(env, "cache", "stats")["executions"]
    assert stats["successes"] == 1 and stats["realized_profit"] == {weth: settled["token_profit"]}
    assert stats["realized_net"] == {weth: settled["net_profit"]}
    assert stats["sends"] == 1 + (1 if after.get("tx_hash") else 0)


def test_a_dropped_send_refuses_its_route_until_its_nonce_is_taken(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    cli(env, "deploy", "balancer", "--broadcast")
    weth = chain.manifest["weth"]
    best = weth_routes(cli(env, "scan"), weth)[0]
    short = {**env, "MEVCLI_RECEIPT_TIMEOUT": "1"}
    with manual_mining(chain):
        sent = cli(short, "execute", best["id"], "--broadcast", expect=None)
        assert sent["status"].startswith("pending: ")
        chain.w3.provider.make_request("anvil_dropTransaction", [sent["tx_hash"]])
        assert pending(chain) == 0
        # Unknown to the node but its nonce unused: it may still be in another node's pool.
        again = cli(short, "execute", best["id"], "--broadcast", expect=1)
        assert "not mined yet" in again["status"] and pending(chain) == 0
    sender = chain.w3.eth.accounts[0]
    chain.w3.eth.send_transaction({"from": sender, "to": sender, "value": 0})  # takes that nonce
    after = cli(env, "execute", best["id"], "--broadcast", expect=None)
    assert "not mined yet" not in after["status"]
    assert not [e for e in journal(tmp_path) if e["kind"] == "settle"]
    assert chain.w3.eth.get_transaction_receipt(after["tx_hash"])["status"] == 1

"""`mevcli pools sync|list|show` on the devnet: the listed universe is exactly what the factories (and the
Balancer Vault) announced plus the manifest's Curve pools; CSV parses to the same rows; bad filters are
one `Error:` line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from eth_utils import to_checksum_address
from typer.testing import CliRunner

from mevcli.arbitrage.discovery import PAIR_CREATED, POOL_CREATED, POOL_REGISTERED
from mevcli.cli.app import app
from mevcli.dex.forks import BALANCER, UNISWAP_V2, UNISWAP_V3, UNISWAP_V4
from mevcli.dex.registry import DexRegistry
from mevcli.dex.uniswap_v4.hooks import unpriced_reason
from mevcli.dex.uniswap_v4.keys import INITIALIZE_TOPIC

INITIALIZE = "0x" + INITIALIZE_TOPIC.hex()

runner = CliRunner()


def _address(word: bytes) -> str:
    return to_checksum_address(bytes(word)[-20:])


def emitted(chain) -> dict[str, dict]:
    """Pool -> what its creation event says (dex; tokens and, for V3, the fee), asked of the node directly."""
    pools: dict[str, dict] = {}
    for dex in DexRegistry.from_manifest(chain.manifest).dexes:
        topic = {
            UNISWAP_V2: PAIR_CREATED,
            UNISWAP_V3: POOL_CREATED,
            BALANCER: POOL_REGISTERED,
            UNISWAP_V4: INITIALIZE,
        }.get(dex.kind)
        if topic is None:
            continue
        query = {"address": dex.factory, "topics": [topic], "fromBlock": 0, "toBlock": "latest"}
        for log in chain.w3.eth.get_logs(query):
            topics, data = log["topics"], bytes(log["data"])
            if dex.kind == UNISWAP_V4:  # named by its id; the hook decides whether it is priced
                hooks = _address(data[64:96])
                pools["0x" + bytes(topics[1]).hex()] = {
                    "dex": dex.name,
                    "tokens": [_address(topics[2]), _address(topics[3])],
                    "unpriced": unpriced_reason(hooks, int.from_bytes(data[0:32], "big")),
                }
                continue
            if dex.kind == BALANCER:
                pools[_address(topics[2])] = {"dex": dex.name}
                continue
            entry = {"dex": dex.name, "tokens": [_address(topics[1]), _address(topics[2])]}
            if dex.kind == UNISWAP_V3:
                entry["fee_pips"] = int.from_bytes(bytes(topics[3]), "big")
                pools[_address(data[32:64])] = entry
            else:
                pools[_address(data[0:32])] = entry
    return pools


@pytest.fixture(scope="module")
def env(chain, tmp_path_factory) -> dict[str, str]:
    return chain.cli_env(tmp_path_factory.mktemp("pools") / "cache")


@pytest.fixture(scope="module")
def listed(chain, env) -> list[dict]:
    result = runner.invoke(app, ["pools", "list", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_pools_sync_discovers_every_factory_pool(chain, env):
    result = runner.invoke(app, ["pools", "sync", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pools"] == len(emitted(chain))


def test_pools_list_json_is_what_the_factories_emitted(chain, listed):
    expected = emitted(chain)
    assert {e["dex"] for e in expected.values()} >= {
        "uniswap_v2",
        "sushiswap",
        "uniswap_v3",
        "balancer",
        "uniswap_v4",
    }
    from_factories = {row["address"]: row for row in listed if row["dex"] != "curve"}
    assert from_factories.keys() == expected.keys()
    for address, event in expected.items():
        row = from_factories[address]
        assert row["dex"] == event["dex"]
        if "tokens" in event:
            assert row["tokens"] == event["tokens"]
        if "fee_pips" in event:
            assert row["fee_pips"] == event["fee_pips"]
        assert row["unpriced"] == event.get("unpriced")
    curve = {row["address"] for row in listed if row["dex"] == "curve"}
    assert curve == {p["address"] for p in chain.pools("curve")}
    head = chain.w3.eth.block_number
    assert all(0 < row["last_update_block"] <= head for row in listed)
    assert all(
        isinstance(row["liquidity_wei"], int) for row in listed if chain.manifest["weth"] in row["tokens"]
    )


def test_pools_list_csv_parses_to_the_same_rows(env, listed):
    result = runner.invoke(app, ["pools", "list", "--csv"], env=env)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["address"] for r in rows] == [r["address"] for r in listed]
    for parsed, row in zip(rows, listed, strict=True):
        assert parsed["tokens"].split() == row["tokens"]
        assert int(parsed["fee_pips"]) == row["fee_pips"]
        assert parsed["liquidity_wei"] == ("" if row["liquidity_wei"] is None else str(row["liquidity_wei"]))


def test_pools_list_filters(chain, env, listed):
    weth = chain.manifest["weth"]
    result = runner.invoke(
        app, ["pools", "list", "--json", "--dex", "uniswap_v3", "--token", "WETH"], env=env
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows == [r for r in listed if r["dex"] == "uniswap_v3" and weth in r["tokens"]] and rows
    curve = runner.invoke(app, ["pools", "list", "--json", "--dex", "curve", "--dex", "balancer"], env=env)
    assert json.loads(curve.stdout) == [r for r in listed if r["dex"] in ("curve", "balancer")]
    values = sorted(r["liquidity_wei"] for r in listed if r["liquidity_wei"])
    threshold = values[len(values) // 2]
    result = runner.invoke(app, ["pools", "list", "--json", "--min-liquidity", str(threshold)], env=env)
    deep = json.loads(result.stdout)
    assert deep == [r for r in listed if (r["liquidity_wei"] or 0) >= threshold] and 0 < len(deep) < len(
        listed
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--dex", "nodex"], "--dex 'nodex' is not a DEX"),
        (["--token", "NOPE"], "unknown token 'NOPE'"),
        (["--token", "0x12345"], "token address"),
        (["--min-liquidity", "1.5"], "--min-liquidity must be a whole number"),
        (["--min-liquidity", "-3"], "--min-liquidity must be a whole number"),
        (["--csv", "--json"], "exclude each other"),
    ],
)
def test_bad_filters_are_one_error_line(env, args, words):
    result = runner.invoke(app, ["pools", "list", *args], env=env)
    assert result.exit_code != 0 and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], result.stderr


def test_pools_show(chain, env, listed):
    v3 = next(r for r in listed if r["dex"] == "uniswap_v3")
    result = runner.invoke(app, ["pools", "show", v3["address"], "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert {k: shown[k] for k in v3} == v3
    assert shown["origin"] == "devnet manifest" and shown["state"]["fee"] == v3["fee_pips"]
    missing = runner.invoke(app, ["pools", "show", "0x000000000000000000000000000000000000dEaD"], env=env)
    assert (
        missing.exit_code != 0 and missing.stderr.startswith("Error: ") and "Traceback" not in missing.stderr
    )


def test_v4_pools_are_listed_by_id_and_the_swap_changing_hook_pool_unpriced(chain, env, listed):
    v4 = {row["address"]: row for row in listed if row["dex"] == "uniswap_v4"}
    assert v4.keys() == {p["pool_id"] for p in chain.manifest["uniswap_v4"]["pools"]}
    delta_hook = chain.manifest["uniswap_v4"]["delta_hook"]
    unpriced = {a for a, row in v4.items() if row["unpriced"]}
    hooked = {
        p["pool_id"]
        for p in chain.manifest["uniswap_v4"]["pools"]
        if p["hooks"].lower() == delta_hook.lower()
    }
    assert unpriced == hooked and hooked
    assert all("may change swap amounts" in v4[a]["unpriced"] for a in unpriced)
    assert any("0x0000000000000000000000000000000000000000" in row["tokens"] for row in v4.values())
    pool_id = next(iter(unpriced))
    result = runner.invoke(app, ["pools", "show", pool_id, "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["unpriced"] == v4[pool_id]["unpriced"] and shown["kind"] == "uniswap_v4"
    assert shown["origin"].startswith("creation event of uniswap_v4 ")


def test_pools_sync_progress_is_plain_lines_off_a_terminal(chain, tmp_path):
    result = runner.invoke(app, ["pools", "sync"], env=chain.cli_env(tmp_path / "text"))
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("discovering pools (")]
    assert lines and "blocks/s" in lines[-1] and "ETA" in lines[-1]
    assert "(100%)" in lines[-1] and f", {len(emitted(chain)):,} pools, " in lines[-1]

    quiet = runner.invoke(app, ["pools", "sync", "--quiet"], env=chain.cli_env(tmp_path / "quiet"))
    assert quiet.exit_code == 0 and quiet.stderr == ""

    as_json = runner.invoke(
        app, ["pools", "sync", "--log-format", "json"], env=chain.cli_env(tmp_path / "json")
    )
    assert as_json.exit_code == 0, as_json.stderr
    entries = [json.loads(line) for line in as_json.stderr.splitlines() if line.strip()]
    assert any(e["msg"].startswith("discovering pools (") for e in entries)

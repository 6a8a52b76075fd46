"""Operator features through the real console script: metrics file, log modes, completion, status."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from devnet_support import pools_read, pools_scanned
from prometheus_client.parser import text_string_to_metric_families

from mevcli import metrics, metrics_textfile
from mevcli.execution import journal

ROOT = Path(__file__).resolve().parents[2]
MEVCLI = str(Path(sys.executable).with_name("mevcli"))
DEAD_RPC = "http://127.0.0.1:9"
# The families dashboards and alert rules use: they must keep their names (and labels, below).
KNOWN_FAMILIES = {
    "mevcli_last_run_timestamp_seconds": "gauge",
    "mevcli_last_run_success": "gauge",
    "mevcli_last_run_duration_seconds": "gauge",
    "mevcli_last_success_timestamp_seconds": "gauge",
    "mevcli_scan_duration_seconds": "gauge",
    "mevcli_scan_block": "gauge",
    "mevcli_scan_pools": "gauge",
    "mevcli_scan_cycles": "gauge",
    "mevcli_scan_opportunities": "gauge",
    "mevcli_scan_best_net_profit": "gauge",
    "mevcli_cache_hits_total": "counter",
    "mevcli_cache_misses_total": "counter",
    "mevcli_cache_event_updates_total": "counter",
    "mevcli_cache_entries": "gauge",
    "mevcli_rpc_calls": "gauge",
    "mevcli_executions_sent_total": "counter",
    "mevcli_executions_reverted_total": "counter",
    "mevcli_executions_succeeded_total": "counter",
    "mevcli_executions_refused_total": "counter",
    "mevcli_executions_failed_total": "counter",
}


def parse_exposition(text: str) -> dict[str, dict]:
    """Families by sample name, read with prometheus_client's own parser (which reads an integer token as
    an exact int: wei amounts above 2**53 survive)."""
    families: dict[str, dict] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            entry = families.setdefault(
                sample.name, {"help": family.documentation, "type": family.type, "samples": {}}
            )
            key = tuple(sorted(sample.labels.items()))
            assert key not in entry["samples"], f"duplicate sample {sample}"
            entry["samples"][key] = sample.value
    return families


def value(families: dict, name: str, **labels: str) -> float:
    return families[name]["samples"][tuple(sorted(labels.items()))]


def exact(families: dict, name: str, **labels: str) -> int:
    """An integer sample, written (and so parsed) as an exact int, not a float."""
    found = value(families, name, **labels)
    assert isinstance(found, int), (name, labels, found)
    return found


def run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ETH_RPC_URL", "MEVCLI_", "CHAIN"))}
    env.update(env_extra)
    return subprocess.run([MEVCLI, *args], capture_output=True, text=True, env=env, timeout=180)


def test_metrics_file_success_failure_and_one_command_per_file(chain, tmp_path):
    env = chain.cli_env(tmp_path / "cache")
    prom_dir = tmp_path / "textfile"
    path = prom_dir / "scan.prom"
    started = time.time()
    scanned = run(env, "scan", "--top", "2", "--metrics-file", str(path))  # global option after the command
    assert scanned.returncode == 0, scanned.stderr
    families = parse_exposition(path.read_text())
    for name, kind in KNOWN_FAMILIES.items():  # every family a scan writes, with its type
        if name != "mevcli_rpc_calls" or name in families:
            family = next(
                f for f in text_string_to_metric_families(path.read_text()) if name.startswith(f.name)
            )
            assert family.type == kind, name
    assert value(families, "mevcli_last_run_success", command="scan") == 1
    ended = value(families, "mevcli_last_run_timestamp_seconds", command="scan")
    assert started <= ended <= time.time()
    assert value(families, "mevcli_last_success_timestamp_seconds", command="scan") == ended
    assert exact(families, "mevcli_scan_pools", command="scan") == pools_scanned(chain)
    assert exact(families, "mevcli_scan_block", command="scan") == chain.w3.eth.block_number
    assert exact(families, "mevcli_scan_cycles", command="scan") > 0
    assert exact(families, "mevcli_scan_opportunities", command="scan") == 2
    assert value(families, "mevcli_scan_duration_seconds", command="scan") > 0
    best = families["mevcli_scan_best_net_profit"]
    assert "base units" in best["help"]
    last_scan = json.loads((tmp_path / "cache" / "scans" / "31337.json").read_text())
    assert set(best["samples"]) == {
        (("base_token", k), ("command", "scan")) for k in last_scan["best_net_profit"]
    }
    for label, entry in last_scan["best_net_profit"].items():
        written = exact(families, "mevcli_scan_best_net_profit", command="scan", base_token=label)
        assert written == entry["net_profit"] > 0  # wei, to the unit
    assert exact(families, "mevcli_cache_misses_total", chain_id="31337") == pools_read(chain)
    assert families["mevcli_cache_hits_total"]["type"] == "counter"
    if "mevcli_rpc_calls" in families:  # present when the provider keeps counters
        assert value(families, "mevcli_rpc_calls", command="scan") > 0
    assert exact(families, "mevcli_executions_sent_total", chain_id="31337") == 0

    # Another command through the environment variable into its own file: nothing merged.
    other = prom_dir / "cache-stats.prom"
    stats = run({**env, "MEVCLI_METRICS_FILE": str(other)}, "--json", "cache", "stats")
    assert stats.returncode == 0, stats.stderr
    assert value(parse_exposition(other.read_text()), "mevcli_last_run_success", command="cache stats") == 1
    assert "cache stats" not in path.read_text()

    # A failed scan: success 0, its own timestamp; the last success time carried over, nothing else kept.
    failed = run({**env, "ETH_RPC_URL": DEAD_RPC}, "--metrics-file", str(path), "scan")
    assert failed.returncode == 1
    after = parse_exposition(path.read_text())
    assert value(after, "mevcli_last_run_success", command="scan") == 0
    assert value(after, "mevcli_last_run_timestamp_seconds", command="scan") > ended
    assert value(after, "mevcli_last_success_timestamp_seconds", command="scan") == ended
    assert "mevcli_scan_opportunities" not in after
    assert sorted(p.name for p in prom_dir.iterdir()) == ["cache-stats.prom", "scan.prom"]  # no temp, no lock

    # A config error (settings never load) still records the failure, from the flag.
    bad = run({**env, "MEVCLI_CACHE_TTL": "-1"}, "scan", "--metrics-file", str(path))
    assert bad.returncode != 0
    assert value(parse_exposition(path.read_text()), "mevcli_last_run_success", command="scan") == 0
    # --help writes nothing.
    before = path.read_text()
    assert run(env, "scan", "--help", "--metrics-file", str(path)).returncode == 0
    assert path.read_text() == before


def test_metrics_dir_one_file_per_command_and_chain(chain, tmp_path):
    env = chain.cli_env(tmp_path / "cache")
    prom_dir = tmp_path / "textfile"
    assert run(env, "--metrics-dir", str(prom_dir), "scan", "--top", "1").returncode == 0
    stats = run({**env, "MEVCLI_METRICS_DIR": str(prom_dir)}, "cache", "stats")
    assert stats.returncode == 0, stats.stderr
    names = sorted(p.name for p in prom_dir.iterdir())
    assert names == ["mevcli_cache_stats.prom", "mevcli_chain_31337.prom", "mevcli_scan.prom"]
    scan = parse_exposition((prom_dir / "mevcli_scan.prom").read_text())
    stats_file = parse_exposition((prom_dir / "mevcli_cache_stats.prom").read_text())
    per_chain = parse_exposition((prom_dir / "mevcli_chain_31337.prom").read_text())
    assert exact(scan, "mevcli_scan_opportunities", command="scan") == 1
    assert value(stats_file, "mevcli_last_run_success", command="cache stats") == 1
    assert exact(per_chain, "mevcli_cache_entries", chain_id="31337") == pools_read(chain)
    # node_exporter reads every *.prom file: a series may live in one file only.
    seen: set[tuple] = set()
    for path in prom_dir.iterdir():
        for name, family in parse_exposition(path.read_text()).items():
            for key in family["samples"]:
                assert (name, key) not in seen, (path, name, key)
                seen.add((name, key))
    assert all("chain_id" not in dict(k) for n, k in seen if n.startswith("mevcli_last_run"))


def test_metrics_render_exact_escaped_and_parsed_by_the_library():
    run_a = metrics.RunMetrics(command="scan")
    huge = 10**30 + 7  # the library alone would write 1e+30
    weird = 'we"ird\\label\n'
    run_a.set("mevcli_scan_best_net_profit", huge, base_token=weird)
    run_a.set("mevcli_scan_best_net_profit", 2**53 + 1, base_token="WETH")
    run_a.set("mevcli_scan_duration_seconds", 0.25)
    run_a.set_chain("mevcli_cache_hits_total", 3, 1)
    text = metrics_textfile.render(run_a.samples)
    families = parse_exposition(text)
    best = "mevcli_scan_best_net_profit"
    assert exact(families, best, command="scan", base_token=weird) == huge
    assert exact(families, best, command="scan", base_token="WETH") == 2**53 + 1
    assert f'base_token="WETH",command="scan"}} {2**53 + 1}\n' in text  # not 9.007199254740992e+15
    assert value(families, "mevcli_scan_duration_seconds", command="scan") == 0.25
    assert families["mevcli_cache_hits_total"]["type"] == "counter"
    assert exact(families, "mevcli_cache_hits_total", chain_id="1") == 3
    with pytest.raises(ValueError):
        run_a.set("mevcli_not_a_family", 1)


def test_quiet_verbose_and_json_logs(chain, tmp_path):
    env = chain.cli_env(tmp_path / "cache")
    normal = run(env, "scan", "--top", "1")
    assert normal.returncode == 0 and "pools" in normal.stderr

    quiet = run(env, "scan", "--top", "1", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert "opportunities at block" in quiet.stdout

    verbose = run(env, "--verbose", "scan", "--top", "1")
    assert verbose.returncode == 0 and "scan timings" in verbose.stderr and "settings" in verbose.stderr
    assert "scan timings" not in normal.stderr

    logged = run(env, "scan", "--top", "1", "--log-format", "json", "--json")
    assert logged.returncode == 0, logged.stderr
    lines = [json.loads(line) for line in logged.stderr.splitlines()]
    assert lines and all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"]) for line in lines)
    summary = next(line for line in lines if "block" in line and "pools" in line)
    assert summary["level"] == "info" and summary["pools"] == pools_scanned(chain)
    assert len(json.loads(logged.stdout)) == 1  # stdout stays the command's JSON

    failed = run({**env, "MEVCLI_LOG_FORMAT": "json"}, "--rpc-url", DEAD_RPC, "--quiet", "scan")
    assert failed.returncode == 1
    errors = [json.loads(line) for line in failed.stderr.splitlines()]
    assert [e["level"] for e in errors] == ["error"] and "cannot reach" in errors[0]["msg"]
    usage = run(env, "--log-format", "json", "scan", "--max-hops", "x")
    assert usage.returncode == 2 and json.loads(usage.stderr.splitlines()[-1])["level"] == "error"

    both = run(env, "--quiet", "--verbose", "status")
    assert both.returncode == 2 and "exclude each other" in both.stderr
    assert run(env, "--log-format", "xml", "status").returncode == 2


def test_shell_completion_with_global_options(tmp_path):
    shown = run({}, "--show-completion", "bash")
    assert shown.returncode == 0 and "_mevcli_completion" in shown.stdout and "complete" in shown.stdout
    for words, cword in (("mevcli sta", "1"), ("mevcli --quiet --log-format json sta", "4")):
        completed = run({"_MEVCLI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}, *())
        assert completed.stdout.split() == ["status"], (words, completed.stdout, completed.stderr)
    sub = run({"_MEVCLI_COMPLETE": "complete_bash", "COMP_WORDS": "mevcli cache st", "COMP_CWORD": "2"})
    assert set(sub.stdout.split()) == {"stats"}


def test_status_and_dashboard(snapshot, tmp_path):
    chain = snapshot
    cache = tmp_path / "cache"
    env = chain.cli_env(cache)
    before = json.loads(run(env, "status", "--json").stdout)
    assert before["node"]["reachable"] and before["node"]["chain_id"] == 31337
    assert before["node"]["head_block"] == chain.w3.eth.block_number
    assert before["node"]["rpc_url"] == chain.rpc_url
    assert before["last_scan"] is None and before["cache"]["entries"] == 0
    zero = dict.fromkeys(("sent", "succeeded", "reverted", "refused", "failed"), 0)
    assert before["executions"] == {**zero, "last": None}

    scanned = run(env, "--json", "scan", "--top", "3")
    opportunities = json.loads(scanned.stdout)
    journal.record(cache, 31337, {"kind": "execute", "id": "a1", "status": "success", "tx_hash": "0x01"})
    journal.record(cache, 31337, {"kind": "execute", "id": "a2", "status": "reverted", "tx_hash": "0x02"})
    journal.record(cache, 31337, {"kind": "execute", "id": "a3", "status": "refused: simulation failed"})
    journal.record(cache, 31337, {"kind": "execute", "id": "a5", "status": "failed: no receipt"})
    journal.record(cache, 31337, {"kind": "simulate", "id": "a4", "status": "ok"})

    data = json.loads(run(env, "status", "--json").stdout)
    scan = data["last_scan"]
    assert scan["opportunities"] == len(opportunities) == 3 and scan["block"] == chain.w3.eth.block_number
    assert scan["best_id"] == opportunities[0]["id"]
    best = scan["best_net_profit"]
    symbol = next(k for k, v in chain.manifest["tokens"].items() if v == opportunities[0]["base_token"])
    assert best[symbol.upper()]["net_profit"] == opportunities[0]["net_profit"]
    assert data["cache"]["entries"] == pools_read(chain)
    assert data["cache"]["last_block"] == chain.w3.eth.block_number
    assert data["executions"]["sent"] == 2 and data["executions"]["reverted"] == 1
    assert data["executions"]["succeeded"] == 1 and data["executions"]["failed"] == 1
    assert data["executions"]["refused"] == 1 and data["executions"]["last"]["id"] == "a4"

    table = run(env, "status")
    assert table.returncode == 0
    for text in ("node", "31337", "cache", "last scan", "best net profit", "2 / 1 / 1 · 1 / 1"):
        assert text in table.stdout, text

    down = run(
        {**env, "ETH_RPC_URL": "http://user:pw@127.0.0.1:9/v2/abcdefghijklmnopqrstuv"}, "status", "--json"
    )
    assert down.returncode == 1
    node = json.loads(down.stdout)["node"]
    assert not node["reachable"] and "pw" not in down.stdout and "abcdefghijklmnop" not in down.stdout

    dashboard = subprocess.run(
        ["bash", str(ROOT / "scripts" / "dashboard.sh"), "--once"],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "MEVCLI": MEVCLI},
        timeout=60,
    )
    assert dashboard.returncode == 0, dashboard.stderr
    assert "chain 31337" in dashboard.stdout and "3 opportunities" in dashboard.stdout
    assert "sent 2 (succeeded 1, reverted 1), refused 1, failed 1" in dashboard.stdout


@pytest.mark.parametrize("argv", [["scan", "--metrics-file", "m.prom"], ["--json", "cache", "stats", "-h"]])
def test_command_path(argv):
    from typer.main import get_command

    from mevcli.cli.app import app, command_path, hoist_global_options

    group = get_command(app)
    path = command_path(group, hoist_global_options(argv))
    assert path == ("scan" if argv[0] == "scan" else "cache stats")

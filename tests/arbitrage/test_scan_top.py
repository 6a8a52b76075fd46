"""`scan --top N` shows and keeps exactly the best N; the counts on stderr say what was found and sized."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()
COUNTS = re.compile(
    r"block \d+: (\d+) pools, (\d+) cycles, (\d+) listed, (\d+) sized, (\d+) profitable"
    r"(?: \(showing the best (\d+)\))?"
)


def scan(chain, cache, *args: str):
    result = runner.invoke(app, ["scan", "--json", *args], env=chain.cli_env(cache))
    assert result.exit_code == 0, result.stderr
    match = COUNTS.search(result.stderr)
    assert match, result.stderr
    return json.loads(result.stdout), [int(g) if g else None for g in match.groups()]


def test_top_keeps_exactly_what_it_shows(snapshot, tmp_path):
    chain, cache = snapshot, tmp_path / "cache"
    everything, counts = scan(chain, cache)
    assert len(everything) > 3 and counts[4] == len(everything) and counts[5] is None

    for _ in range(2):  # a second scan replaces the first's ids, it does not add to them
        best, counts = scan(chain, cache, "--top", "3")
        assert [o["id"] for o in best] == [o["id"] for o in everything[:3]]
        assert counts[4] == len(everything) and counts[5] == 3  # "N profitable (showing the best 3)"
    stored = json.loads((cache / "opportunities" / "31337.json").read_text())
    assert sorted(stored["opportunities"]) == sorted(o["id"] for o in best)
    assert stored["profitable"] == len(everything)

    env = chain.cli_env(cache)
    left_out = everything[3]["id"]
    refused = runner.invoke(app, ["simulate", left_out], env=env)
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"Error: unknown opportunity id {left_out!r}: not among the 3 (of {len(everything)} found) the "
        f"last scan at block {best[0]['block']} kept: run `mevcli scan` again (a larger --top keeps more), "
        "or give the route with --pools"
    )
    # A kept id is found: simulate gets as far as the executor, which this chain has not deployed.
    kept = runner.invoke(app, ["simulate", best[1]["id"][:8]], env=env)
    assert kept.exit_code == 2 and "no executor deployed" in kept.stderr


def test_an_id_prefix_under_six_characters_is_refused_as_such(snapshot, tmp_path):
    chain, cache = snapshot, tmp_path / "cache"
    best, _ = scan(chain, cache, "--top", "1", "--max-hops", "2")
    result = runner.invoke(app, ["simulate", best[0]["id"][:5]], env=chain.cli_env(cache))
    assert result.exit_code == 2
    assert "too short: give at least 6 characters" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_max_candidates_leaves_the_cycle_count_alone(snapshot, tmp_path):
    chain, cache = snapshot, tmp_path / "cache"
    _, full = scan(chain, cache)
    _, capped = scan(chain, cache, "--max-candidates", "5")
    pools, cycles, listed, sized, _, _ = full
    assert capped[:3] == [pools, cycles, listed]  # the market, its cycles and those listed are the same
    assert capped[3] <= 5 < sized  # only the sizing is bounded
    assert cycles >= listed >= sized

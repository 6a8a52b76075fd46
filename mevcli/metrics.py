"""What one run measured, for node_exporter's textfile collector (written by `mevcli.metrics_textfile`).

Run samples carry a `command` label; per-chain totals (reserve cache, execution journal) carry
`chain_id` only, since they are the same whoever reads them. This module only gathers samples: the
Prometheus client library, which writes them, is imported when a metrics file is asked for.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mevcli.backend import Backend
    from mevcli.context import AppContext

# name -> (type, help). Only these families are written (and kept from an earlier file).
FAMILIES: dict[str, tuple[str, str]] = {
    "mevcli_last_run_timestamp_seconds": ("gauge", "Unix time the last run of the command ended."),
    "mevcli_last_run_success": ("gauge", "1 if the last run of the command succeeded, 0 if it failed."),
    "mevcli_last_success_timestamp_seconds": (
        "gauge",
        "Unix time the last successful run of the command ended (kept across failed runs).",
    ),
    "mevcli_last_run_duration_seconds": ("gauge", "Wall-clock seconds of the last run of the command."),
    "mevcli_scan_duration_seconds": ("gauge", "Seconds the last scan took (discovery, reads, search)."),
    "mevcli_scan_block": ("gauge", "Block number the last scan read its pool states at."),
    "mevcli_scan_pools": ("gauge", "Pools scanned by the last scan."),
    "mevcli_scan_cycles": ("gauge", "Arbitrage cycles in the market of the last scan."),
    "mevcli_scan_opportunities": ("gauge", "Profitable opportunities reported by the last scan."),
    "mevcli_scan_best_net_profit": (
        "gauge",
        "Best net profit (after flash fee and gas) of the last scan per base token, in the token's base "
        "units (integer, e.g. wei for WETH; divide by 10^decimals for whole tokens).",
    ),
    "mevcli_watch_latency_seconds": (
        "gauge",
        "Seconds from a new head's arrival to its ranking being ready, over the blocks the last watch run "
        "re-ranked, by quantile (0.5, 0.9, 0.99; 1 is the slowest).",
    ),
    "mevcli_watch_ranked_blocks": (
        "gauge",
        "Heads the last watch run re-ranked (behind its latency quantiles).",
    ),
    "mevcli_cache_hits_total": ("counter", "Reserve cache hits: pools served from the cache, per chain."),
    "mevcli_cache_misses_total": ("counter", "Reserve cache misses: pools read from the chain, per chain."),
    "mevcli_cache_event_updates_total": (
        "counter",
        "Logs applied to cached pool states without RPC, per chain.",
    ),
    "mevcli_cache_entries": ("gauge", "Pools held in the reserve cache, per chain."),
    "mevcli_rpc_calls": ("gauge", "JSON-RPC calls made by the last run of the command."),
    "mevcli_rpc_errors": ("gauge", "JSON-RPC calls that failed in the last run of the command."),
    "mevcli_rpc_retries": ("gauge", "JSON-RPC retries in the last run of the command."),
    "mevcli_rpc_failovers": ("gauge", "Switches to another RPC endpoint in the last run of the command."),
    "mevcli_executions_sent_total": (
        "counter",
        "Executor transactions broadcast (mined successfully or reverted), from the execution journal.",
    ),
    "mevcli_executions_reverted_total": (
        "counter",
        "Broadcast executor transactions that reverted on chain, from the execution journal.",
    ),
    "mevcli_executions_succeeded_total": (
        "counter",
        "Broadcast executor transactions mined successfully, from the execution journal.",
    ),
    "mevcli_executions_refused_total": (
        "counter",
        "Executions refused before sending (unprofitable, failed simulation), from the execution journal.",
    ),
    "mevcli_executions_failed_total": (
        "counter",
        "Executions that failed to send or confirm (node refused, no receipt), from the execution journal.",
    ),
    "mevcli_executions_realized_net": (
        "gauge",
        "Realized net of broadcast executor transactions per token (Executed-event profit less the gas "
        "paid, reverts included), in the token's base units, from the execution journal.",
    ),
    "mevcli_executions_estimated_net": (
        "gauge",
        "What the same transactions were estimated to net before sending, per token, in base units.",
    ),
}
# mevcli_executions_<name>_total ← the execution journal's summary figure
EXECUTION_FIGURES = {
    "sent": "sends",
    "succeeded": "successes",
    "reverted": "reverts",
    "refused": "refusals",
    "failed": "failures",
}
RPC_FIELDS = ("calls", "errors", "retries", "failovers")
META_KEY = "mevcli.metrics"  # the run's RunMetrics in click's `ctx.meta` (shared by nested contexts)

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: Labels
    value: float | int

    @classmethod
    def of(cls, name: str, value: float | int, **labels: Any) -> Sample:
        if name not in FAMILIES:
            raise ValueError(f"unknown metric {name}")
        return cls(name, tuple(sorted((k, str(v)) for k, v in labels.items())), value)

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


@dataclass(slots=True)
class RunMetrics:
    """What one invocation measured; `finish` writes it."""

    command: str
    started: float = field(default_factory=time.time)
    samples: list[Sample] = field(default_factory=list)

    def set(self, name: str, value: float | int, **labels: Any) -> None:
        """A sample of this command (labelled `command`)."""
        self.samples.append(Sample.of(name, value, command=self.command, **labels))

    def set_chain(self, name: str, value: float | int, chain_id: int, **labels: Any) -> None:
        """A per-chain total (cache, journal) that is the same whoever reads it: no `command` label."""
        self.samples.append(Sample.of(name, value, chain_id=chain_id, **labels))

    def record_scan(self, summary: Mapping[str, Any]) -> None:
        """The counts of a scan summary (see `mevcli.arbitrage.last_scan.summarise`)."""
        self.set("mevcli_scan_duration_seconds", summary["seconds"])
        self.set("mevcli_scan_block", summary["block"])
        self.set("mevcli_scan_pools", summary["pools"])
        self.set("mevcli_scan_cycles", summary["cycles"])
        self.set("mevcli_scan_opportunities", summary["opportunities"])
        for label, best in summary["best_net_profit"].items():
            self.set("mevcli_scan_best_net_profit", int(best["net_profit"]), base_token=label)

    def record_watch_latency(self, quantiles: Mapping[str, Any]) -> None:
        """`WatchSummary`'s latency quantiles (ms) as seconds per quantile."""
        self.set("mevcli_watch_ranked_blocks", int(quantiles["count"]))
        for key, quantile in (("median", "0.5"), ("p90", "0.9"), ("p99", "0.99"), ("max", "1")):
            if quantiles.get(key) is not None:
                self.set("mevcli_watch_latency_seconds", quantiles[key] / 1000, quantile=quantile)


def current(ctx: Any) -> RunMetrics | None:
    """The RunMetrics of this invocation (`ctx` is the command's click context), if the CLI made one."""
    found = getattr(ctx, "meta", {}).get(META_KEY)
    return found if isinstance(found, RunMetrics) else None


# -- the run's environment: RPC counters, cache statistics, execution journal ---------------------------
def rpc_stats(ctx: AppContext) -> dict[str, int] | None:
    """`w3.provider.stats` counters, if the client was created and its provider keeps them."""
    w3 = ctx.__dict__.get("w3")  # never connect just for metrics
    stats = getattr(getattr(w3, "provider", None), "stats", None) if w3 is not None else None
    if stats is None:
        return None
    values: dict[str, int] = {}
    for name in RPC_FIELDS:
        value = stats.get(name) if isinstance(stats, Mapping) else getattr(stats, name, None)
        if isinstance(value, int):
            values[name] = value
    return values


def _opened_backend(ctx: AppContext) -> Backend | None:
    """The run's backend if it has one open, or the cache dir (a shared Redis is never reached here)."""
    backend = ctx.__dict__.get("backend")
    if backend is None and not ctx.settings.cache_url:
        from mevcli.backend import LocalBackend

        backend = LocalBackend(ctx.settings.cache_dir)
    return backend


def execution_figures(
    where: Backend | Path, chain_id: int
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """From one read of the journal (`journal.summarize`): the counts of sends and their outcomes,
    refusals and failures; and per token, the sends' realized net (profit less gas paid) and what they
    were estimated to net."""
    from mevcli.execution import journal

    figures = journal.summarize(journal.entries(where, chain_id))
    counts = {name: figures[key] for name, key in EXECUTION_FIGURES.items()}
    return counts, {"realized": figures["realized_net"], "estimated": figures["estimated_net"]}


def execution_counts(where: Backend | Path, chain_id: int) -> dict[str, int]:
    """The journal's counts of sends and their outcomes, refusals and failures."""
    return execution_figures(where, chain_id)[0]


def collect_environment(run: RunMetrics, ctx: AppContext) -> None:
    """Add RPC, cache and execution metrics for whatever the run already touched (no new connections)."""
    stats = rpc_stats(ctx)
    for name, value in (stats or {}).items():
        run.set(f"mevcli_rpc_{name}", value)
    chain_id = ctx.__dict__.get("chain_id")
    if not isinstance(chain_id, int):
        return
    backend = _opened_backend(ctx)
    cache = ctx.__dict__.get("reserve_cache")
    if cache is not None:
        cache_stats = cache.stats()
    elif backend is not None:
        from mevcli.cache.reserves import existing_stats

        cache_stats = existing_stats(backend, chain_id)
    else:
        cache_stats = None
    if cache_stats is not None:
        run.set_chain("mevcli_cache_hits_total", cache_stats.hits, chain_id)
        run.set_chain("mevcli_cache_misses_total", cache_stats.misses, chain_id)
        run.set_chain("mevcli_cache_event_updates_total", cache_stats.event_updates, chain_id)
        run.set_chain("mevcli_cache_entries", cache_stats.entries, chain_id)
    if backend is None:
        return
    counts, nets = execution_figures(backend, chain_id)
    for status, count in counts.items():
        run.set_chain(f"mevcli_executions_{status}_total", count, chain_id)
    for kind, per_token in nets.items():
        for token, amount in per_token.items():
            run.set_chain(f"mevcli_executions_{kind}_net", amount, chain_id, token=token)


def targets_from_args(args: list[str], env: Mapping[str, str]) -> tuple[Path | None, Path | None]:
    """(`--metrics-file`, `--metrics-dir`) from the command line or the environment, for runs whose
    settings failed to load."""

    def given(option: str, var: str) -> Path | None:
        for i, arg in enumerate(args):
            if arg.startswith(option + "="):
                return Path(arg.split("=", 1)[1]).expanduser()
            if arg == option and i + 1 < len(args):
                return Path(args[i + 1]).expanduser()
        value = env.get(var)
        return Path(value).expanduser() if value else None

    return given("--metrics-file", "MEVCLI_METRICS_FILE"), given("--metrics-dir", "MEVCLI_METRICS_DIR")

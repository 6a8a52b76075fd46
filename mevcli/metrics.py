"""Run metrics in the Prometheus text exposition format, for node_exporter's textfile collector.

Every invocation with `--metrics-file PATH` (or `metrics_file` / `$MEVCLI_METRICS_FILE`) rewrites PATH
atomically (a temp file in the same directory, then `os.replace`) under a lock. Run samples carry a
`command` label and the file keeps the other commands' samples, so scan, watch and execute can share one
file; per-chain totals (cache, execution journal) carry `chain_id` only. A successful run replaces
everything its command wrote before; a failed run only sets what it knows (`mevcli_last_run_success 0`
and its timestamp), so the last good values stay visible.
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mevcli.context import AppContext

# name -> (type, help). Only these families are written (and kept from an earlier file).
FAMILIES: dict[str, tuple[str, str]] = {
    "mevcli_last_run_timestamp_seconds": ("gauge", "Unix time the last run of the command ended."),
    "mevcli_last_run_success": ("gauge", "1 if the last run of the command succeeded, 0 if it failed."),
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

    def set_chain(self, name: str, value: float | int, chain_id: int) -> None:
        """A per-chain total (cache, journal) that is the same whoever reads it: no `command` label."""
        self.samples.append(Sample.of(name, value, chain_id=chain_id))

    def record_scan(self, summary: Mapping[str, Any]) -> None:
        """The counts of a scan summary (see `mevcli.arbitrage.last_scan.summarise`)."""
        self.set("mevcli_scan_duration_seconds", summary["seconds"])
        self.set("mevcli_scan_block", summary["block"])
        self.set("mevcli_scan_pools", summary["pools"])
        self.set("mevcli_scan_cycles", summary["cycles"])
        self.set("mevcli_scan_opportunities", summary["opportunities"])
        for label, best in summary["best_net_profit"].items():
            self.set("mevcli_scan_best_net_profit", int(best["net_profit"]), base_token=label)


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


def execution_counts(cache_dir: Path, chain_id: int) -> dict[str, int]:
    """Sends and their outcomes, refusals and failures in the journal (`journal.summarize`'s figures)."""
    from mevcli.execution import journal

    figures = journal.summarize(journal.entries(cache_dir, chain_id))
    return {name: figures[key] for name, key in EXECUTION_FIGURES.items()}


def collect_environment(run: RunMetrics, ctx: AppContext) -> None:
    """Add RPC, cache and execution metrics for whatever the run already touched (no new connections)."""
    stats = rpc_stats(ctx)
    for name, value in (stats or {}).items():
        run.set(f"mevcli_rpc_{name}", value)
    chain_id = ctx.__dict__.get("chain_id")
    if not isinstance(chain_id, int):
        return
    cache = ctx.__dict__.get("reserve_cache")
    if cache is not None:
        cache_stats = cache.stats()
    else:
        from mevcli.cache.reserves import store_stats
        from mevcli.cache.store import ReserveStore, cache_directory

        directory = cache_directory(ctx.settings.cache_dir, chain_id)
        if not directory.is_dir():
            cache_stats = None
        else:
            store = ReserveStore(directory)
            try:
                cache_stats = store_stats(store, chain_id)
            finally:
                store.close()
    if cache_stats is not None:
        run.set_chain("mevcli_cache_hits_total", cache_stats.hits, chain_id)
        run.set_chain("mevcli_cache_misses_total", cache_stats.misses, chain_id)
        run.set_chain("mevcli_cache_event_updates_total", cache_stats.event_updates, chain_id)
        run.set_chain("mevcli_cache_entries", cache_stats.entries, chain_id)
    for status, count in execution_counts(ctx.settings.cache_dir, chain_id).items():
        run.set_chain(f"mevcli_executions_{status}_total", count, chain_id)


# -- the text format --------------------------------------------------------------------------------
def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _format_value(value: float | int) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(samples: Iterable[Sample]) -> str:
    """The exposition text: per family `# HELP`, `# TYPE`, then its samples, families in a fixed order."""
    by_name: dict[str, list[Sample]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    lines: list[str] = []
    for name, (kind, help_text) in FAMILIES.items():
        family = sorted(by_name.get(name, ()), key=lambda s: s.labels)
        if not family:
            continue
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for sample in family:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sample.labels)
            head = f"{name}{{{labels}}}" if labels else name
            lines.append(f"{head} {_format_value(sample.value)}")
    return "\n".join(lines) + "\n" if lines else ""


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _parse_labels(text: str) -> Labels:
    labels: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        eq = text.index("=", i)
        key = text[i:eq].strip().lstrip(",").strip()
        if text[eq + 1] != '"':
            raise ValueError(f"label {key} is not quoted")
        j = eq + 2
        while text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        labels.append((key, _unescape(text[eq + 2 : j])))
        i = j + 1
        while i < len(text) and text[i] in ", ":
            i += 1
    return tuple(sorted(labels))


def parse(text: str) -> list[Sample]:
    """Samples of the families we know from an exposition text (comments and unknown names skipped)."""
    samples: list[Sample] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if "{" in line:
                name, rest = line.split("{", 1)
                label_text, value_text = rest.rsplit("}", 1)
                labels = _parse_labels(label_text)
            else:
                name, value_text = line.split(None, 1)
                labels = ()
            token = value_text.split()[0]
            value: float | int = int(token) if re.fullmatch(r"[+-]?\d+", token) else float(token)
        except (ValueError, IndexError):
            continue  # a damaged line: drop it rather than the file
        if name in FAMILIES:  # ints stay exact (wei amounts exceed a float's 53 bits)
            samples.append(Sample(name, labels, value))
    return samples


# -- writing ------------------------------------------------------------------------------------------
def merge(old: Iterable[Sample], new: list[Sample], command: str, success: bool) -> list[Sample]:
    """Keep the old samples that the new ones do not supersede (see the module docstring)."""
    keys = {(s.name, s.labels) for s in new}

    def superseded(sample: Sample) -> bool:
        if (sample.name, sample.labels) in keys:
            return True
        return success and sample.label_map.get("command") == command

    return [s for s in old if not superseded(s)] + list(new)


def write_atomic(path: Path, text: str) -> None:
    """Write through a temp file in the same directory and `os.replace` (readers never see half a file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # node_exporter usually runs as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def finish(run: RunMetrics, path: Path, success: bool, ended: float | None = None) -> None:
    """Add the last-run gauges and merge the run into the file at `path`."""
    ended = time.time() if ended is None else ended
    run.set("mevcli_last_run_timestamp_seconds", round(ended, 3))
    run.set("mevcli_last_run_success", 1 if success else 0)
    run.set("mevcli_last_run_duration_seconds", round(max(ended - run.started, 0.0), 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            old = parse(path.read_text())
        except OSError:
            old = []
        write_atomic(path, render(merge(old, run.samples, run.command, success)))


def path_from_args(args: list[str], env: Mapping[str, str]) -> Path | None:
    """`--metrics-file` from the command line or `$MEVCLI_METRICS_FILE`, for runs whose settings failed."""
    for i, arg in enumerate(args):
        if arg.startswith("--metrics-file="):
            return Path(arg.split("=", 1)[1]).expanduser()
        if arg == "--metrics-file" and i + 1 < len(args):
            return Path(args[i + 1]).expanduser()
    value = env.get("MEVCLI_METRICS_FILE")
    return Path(value).expanduser() if value else None

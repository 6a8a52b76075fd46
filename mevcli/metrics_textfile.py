"""Write a run's metrics for node_exporter's textfile collector with the Prometheus client library.

`--metrics-file PATH`: everything the run measured goes to PATH. `--metrics-dir DIR`: the command's samples
go to `DIR/mevcli_<command>.prom` (`mevcli_scan.prom`, `mevcli_cache_stats.prom`) and the per-chain totals
to `DIR/mevcli_chain_<chain id>.prom`, so every series lives in exactly one file and no file is ever
merged with another. Each file is replaced atomically (a temp file in the same directory, then a rename).
A failed run writes what it knows (success 0, its timestamp and duration, RPC counters) and carries
`mevcli_last_success_timestamp_seconds` over from the file it replaces.

Exactness: prometheus_client renders every value through `float()` (`floatToGoString`), which rounds
integers above 2**53, i.e. wei amounts. The families, HELP/TYPE lines, label escaping and counter `_total`
names are the library's; after rendering, each integer sample gets its exact decimal value back in place
of the float rendering (samples come out in the order the collector yields them).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from mevcli.metrics import FAMILIES, RunMetrics, Sample
from mevcli.redact import redact_text

LAST_SUCCESS = "mevcli_last_success_timestamp_seconds"


class SampleCollector(Collector):
    """The run's samples as metric families, in `FAMILIES` order, samples sorted by labels."""

    def __init__(self, samples: Iterable[Sample]) -> None:
        self.samples = list(samples)

    def collect(self) -> Iterator[Metric]:
        by_name: dict[str, list[Sample]] = {}
        for sample in self.samples:
            by_name.setdefault(sample.name, []).append(sample)
        for name, (kind, help_text) in FAMILIES.items():
            family = sorted(by_name.get(name, ()), key=lambda s: s.labels)
            if not family:
                continue
            metric = Metric(name.removesuffix("_total") if kind == "counter" else name, help_text, kind)
            for sample in family:
                metric.add_sample(name, {k: redact_text(v) for k, v in sample.labels}, sample.value)
            yield metric


def render(samples: Iterable[Sample]) -> str:
    """The exposition text of `samples`, integers written exactly."""
    collector = SampleCollector(samples)
    text = generate_latest(collector).decode()
    values = iter([s.value for metric in collector.collect() for s in metric.samples])
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            lines.append(line)
            continue
        value = next(values)
        if isinstance(value, int) and not isinstance(value, bool):
            line = f"{line.rpartition(' ')[0]} {value}"
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` by a complete file: readers see the old one or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
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


def last_success(path: Path, command: str) -> float | None:
    """`mevcli_last_success_timestamp_seconds` of `command` in the file at `path`, if any."""
    try:
        text = path.read_text()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == LAST_SUCCESS and sample.labels.get("command") == command:
                    return sample.value
    except (OSError, ValueError):
        return None
    return None


def command_file(directory: Path, command: str) -> Path:
    return directory / f"mevcli_{'_'.join(command.split())}.prom"


def split_by_file(
    samples: Sequence[Sample], command: str, file: Path | None, directory: Path | None
) -> dict[Path, list[Sample]]:
    """Which file each sample goes to (see the module docstring)."""
    targets: dict[Path, list[Sample]] = {}
    if file is not None:
        targets[file] = list(samples)
    if directory is not None:
        for sample in samples:
            labels = sample.label_map
            chain_only = "command" not in labels and "chain_id" in labels
            path = directory / f"mevcli_chain_{labels['chain_id']}.prom" if chain_only else None
            targets.setdefault(path or command_file(directory, command), []).append(sample)
    return targets


def finish(
    run: RunMetrics,
    *,
    file: Path | None = None,
    directory: Path | None = None,
    success: bool,
    ended: float | None = None,
) -> list[Path]:
    """Add the last-run gauges and write the run's file(s); returns the paths written."""
    ended = time.time() if ended is None else ended
    run.set("mevcli_last_run_timestamp_seconds", round(ended, 3))
    run.set("mevcli_last_run_success", 1 if success else 0)
    run.set("mevcli_last_run_duration_seconds", round(max(ended - run.started, 0.0), 3))
    own = command_file(directory, run.command) if directory is not None else file
    previous = last_success(own, run.command) if own is not None and not success else None
    if success or previous is not None:
        run.set(LAST_SUCCESS, round(ended, 3) if success else previous)
    targets = split_by_file(run.samples, run.command, file, directory)
    for path, samples in targets.items():
        write_atomic(path, render(samples))
    return list(targets)

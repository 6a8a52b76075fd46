"""Start-up benchmark: wall and CPU time of whole `mevcli` processes (median of N runs).

    .venv/bin/python benchmarks/bench_startup.py                  # --help, quote --help, quote on the devnet
    .venv/bin/python benchmarks/bench_startup.py --runs 21 --cache-dir /tmp/my-cache
    .venv/bin/python benchmarks/bench_startup.py --mevcli /other/checkout/.venv/bin/mevcli   # compare

The quotes run against the devnet of `--cache-dir` (started with `mevcli devnet up` if none runs, and then
stopped at the end). One untimed run first warms the OS file cache and the reserve cache, so the figures are
those of a cron job that runs often. CPU time (user + system of the child) is shown beside wall time: on a
loaded machine it varies far less than wall time. Last, which heavy libraries each command imported.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("web3", "eth_account", "py_ecc.bls", "py_ecc.bls12_381", "eth_abi", "mevcli.context")
QUOTE = ["quote", "--pool", "uniswap_v2:WETH/USDC", "--token-in", "WETH", "--amount-in", str(10**18)]


def run_once(mevcli: Path, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `mevcli` process; stops the benchmark if the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(mevcli), *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"mevcli {' '.join(args)} failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(mevcli: Path, label: str, args: list[str], env: dict[str, str], runs: int) -> None:
    run_once(mevcli, args, env)  # warm-up, untimed
    walls, cpus = zip(*(run_once(mevcli, args, env) for _ in range(runs)), strict=True)
    print(
        f"{label:<30} wall median {statistics.median(walls) * 1000:6.0f} ms "
        f"(min {min(walls) * 1000:4.0f})   cpu median {statistics.median(cpus) * 1000:6.0f} ms"
    )


def imported_by(mevcli: Path, args: list[str], env: dict[str, str]) -> str:
    """Which of HEAVY one run of `mevcli args` imported for real (a stand-in has no file)."""
    probe = "\n".join(
        [
            "import sys",
            "from mevcli.cli.app import main",
            f"sys.argv = ['mevcli', *{args!r}]",
            "try:",
            "    main()",
            "except SystemExit:",
            "    pass",
            f"loaded = [m for m in {HEAVY!r} if getattr(sys.modules.get(m), '__file__', None)]",
            "print(' '.join(loaded) or 'none of them')",
        ]
    )
    python = str(mevcli.with_name("python"))
    # Run from / so the interpreter imports the installed mevcli, not one in the working directory.
    done = subprocess.run([python, "-c", probe], env=env, capture_output=True, text=True, cwd="/")
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else done.stderr.strip()[-200:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs per command")
    parser.add_argument("--cache-dir", type=Path, help="cache dir whose devnet the quotes use")
    parser.add_argument("--mevcli", type=Path, default=Path(sys.executable).with_name("mevcli"))
    args = parser.parse_args()
    mevcli: Path = args.mevcli

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MEVCLI_CACHE_DIR": str(args.cache_dir or Path(tmp))}
        env.pop("ETH_RPC_URL", None)
        status = subprocess.run([str(mevcli), "devnet", "status"], env=env, capture_output=True, text=True)
        start_devnet = status.stdout.startswith("devnet: not running")
        if start_devnet:
            print("starting a devnet for the quote runs…")
            subprocess.run([str(mevcli), "devnet", "up"], env=env, check=True, capture_output=True)
        try:
            print(f"{args.runs} runs each after one warm-up; load average {os.getloadavg()[0]:.1f}")
            measure(mevcli, "mevcli --help", ["--help"], env, args.runs)
            measure(mevcli, "mevcli quote --help", ["quote", "--help"], env, args.runs)
            measure(mevcli, "mevcli quote (devnet)", QUOTE, env, args.runs)
            measure(mevcli, "mevcli --json quote (devnet)", ["--json", *QUOTE], env, args.runs)
            print()
            print(f"imported by --help: {imported_by(mevcli, ['--help'], env)}")
            print(f"imported by quote:  {imported_by(mevcli, QUOTE, env)}")
        finally:
            if start_devnet:
                subprocess.run([str(mevcli), "devnet", "down"], env=env, capture_output=True)


if __name__ == "__main__":
    main()

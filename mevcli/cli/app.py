"""The `mevcli` command: global options, error handling, and the subcommands."""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from mevcli import metrics
from mevcli.chain.deferred_bls import defer_bls_tables
from mevcli.cli.coerce import install as plain_parameters
from mevcli.cli.lazy import LazyCommand, LazyGroup
from mevcli.cli.output import configure_logging, debug, emit_json, error
from mevcli.config import check_cache_dir, load_settings
from mevcli.errors import MevcliError, UsageError
from mevcli.redact import redact_text, redact_url

if TYPE_CHECKING:
    from mevcli.context import AppContext

plain_parameters()  # options of plain types skip pydantic (see cli/coerce.py)

# The subcommands, in the order `--help` lists them. A command's module is imported only when it runs or
# shows its own help (see cli/lazy.py); the summary is its line in `mevcli --help`.
COMMANDS: dict[str, LazyCommand] = {
    "scan": LazyCommand(
        "mevcli.cli.scan", "scan", "Rank cross-DEX arbitrage cycles by profit net of gas and flash-loan fee."
    ),
    "watch": LazyCommand(
        "mevcli.cli.watch",
        "watch",
        "Follow new blocks and pool events; re-rank affected cycles live. Ctrl-C stops with a summary.",
    ),
    "quote": LazyCommand(
        "mevcli.cli.quote", "quote", "Exact amount out for a pool (--pool) or a multi-hop path (--path)."
    ),
    "simulate": LazyCommand(
        "mevcli.cli.simulate",
        "simulate",
        "Run an opportunity through the executor contract without sending: gas, profit, decoded reverts.",
    ),
    "execute": LazyCommand(
        "mevcli.cli.execute",
        "execute",
        "Send an opportunity (flash loan + swaps) through the executor; simulates unless --broadcast.",
    ),
    "status": LazyCommand(
        "mevcli.cli.status",
        "status",
        "Node (chain id, head, RPC URL without credentials), cache, last scan and executions.",
    ),
    "show": LazyCommand(
        "mevcli.cli.show",
        "show",
        "One opportunity in detail: hops, flash source and the others, gas, and net profit against amount.",
    ),
    "cache": LazyCommand(
        "mevcli.cli.cache", "app", "The reserve cache (on disk or a shared Redis) and the execution log."
    ),
    "deploy": LazyCommand("mevcli.cli.deploy", "app", "Deploy our contracts."),
    "devnet": LazyCommand(
        "mevcli.cli.devnet", "app", "The local devnet: anvil with real Uniswap, Balancer and Aave contracts."
    ),
    "pools": LazyCommand(
        "mevcli.cli.pools", "app", "The pool universe: discover to the head, list and inspect pools."
    ),
}

# Global options and whether they take a value. Like Foundry's flags they may stand anywhere on the line:
# before the subcommand or after it, so they are moved to the front before click parses.
GLOBAL_OPTIONS: dict[str, bool] = {
    "--rpc-url": True,
    "--chain": True,
    "--cache-dir": True,
    "--config": True,
    "--json": False,
    "--debug": False,
    "--metrics-file": True,
    "--metrics-dir": True,
    "--quiet": False,
    "--verbose": False,
    "--log-format": True,
    "--version": False,
    "-V": False,
}


def hoist_global_options(args: Sequence[str]) -> list[str]:
    front: list[str] = []
    rest: list[str] = []
    i = 0
    args = list(args)
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            takes_value = GLOBAL_OPTIONS[name]
            if takes_value and "=" not in arg and i + 1 < len(args):
                front.extend(args[i : i + 2])
                i += 2
                continue
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def command_path(group: Any, argv: Sequence[str]) -> str:
    """The subcommand names on a hoisted command line (`scan`, `cache stats`), "" if none."""
    names: list[str] = []
    command = group
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            i += 2 if GLOBAL_OPTIONS[name] and "=" not in arg else 1
            continue
        # A group's subcommand (a lazy one is imported here: the command is about to run anyway).
        sub = command.get_command(None, arg) if isinstance(command, TyperGroup) else None
        if sub is None:
            break
        names.append(arg)
        command, i = sub, i + 1
    return " ".join(names)


def _option_value(argv: Sequence[str], option: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
    return None


@dataclass
class _Run:
    """One invocation: its metrics, and the context and settings once the root callback built them."""

    metrics: metrics.RunMetrics
    argv: Sequence[str] = ()
    app_ctx: AppContext | None = None


class RootGroup(LazyGroup):
    """Hoists global options and turns every failure into one `Error: …` line (traceback with --debug)."""

    lazy_commands = COMMANDS

    def main(self, args: Sequence[str] | None = None, *pargs: Any, **kwargs: Any) -> Any:
        argv = hoist_global_options(sys.argv[1:] if args is None else args)
        debug_mode = "--debug" in argv
        # Until the settings are loaded, log as the command line / environment ask (usage errors too).
        log_format = _option_value(argv, "--log-format") or os.environ.get("MEVCLI_LOG_FORMAT", "")
        configure_logging(quiet="--quiet" in argv, fmt="json" if log_format.strip() == "json" else "text")
        run = _Run(metrics.RunMetrics(command=command_path(self, argv)), argv=argv)
        kwargs.setdefault("obj", run)
        standalone = kwargs.pop("standalone_mode", True)
        try:
            result = super().main(argv, *pargs, standalone_mode=False, **kwargs)
        except typer.TyperException as exc:  # usage errors: bad options, missing values
            error(exc.format_message())
            code = exc.exit_code
        except typer.Abort:
            error("aborted")
            code = 1
        except MevcliError as exc:
            if debug_mode:
                show_traceback(exc)
            error(str(exc))
            code = exc.exit_code
        except Exception as exc:
            if debug_mode:
                show_traceback(exc)
            message = str(exc).splitlines()[0] if str(exc) else ""
            hint = "" if debug_mode else " (run with --debug for details)"
            error(f"unexpected {type(exc).__name__}: {message}{hint}")
            code = 1
        else:
            code = result if isinstance(result, int) else 0
        self._write_metrics(run, argv, code)
        if standalone:
            sys.exit(code)
        return code

    @staticmethod
    def _write_metrics(run: _Run, argv: Sequence[str], code: int) -> None:
        """The metrics file(s), if asked for, after a real command ran (not --help or completion)."""
        skip = {"--help", "-h", "--show-completion", "--install-completion"}
        if not run.metrics.command or skip.intersection(argv):
            return
        settings = run.app_ctx.settings if run.app_ctx is not None else None
        if settings is not None:
            file, directory = settings.metrics_file, settings.metrics_dir
        else:
            file, directory = metrics.targets_from_args(list(argv), os.environ)
        if file is None and directory is None:
            return
        where = ", ".join(str(p) for p in (file, directory) if p is not None)
        try:
            from mevcli import metrics_textfile  # the Prometheus client only when metrics are written

            if run.app_ctx is not None:
                metrics.collect_environment(run.metrics, run.app_ctx)
            written = metrics_textfile.finish(
                run.metrics, file=file, directory=directory, success=code == 0, ended=time.time()
            )
            debug(f"metrics written to {', '.join(str(p) for p in written)}")
        except Exception as exc:  # metrics never change the command's outcome
            error(f"cannot write metrics to {where}: {type(exc).__name__}: {exc}")


def show_traceback(exc: BaseException) -> None:
    """The --debug traceback on stderr, every URL in it (messages, chained causes) redacted."""
    text = "".join(traceback.format_exception(exc))
    sys.stderr.write(redact_text(text))
    sys.stderr.flush()


def _show_version(ctx: typer.Context, value: bool) -> None:
    """`--version` / `-V`: one line (a JSON object with --json anywhere on the line), then exit."""
    if not value or ctx.resilient_parsing:
        return
    from mevcli.version import version_info, version_line

    run = ctx.obj if isinstance(ctx.obj, _Run) else None
    argv = run.argv if run is not None else sys.argv[1:]
    info = version_info()
    if "--json" in argv:
        emit_json(info)
    else:
        sys.stdout.write(version_line(info) + "\n")
    raise typer.Exit(0)


app = typer.Typer(
    cls=RootGroup,
    name="mevcli",
    help="Find, simulate and execute cross-DEX arbitrage on EVM chains.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    rpc_url: Annotated[
        list[str] | None,
        typer.Option("--rpc-url", help="JSON-RPC endpoint; repeat for fail-over [env: ETH_RPC_URL]"),
    ] = None,
    chain: Annotated[
        str | None, typer.Option("--chain", help="arbitrum, ethereum, base or devnet [env: CHAIN]")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout")] = False,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Cache directory [env: MEVCLI_CACHE_DIR]")
    ] = None,
    cache_url: Annotated[
        str | None,
        typer.Option(
            "--cache-url",
            help="Share the cache, nonces and execution log in Redis: redis://HOST:PORT/DB or rediss://… "
            "[env: MEVCLI_CACHE_URL]",
        ),
    ] = None,
    cache_password_file: Annotated[
        Path | None,
        typer.Option(
            "--cache-password-file", help="The Redis password, from a file [env: MEVCLI_CACHE_PASSWORD_FILE]"
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="mevcli.toml (file < env < flags) [env: MEVCLI_CONFIG]")
    ] = None,
    debug_mode: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors")] = False,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            "--metrics-file",
            help="Write Prometheus metrics here (node_exporter textfile) [env: MEVCLI_METRICS_FILE]",
        ),
    ] = None,
    metrics_dir: Annotated[
        Path | None,
        typer.Option(
            "--metrics-dir",
            help="Write one Prometheus .prom file per command here [env: MEVCLI_METRICS_DIR]",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Only errors on stderr, no progress")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Debug-level logs on stderr")] = False,
    log_format: Annotated[
        str | None,
        typer.Option("--log-format", help="text or json (one object per line) [env: MEVCLI_LOG_FORMAT]"),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_show_version,
            is_eager=True,
            help="Show the version, executor code hash and git commit, then exit (--json for JSON)",
        ),
    ] = False,
) -> None:
    if quiet and verbose:
        raise UsageError("--quiet and --verbose exclude each other")
    flags = {
        "rpc_urls": rpc_url or None,
        "chain": chain,
        "json": json_output or None,
        "debug": debug_mode or None,
        "cache_dir": cache_dir,
        "cache_url": cache_url,
        "cache_password_file": cache_password_file,
        "config_path": config,
        "metrics_file": metrics_file,
        "metrics_dir": metrics_dir,
        "quiet": quiet or None,
        "verbose": verbose or None,
        "log_format": log_format,
    }
    from mevcli.context import AppContext

    run = ctx.obj if isinstance(ctx.obj, _Run) else None
    settings = load_settings(flags)
    configure_logging(quiet=settings.quiet, verbose=settings.verbose, fmt=settings.log_format)
    check_cache_dir(settings.cache_dir)
    app_ctx = AppContext(settings)
    if run is not None:
        run.app_ctx = app_ctx
        ctx.meta[metrics.META_KEY] = run.metrics
    debug(
        "settings",
        rpc_urls=[redact_url(u) for u in settings.rpc_urls],
        chain=settings.chain,
        cache_dir=str(settings.cache_dir),
        cache_url=redact_url(settings.cache_url) if settings.cache_url else None,
        config=str(settings.config_path) if settings.config_path else None,
        metrics_file=str(settings.metrics_file) if settings.metrics_file else None,
        metrics_dir=str(settings.metrics_dir) if settings.metrics_dir else None,
    )
    ctx.obj = app_ctx


def main() -> None:
    defer_bls_tables()
    app()

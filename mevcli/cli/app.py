"""The `mevcli` command: global options, error handling, and the subcommands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mevcli.cli import cache, deploy, devnet, execute, quote, scan, simulate, watch
from mevcli.cli.output import stderr
from mevcli.config import load_settings
from mevcli.context import AppContext
from mevcli.errors import MevcliError

# Global options and whether they take a value. Like Foundry's flags they may stand anywhere on the line:
# before the subcommand or after it, so they are moved to the front before click parses.
GLOBAL_OPTIONS: dict[str, bool] = {
    "--rpc-url": True,
    "--chain": True,
    "--cache-dir": True,
    "--config": True,
    "--json": False,
    "--debug": False,
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


class RootGroup(TyperGroup):
    """Hoists global options and turns every failure into one `Error: …` line (traceback with --debug)."""

    def main(self, args: Sequence[str] | None = None, *pargs: Any, **kwargs: Any) -> Any:
        argv = hoist_global_options(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        standalone = kwargs.pop("standalone_mode", True)
        try:
            result = super().main(argv, *pargs, standalone_mode=False, **kwargs)
        except typer.TyperException as exc:  # usage errors: bad options, missing values
            stderr.print(f"Error: {exc.format_message()}", markup=False)
            code = exc.exit_code
        except typer.Abort:
            stderr.print("Error: aborted", markup=False)
            code = 1
        except MevcliError as exc:
            if debug:
                raise
            stderr.print(f"Error: {exc}", markup=False)
            code = exc.exit_code
        except Exception as exc:
            if debug:
                raise
            message = str(exc).splitlines()[0] if str(exc) else ""
            stderr.print(
                f"Error: unexpected {type(exc).__name__}: {message} (run with --debug for details)",
                markup=False,
            )
            code = 1
        else:
            code = result if isinstance(result, int) else 0
        if standalone:
            sys.exit(code)
        return code


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
    config: Annotated[
        Path | None, typer.Option("--config", help="mevcli.toml (file < env < flags) [env: MEVCLI_CONFIG]")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors")] = False,
) -> None:
    flags = {
        "rpc_urls": rpc_url or None,
        "chain": chain,
        "json": json_output or None,
        "debug": debug or None,
        "cache_dir": cache_dir,
        "config_path": config,
    }
    ctx.obj = AppContext(load_settings(flags))


app.command("scan")(scan.scan)
app.command("watch")(watch.watch)
app.command("quote")(quote.quote)
app.command("simulate")(simulate.simulate)
app.command("execute")(execute.execute)
app.add_typer(cache.app, name="cache")
app.add_typer(deploy.app, name="deploy")
app.add_typer(devnet.app, name="devnet")


def main() -> None:
    app()

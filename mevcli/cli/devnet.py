"""`mevcli devnet up|down|status`: the bundled local chain with the real DEX contracts."""

from __future__ import annotations

from typing import Annotated

import typer

from mevcli.cli.output import emit_json, log, stdout
from mevcli.context import AppContext
from mevcli.devnet import manager

app = typer.Typer(
    help="The local devnet: anvil with real Uniswap, Balancer and Aave contracts.", no_args_is_help=True
)


def _show(info: manager.DevnetInfo | None, ctx: typer.Context, verb: str) -> None:
    settings = ctx.obj.settings
    if settings.json:
        emit_json({"running": info is not None, **(info.to_json() if info else {})})
        return
    if info is None:
        stdout.print("devnet: not running")
        return
    stdout.print(f"devnet {verb}: {info.rpc_url} (chain {info.chain_id}, pid {info.pid})")
    manifest = manager.load_manifest(info.manifest)
    origin = "loaded from a dumped state" if info.loaded_state else "deployed"
    extra = f", {info.extra_pools} extra" if info.extra_pools else ""
    stdout.print(f"market: {len(manifest['pools'])} pools{extra} ({origin})")
    stdout.print(f"manifest: {info.manifest}")


@app.command("up")
def up(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port)")] = 0,
    extra_pools: Annotated[
        int,
        typer.Option(
            "--extra-pools",
            min=0,
            max=20_000,
            help="Add N more real pools (V2/Sushi, V3, Balancer, Curve) over extra tokens",
        ),
    ] = 0,
) -> None:
    """Start anvil in the background, deploy and seed the market (reuses a running one).

    The deployed state is dumped under the cache dir, so the next start of the same market loads it
    in seconds instead of deploying again.
    """
    app_ctx: AppContext = ctx.obj
    quiet = app_ctx.settings.json
    if not quiet:
        log("starting devnet…")
    info = manager.up(app_ctx.settings.cache_dir, port, extra_pools, log=None if quiet else log)
    _show(info, ctx, "reused" if info.reused else "started")


@app.command("down")
def down(ctx: typer.Context) -> None:
    """Stop the devnet node that `devnet up` started."""
    stopped = manager.down(ctx.obj.settings.cache_dir)
    if ctx.obj.settings.json:
        emit_json({"stopped": stopped})
    else:
        stdout.print("devnet stopped" if stopped else "devnet: not running")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Report whether the devnet runs, and where."""
    _show(manager.status(ctx.obj.settings.cache_dir), ctx, "running")

"""Where our executor is deployed, per chain: `[chains.NAME] executor` in the config wins, then
`[execution] executor`, else the deployments file `<cache_dir>/deployments/<chain_id>.json` that
`mevcli deploy balancer` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mevcli.atomic import write_json
from mevcli.context import AppContext, parse_address
from mevcli.errors import UsageError

EXECUTOR = "ArbExecutor"


def deployments_path(cache_dir: Path, chain_id: int) -> Path:
    return cache_dir / "deployments" / f"{chain_id}.json"


def read_deployments(cache_dir: Path, chain_id: int) -> dict[str, Any]:
    try:
        return json.loads(deployments_path(cache_dir, chain_id).read_text())
    except (OSError, ValueError):
        return {}


def record_deployment(cache_dir: Path, chain_id: int, name: str, entry: dict[str, Any]) -> None:
    data = read_deployments(cache_dir, chain_id)
    data[name] = entry
    write_json(deployments_path(cache_dir, chain_id), data, indent=2)


def known_executor(ctx: AppContext) -> str | None:
    """The executor of this chain as configured or recorded, or None (its code is not checked here)."""
    for key, table in (
        (f"chains.{ctx.preset.name if ctx.preset else '?'}.executor", ctx.chain_config),
        ("execution.executor", ctx.settings.extra.get("execution", {})),
    ):
        configured = table.get("executor") if isinstance(table, dict) else None
        if configured is not None:
            if not isinstance(configured, str):
                raise UsageError(f"invalid {key} in the config: {configured!r} is not an address")
            return parse_address(configured, f"{key} in the config")
    return read_deployments(ctx.settings.cache_dir, ctx.chain_id).get(EXECUTOR, {}).get("address")

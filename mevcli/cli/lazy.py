"""A command group whose subcommands are imported only when one runs (or shows its own help).

Importing every command module up front costs most of a second (web3, eth_account and the pool readers),
which `mevcli --help` and a cron `scan` would pay for commands they never use. Each subcommand is named
here with its module, the attribute holding it (a command function or a `typer.Typer` sub-app), and its
one-line help for the root command list, which is therefore drawn without importing anything.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a subcommand lives and what the root command list says about it."""

    module: str
    attribute: str
    summary: str


def load_command(name: str, spec: LazyCommand, rich_markup_mode: Any = "rich") -> Any:
    """Import `spec`'s module and turn its command function or sub-app into a click command."""
    target = getattr(importlib.import_module(spec.module), spec.attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        command = typer.main.get_command_from_info(
            CommandInfo(name=name, callback=target),
            pretty_exceptions_short=True,
            rich_markup_mode=rich_markup_mode,
        )
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A Typer group that imports a subcommand's module the first time the subcommand is looked up."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}
    _listing: bool = False

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in self.lazy_commands]
        return list(self.lazy_commands) + eager

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        spec = self.lazy_commands[cmd_name]
        if self._listing:  # drawing the command list: a placeholder carrying the summary is enough
            return TyperCommand(name=cmd_name, help=spec.summary)
        command = load_command(cmd_name, spec, self.rich_markup_mode)
        self.commands[cmd_name] = command
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:  # "No such command": suggest among the lazy names too
            message = getattr(exc, "message", None)
            if isinstance(message, str) and args and "Did you mean" not in message:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    names = ", ".join(repr(m) for m in matches)
                    exc.message = f"{message.rstrip('.')}. Did you mean {names}?"  # type: ignore[attr-defined]
            raise

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

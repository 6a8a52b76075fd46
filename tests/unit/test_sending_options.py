"""The sending options are declared once (`signing.sending_options`) and reach each command whole."""

from __future__ import annotations

from collections import Counter

import typer
from typer.testing import CliRunner

from mevcli.cli import signing
from mevcli.cli.app import COMMANDS
from mevcli.cli.lazy import load_command

SIGNING = {
    "--broadcast",
    "--private-key",
    "--keystore",
    "--account",
    "--password-file",
    "--confirmations",
    "--gas-price",
    "--priority-gas-price",
    "--max-fee-ceiling",
}
EXECUTION = {"--min-profit", "--alert-webhook"}


def _options(*path: str) -> Counter[str]:
    command = load_command(path[0], COMMANDS[path[0]])
    for name in path[1:]:
        command = command.get_command(None, name)  # type: ignore[attr-defined]
    return Counter(opt for param in command.params for opt in param.opts if opt.startswith("--"))


def test_execute_watch_and_deploy_declare_each_sending_option_once():
    for path, expected in (
        (("execute",), SIGNING | EXECUTION),
        (("watch",), SIGNING | EXECUTION),
        (("deploy", "balancer"), SIGNING),
    ):
        options = _options(*path)
        assert {o for o in SIGNING | EXECUTION if options[o]} == expected, path
        assert all(options[o] == 1 for o in expected), path


def test_the_options_reach_the_command_as_one_sending():
    received: list[signing.Sending] = []
    demo = typer.Typer()

    @demo.command()
    @signing.sending_options(execution=True)
    def send(name: str, *, sending: signing.Sending) -> None:
        received.append(sending)
        print(name)

    result = CliRunner().invoke(
        demo, ["route-1", "--broadcast", "--gas-price", "7", "--min-profit", "9", "--confirmations", "3"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "route-1"
    assert received == [signing.Sending(broadcast=True, gas_price=7, min_profit=9, confirmations=3)]
    options = received[0].execution(source="watch")
    assert (options.broadcast, options.gas_price, options.min_profit, options.source) == (True, 7, 9, "watch")
    refused = CliRunner().invoke(demo, ["route-1", "--gas-price", "-1"])
    assert refused.exit_code == 2  # the declared bounds (min=0) still apply

"""Start-up: `mevcli --help` imports no command module, web3 comes without BLS pairing tables, the
lazily drawn command list says what each command's own help says, and a pool kind's modules load only
when that kind is first used."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from typer.testing import CliRunner

from mevcli.cli.app import COMMANDS, app
from mevcli.cli.lazy import load_command

HEAVY = ("web3", "eth_account", "eth_abi", "mevcli.context", "mevcli.cli.scan", "mevcli.cli.cache")


def run_fresh(code: str) -> str:
    """Run `code` in a new interpreter (this one has long imported everything) and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_help_imports_no_command_module() -> None:
    out = run_fresh(
        f"""
        import sys
        from mevcli.cli.app import main
        sys.argv = ["mevcli", "--help"]
        try:
            main()
        except SystemExit as exc:
            assert exc.code == 0, exc.code
        print([m for m in {HEAVY!r} if m in sys.modules])
        """
    )
    assert "Commands" in out and "devnet" in out
    assert out.splitlines()[-1] == "[]"


def test_command_list_matches_each_command_help() -> None:
    """The summaries in app.COMMANDS equal the first line of each command's real help."""
    for name, spec in COMMANDS.items():
        command = load_command(name, spec)
        first_paragraph = (command.help or "").split("\n\n")[0].replace("\n", " ").strip()
        assert spec.summary == first_paragraph, name


def test_lazy_subcommands_run_and_nest() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    for name, spec in COMMANDS.items():
        assert name in listed.output and spec.summary in listed.output
    nested = runner.invoke(app, ["cache", "--help"], env={"COLUMNS": "200"})
    assert nested.exit_code == 0 and "stats" in nested.output
    unknown = runner.invoke(app, ["scna"])
    assert unknown.exit_code != 0 and "scan" in unknown.output


def test_web3_without_bls_tables_and_the_real_ones_on_first_use() -> None:
    out = run_fresh(
        """
        import sys
        from mevcli.chain.deferred_bls import BLS12_381_CURVE_ORDER, defer_bls_tables
        assert defer_bls_tables()
        import web3
        from eth_account import Account
        from eth_keyfile import keyfile
        genuine_before = [m for m in ("py_ecc.bls", "py_ecc.bls12_381", "py_ecc.optimized_bls12_381")
                          if getattr(sys.modules.get(m), "__file__", None)]
        signed = Account.from_key("0x" + "11" * 32).sign_message  # secp256k1 signing works untouched
        print(genuine_before)
        # A version-4 (BLS) keystore needs the real scheme: the stand-in hands over on first use.
        pubkey = keyfile.bls.SkToPk(12345)
        from py_ecc.bls import G2ProofOfPossession
        from py_ecc.bls12_381 import curve_order
        assert pubkey == G2ProofOfPossession.SkToPk(12345)
        assert curve_order == BLS12_381_CURVE_ORDER == keyfile.MAX_V4_PRIVATE_KEY + 1
        print("ok", signed is not None)
        """
    )
    assert out.splitlines() == ["[]", "ok True"]


def test_plain_options_skip_pydantic_and_convert_as_typer_does() -> None:
    out = run_fresh(
        """
        import sys
        from pathlib import Path
        from typing import Annotated, Optional
        import typer
        from typer.testing import CliRunner
        from mevcli.cli.coerce import install
        install()
        app = typer.Typer()
        @app.command()
        def run(
            n: int,
            x: Annotated[float, typer.Option()] = 1.5,
            p: Annotated[Optional[Path], typer.Option()] = None,
            tag: Annotated[Optional[list[str]], typer.Option()] = None,
            flag: bool = False,
        ) -> None:
            print(repr((n, x, p, tag, flag)))
        done = CliRunner().invoke(app, ["7", "--x", "2", "--p", "/tmp", "--tag", "a", "--tag", "b", "--flag"])
        print(done.output.strip())
        bad = CliRunner().invoke(app, ["seven"])
        print(bad.exit_code, "'seven' is not a valid integer" in bad.output)
        print([m for m in ("pydantic", "typer._adapters") if m in sys.modules])
        """
    )
    assert out.splitlines() == ["(7, 2.0, PosixPath('/tmp'), ['a', 'b'], True)", "2 True", "[]"]


def test_pool_kinds_load_on_first_use() -> None:
    out = run_fresh(
        """
        import sys
        from mevcli.dex import forks, kinds, pools, registry
        from mevcli.cache import events
        from mevcli.dex.curve.state import CurvePoolState

        def loaded():
            return sorted(n for n, m in kinds.KIND_MODULES.items() if m in sys.modules)

        print(loaded(), sorted(kinds.KINDS) == sorted(kinds.KIND_MODULES), "curve" in kinds.KINDS)
        print(kinds.kind_named("uniswap_v2").name, loaded())
        print(events.MODELS["uniswap_v3"].kind.name, loaded())
        state = object.__new__(CurvePoolState)  # a state whose kind is not loaded yet finds it by its type
        print(kinds.kind_of(state).name, loaded(), kinds.find_kind(1.5), len(loaded()))
        print(sorted(k.name for k in kinds.KINDS.values()) == sorted(kinds.KIND_MODULES))
        """
    )
    assert out.splitlines() == [
        "[] True True",
        "uniswap_v2 ['uniswap_v2']",
        "uniswap_v3 ['uniswap_v2', 'uniswap_v3']",
        "curve ['curve', 'uniswap_v2', 'uniswap_v3'] None 5",
        "True",
    ]

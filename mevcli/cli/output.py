"""Output conventions: machine JSON on stdout, human tables on stdout, logs and progress on stderr.

Logs go through the `mevcli` logger: rich text on stderr by default, one JSON object per line with
`--log-format json` (cron, log shippers); `--quiet` keeps only errors, `--verbose` adds debug lines.
Every log line, printed line and JSON document passes through `redact_text`: no RPC URL credentials leave.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from mevcli.redact import redact_text

if TYPE_CHECKING:
    from rich.console import Console

    stdout: Console
    stderr: Console

# Off a terminal (cron, pipes, logs) rich would wrap tables at 80 columns; give them room instead.
_WIDTH = None if sys.stdout.isatty() else 200
_consoles: dict[str, Console] = {}


def console(name: str) -> Console:
    """The `stdout` or `stderr` rich console, made (and rich imported) on first use: a `--json` run
    never loads rich."""
    made = _consoles.get(name)
    if made is None:
        made = _consoles[name] = _redacting_console(stderr=name == "stderr")
    return made


def __getattr__(name: str) -> Any:
    """`output.stdout` and `output.stderr`, as `console` makes them."""
    if name in ("stdout", "stderr"):
        return console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _redacting_console(*, stderr: bool) -> Console:
    """A rich console whose printed strings pass through `redact_text` (tables hold redacted values)."""
    from rich.console import Console

    class _RedactingConsole(Console):
        def print(self, *objects: Any, **kwargs: Any) -> None:
            super().print(*(redact_text(o) if isinstance(o, str) else o for o in objects), **kwargs)

    if stderr:
        return _RedactingConsole(stderr=True, highlight=False, soft_wrap=True)
    return _RedactingConsole(highlight=False, soft_wrap=True, width=_WIDTH)


def emit_json(data: Any) -> None:
    """One JSON document on stdout; ints stay ints (amounts are never floats)."""
    sys.stdout.write(redact_text(json.dumps(data, indent=2, default=str)) + "\n")
    sys.stdout.flush()


LOGGER = logging.getLogger("mevcli")
_FIELDS = "mevcli_fields"  # LogRecord attribute carrying the structured extra fields


def _ours(record: logging.LogRecord) -> bool:
    return record.name == LOGGER.name or record.name.startswith(LOGGER.name + ".")


def _markup(record: logging.LogRecord) -> bool:
    """Our messages may carry rich markup; a library's `[…]` is text."""
    return _ours(record) and getattr(record, "markup", True)


def _message(record: logging.LogRecord) -> str:
    """A library's warning names its logger (`urllib3.connectionpool: Retrying …`)."""
    return record.getMessage() if _ours(record) else f"{record.name}: {record.getMessage()}"


class _TextHandler(logging.Handler):
    """The message as before: rich markup on the stderr console; errors as one `Error: …` line."""

    def emit(self, record: logging.LogRecord) -> None:
        message = redact_text(_message(record))
        if record.levelno >= logging.ERROR:
            console("stderr").print(f"Error: {message}", markup=False)
        else:
            fields = getattr(record, _FIELDS, None) if record.levelno <= logging.DEBUG else None
            if fields:
                message += " " + redact_text(" ".join(f"{k}={v}" for k, v in fields.items()))
            console("stderr").print(message, markup=_markup(record))


class _JsonHandler(logging.Handler):
    """One JSON object per line on stderr: ts, level, logger, msg, then the extra fields."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _markup(record):
            from rich.text import Text

            message = Text.from_markup(message).plain
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry: dict[str, Any] = {
            "ts": f"{seconds}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        for key, value in (getattr(record, _FIELDS, None) or {}).items():
            entry.setdefault(key, value)
        sys.stderr.write(redact_text(json.dumps(entry, default=str)) + "\n")
        sys.stderr.flush()


def _progress_or_warning(record: logging.LogRecord) -> bool:
    """Without --verbose, library loggers (`mevcli.rpc`, …) show warnings and errors, not their info."""
    return record.name == LOGGER.name or record.levelno >= logging.WARNING


def configure_logging(*, quiet: bool = False, verbose: bool = False, fmt: str = "text") -> None:
    """(Re)install the redacting stderr handlers, called once settings are known: one on the `mevcli`
    logger, one on the root logger for the libraries' warnings (web3, urllib3, websockets, `warnings`),
    which would otherwise reach stderr unredacted through logging's last-resort handler."""
    handler_class = _JsonHandler if fmt == "json" else _TextHandler
    LOGGER.handlers.clear()
    handler = handler_class()
    if not verbose:
        handler.addFilter(_progress_or_warning)
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    LOGGER.propagate = False
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _TextHandler | _JsonHandler)]:
        root.removeHandler(old)
    libraries = handler_class(logging.ERROR if quiet else logging.WARNING)
    root.addHandler(libraries)
    logging.captureWarnings(True)


def _emit(level: int, message: str, markup: bool, fields: dict[str, Any]) -> None:
    if not LOGGER.handlers:
        configure_logging()
    LOGGER.log(level, message, extra={_FIELDS: fields, "markup": markup})


def log(message: str, **fields: Any) -> None:
    """Progress and notices (info level; hidden by --quiet). Plain text: a `[scan]` in a message is text,
    not rich markup."""
    _emit(logging.INFO, message, False, fields)


def debug(message: str, **fields: Any) -> None:
    """Details shown only with --verbose."""
    _emit(logging.DEBUG, message, False, fields)


def error(message: str, **fields: Any) -> None:
    """A failure: `Error: …` in text, level "error" in JSON; shown even with --quiet."""
    _emit(logging.ERROR, message, False, fields)


def format_units(amount: int, decimals: int, places: int = 6) -> str:
    """`amount` base units as a decimal string, exact integer arithmetic, trimmed to `places`."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**decimals)
    if decimals == 0:
        return f"{sign}{whole:,}"
    digits = str(frac).rjust(decimals, "0")[:places].rstrip("0")
    return f"{sign}{whole:,}" + (f".{digits}" if digits else "")

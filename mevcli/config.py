"""Settings: `mevcli.toml` < environment variables < command-line flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mevcli.errors import ConfigError
from mevcli.redact import redact_url

DEFAULT_CONFIG_NAME = "mevcli.toml"

# env var -> setting; ETH_RPC_URL and CHAIN follow Foundry's conventions.
_ENV = {
    "ETH_RPC_URL": "rpc_urls",
    "CHAIN": "chain",
    "MEVCLI_CACHE_DIR": "cache_dir",
    "MEVCLI_RPC_TIMEOUT": "rpc_timeout",
    "MEVCLI_RPC_RETRIES": "rpc_retries",
    "MEVCLI_RECEIPT_TIMEOUT": "receipt_timeout",
    "MEVCLI_CACHE_TTL": "cache_ttl",
    "MEVCLI_MANIFEST": "manifest",
    "MEVCLI_METRICS_FILE": "metrics_file",
    "MEVCLI_METRICS_DIR": "metrics_dir",
    "MEVCLI_LOG_FORMAT": "log_format",
    "MEVCLI_CACHE_URL": "cache_url",
    "MEVCLI_CACHE_PASSWORD_FILE": "cache_password_file",
}
LOG_FORMATS = ("text", "json")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mevcli"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    rpc_urls: tuple[str, ...] = ()
    chain: str | None = None
    json: bool = False
    debug: bool = False
    cache_dir: Path = field(default_factory=default_cache_dir)
    config_path: Path | None = None
    rpc_timeout: float = 10.0
    # Extra attempts per request on transport errors, HTTP 5xx / 429 and broken bodies (never on reverts).
    rpc_retries: int = 3
    receipt_timeout: float = 120.0  # seconds a broadcast waits for its receipt before it is left pending
    cache_ttl: float = 900.0  # events keep states exact; the TTL is only the backstop
    # A Redis several hosts share (redis:// or rediss://) for the reserve cache, nonces, the execution log
    # and the last scan; None: the cache dir. Its password from the URL or from `cache_password_file`.
    cache_url: str | None = None
    cache_password_file: Path | None = None
    # Devnet manifest (contract roles and pools) for a local node started outside `mevcli devnet up`.
    manifest: Path | None = None
    # Prometheus textfile-collector output, written after every run (success or failure): one file, or
    # one `.prom` file per command in a directory.
    metrics_file: Path | None = None
    metrics_dir: Path | None = None
    quiet: bool = False  # only errors on stderr
    verbose: bool = False  # debug-level logs
    log_format: str = "text"  # "text" (rich) or "json" (one object per line)
    # Free-form sections of the config file (e.g. [scan], [chains.arbitrum]) for the commands that own them.
    extra: dict[str, Any] = field(default_factory=dict)


def _coerce(name: str, value: Any, source: str) -> Any:
    try:
        if name == "rpc_urls":
            items = value if isinstance(value, list) else str(value).replace(",", " ").split()
            urls = tuple(str(u).strip() for u in items if str(u).strip())
            return urls
        if name in ("cache_dir", "manifest", "metrics_file", "metrics_dir", "cache_password_file"):
            return Path(str(value)).expanduser()
        if name in ("rpc_timeout", "cache_ttl", "receipt_timeout"):
            number = float(value)
            if number <= 0:
                raise ValueError("must be positive")
            return number
        if name == "rpc_retries":
            if isinstance(value, bool | float):
                raise ValueError("must be a whole number")
            count = int(str(value).strip())
            if not 0 <= count <= 20:
                raise ValueError("must be between 0 and 20")
            return count
        if name == "chain":
            return str(value).strip().lower() or None
        if name == "cache_url":
            text = str(value).strip()
            if text and not text.startswith(("redis://", "rediss://")):
                raise ValueError("expected redis://HOST:PORT/DB or rediss://...")
            return text or None
        if name == "log_format":
            text = str(value).strip().lower()
            if text not in LOG_FORMATS:
                raise ValueError(f"expected one of {', '.join(LOG_FORMATS)}")
            return text
    except (TypeError, ValueError) as exc:
        shown = redact_url(str(value)) if name == "cache_url" else value
        raise ConfigError(f"invalid {name} in {source}: {shown!r} ({exc})") from None
    return value


def check_cache_dir(path: Path) -> None:
    """Refuse a cache dir that is not a directory, or that cannot be created or written (nothing created)."""
    where = f"cache dir {path} (--cache-dir / MEVCLI_CACHE_DIR)"
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{where} exists and is not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(f"{where} is not writable")
        return
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"{where} cannot be created: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{where} cannot be created: {parent} is not writable")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from exc
    known = {f.name for f in fields(Settings)} | {"rpc_url"}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("rpc_url", "rpc_urls"):
            values["rpc_urls"] = _coerce("rpc_urls", value, str(path))
        elif key in known and key not in ("json", "debug", "quiet", "verbose", "config_path", "extra"):
            values[key] = _coerce(key, value, str(path))
        elif isinstance(value, dict):
            extra[key] = value
        else:
            raise ConfigError(f"unknown setting {key!r} in {path}")
    values["extra"] = extra
    return values


def load_settings(flags: dict[str, Any], env: dict[str, str] | None = None) -> Settings:
    """Merge the config file, the environment and explicit flags (None means "not given")."""
    env = dict(os.environ) if env is None else env
    config_flag = flags.get("config_path")
    config_path = Path(config_flag) if config_flag else None
    if config_path is None and env.get("MEVCLI_CONFIG"):
        config_path = Path(env["MEVCLI_CONFIG"])
    if config_path is None and Path(DEFAULT_CONFIG_NAME).is_file():
        config_path = Path(DEFAULT_CONFIG_NAME)
    values: dict[str, Any] = _read_file(config_path) if config_path else {}
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var], f"${var}")
    for name, value in flags.items():
        if value is None or name == "config_path":
            continue
        values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    return Settings(**values, config_path=config_path)

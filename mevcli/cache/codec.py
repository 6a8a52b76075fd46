"""A JSON codec for the frozen pool-state dataclasses (no pickle: a cache file cannot run code).

A state is stored as `{"type": "module:Class", "fields": {...}}`. Ints stay exact (JSON has no int
limit in Python), tuples/lists come back as tuples, and mappings (V3 ticks and bitmap, whose
`MappingProxyType` pickle refuses anyway) as `{"m": [[key, value], ...]}` so int keys survive. Only
dataclasses under `mevcli.` are ever instantiated.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Mapping
from typing import Any


class CodecError(ValueError):
    """Bytes that are not an encoded state of a known type."""


def _encode(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Mapping):
        return {"m": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    raise CodecError(f"cannot encode a {type(value).__name__} in a pool state")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if isinstance(value, dict):
        return {_decode(k): _decode(v) for k, v in value["m"]}
    return value


def state_to_json(state: Any) -> dict[str, Any]:
    cls = type(state)
    return {
        "type": f"{cls.__module__}:{cls.__qualname__}",
        "fields": {f.name: _encode(getattr(state, f.name)) for f in dataclasses.fields(state)},
    }


def state_from_json(data: Mapping[str, Any]) -> Any:
    try:
        module_name, _, class_name = data["type"].partition(":")
        if not module_name.startswith("mevcli."):
            raise CodecError(f"refusing to build {data['type']!r}: not a mevcli state")
        cls = getattr(importlib.import_module(module_name), class_name)
        if not dataclasses.is_dataclass(cls):
            raise CodecError(f"{data['type']} is not a state dataclass")
        return cls(**{name: _decode(v) for name, v in data["fields"].items()})
    except CodecError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, ImportError) as exc:
        raise CodecError(f"undecodable state: {exc}") from exc


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CodecError(f"undecodable cache record: {exc}") from exc

"""Plain parameters without pydantic: Typer coerces every option through a pydantic TypeAdapter, and
importing pydantic and building the adapters costs a command run more CPU than the rest of its start-up.
Options of plain types (str, int, float, bool, Path, optional or repeated) are converted here as Typer would;
anything else (choices, ranges, parsers, files) keeps Typer's own coercion."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from typer import core
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(value)


_PLAIN: dict[Any, Callable[[Any], Any]] = {str: str, int: int, float: float, Path: Path, bool: _bool}
_NAMES = {str: "string", int: "integer", float: "number", Path: "path", bool: "boolean"}


def _unwrapped(annotation: Any) -> tuple[Any, bool]:
    """(leaf type, repeated) of `X`, `X | None` or `list[X]`; the leaf None when not that shape."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrapped(rest[0]) if len(rest) == 1 else (None, False)
    if origin is list:
        (item,) = get_args(annotation) or (None,)
        return (item if item in _PLAIN else None), True
    return (annotation if annotation in _PLAIN else None), False


@dataclass(frozen=True)
class PlainParam(RuntimeParam):
    """Coercion of a plain-typed option or argument (one value, or each of a repeated one)."""

    leaf: Any = str
    repeated: bool = False

    def _one(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, self.leaf) and not (self.leaf is int and isinstance(value, bool)):
            return value
        try:
            return _PLAIN[self.leaf](value)
        except (TypeError, ValueError):
            raise BadParameter(
                f"{value!r} is not a valid {_NAMES[self.leaf]}.", ctx=ctx, param=param
            ) from None

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.repeated:
            values = value if isinstance(value, (list, tuple)) else [value]
            return [self._one(v, param, ctx) for v in values]
        return self._one(value, param, ctx)


def plain_param(descriptor: Any) -> PlainParam | None:
    """The light coercion for `descriptor`, or None where Typer's own is needed."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None or getattr(info, "click_type", None):
        return None
    if getattr(info, "min", None) is not None or getattr(info, "max", None) is not None:
        return None
    leaf, repeated = _unwrapped(descriptor.annotation)
    if leaf is None:
        return None
    return PlainParam(info, descriptor.annotation, leaf, repeated)


def install() -> None:
    """Route plain parameters of every Typer command around pydantic (idempotent)."""
    parameter = core._TyperParameter
    if getattr(parameter, "_mevcli_plain", False):
        return
    typer_own = parameter.get_runtime_param

    def get_runtime_param(self: Any) -> RuntimeParam:
        if self._runtime_param is None:
            self._runtime_param = plain_param(self.type_descriptor) or typer_own(self)
        return self._runtime_param

    parameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    parameter._mevcli_plain = True  # type: ignore[attr-defined]

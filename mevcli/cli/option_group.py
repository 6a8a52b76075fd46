"""Option groups: a set of typer options that a command declares through one parameter of its function."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_type_hints

R = TypeVar("R")


def option_group(
    param: str, declared: Mapping[str, tuple[Any, Any]], make: Callable[..., Any]
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Declare `declared` (option parameter -> (typer annotation, default)) on a command, in the place of
    its function's parameter `param`, which receives `make(**the options' values)` instead."""

    def decorate(func: Callable[..., R]) -> Callable[..., R]:
        hints = get_type_hints(func, include_extras=True)
        parameters: list[inspect.Parameter] = []
        for p in inspect.signature(func).parameters.values():
            if p.name == param:
                parameters += [
                    inspect.Parameter(name, p.kind, annotation=annotation, default=default)
                    for name, (annotation, default) in declared.items()
                ]
            else:
                parameters.append(p.replace(annotation=hints.get(p.name, p.annotation)))

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> R:
            group = make(**{name: kwargs.pop(name) for name in declared})
            return func(*args, **{param: group}, **kwargs)

        command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        return command

    return decorate

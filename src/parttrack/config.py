"""Typed, frozen dataclass configs loadable from YAML; unknown or mistyped keys are errors."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from parttrack.errors import ConfigError

T = TypeVar("T")


def _coerce(value: Any, tp: Any, key: str, path: str | None) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, key, path)
            except ConfigError as e:
                errors.append(e)
        raise ConfigError(f"key '{key}': {value!r} does not fit {tp}", path)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"key '{key}' must be a mapping, got {type(value).__name__}", path)
        return from_dict(tp, value, path, prefix=f"{key}.")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"key '{key}' must be a list, got {value!r}", path)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], key, path) for v in value)
        if len(args) != len(value):
            raise ConfigError(f"key '{key}' must have {len(args)} items, got {len(value)}", path)
        return tuple(_coerce(v, a, key, path) for v, a in zip(value, args, strict=True))
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"key '{key}' must be one of {list(args)}, got {value!r}", path)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"key '{key}' must be true/false, got {value!r}", path)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"key '{key}' must be an integer, got {value!r}", path)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"key '{key}' must be a number, got {value!r}", path)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"key '{key}' must be a string, got {value!r}", path)
        return value
    return value


def from_dict(cls: type[T], data: dict[str, Any], path: str | Path | None = None, prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise ConfigError."""
    p = None if path is None else str(path)
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping of {cls.__name__} keys, got {type(data).__name__}", p)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(prefix + u for u in unknown)} for {cls.__name__} "
            f"(known: {', '.join(sorted(fields))})",
            p,
        )
    hints = typing.get_type_hints(cls)
    kwargs = {k: _coerce(v, hints[k], prefix + k, p) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{cls.__name__}: {e}", p) from e


def to_dict(cfg: Any) -> dict[str, Any]:
    """Dataclass -> plain dict (tuples as lists), YAML/JSON-safe."""

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (tuple, list)):
            return [conv(x) for x in v]
        return v

    return conv(cfg)


def load_yaml(cls: type[T], path: str | Path) -> T:
    """Load dataclass ``cls`` from a YAML file (ConfigError names the file on any problem)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("config file not found", p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config as UTF-8 text ({type(e).__name__})", p) from e
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        problem = getattr(e, "problem", None)
        raise ConfigError("not valid YAML" + (f": {problem}" if problem else ""), p, None if line is None else line + 1) from e
    return from_dict(cls, data, p)

"""Frozen-dataclass configs that travel with the data: dict round trip with a type tag."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

from avtool.errors import ConfigError

C = TypeVar("C")


def config_to_dict(config: Any, type_tag: str) -> dict[str, Any]:
    """`{"type": tag, **fields}`: enough to rebuild the config with `config_from_dict`.

    JSON-normalised (tuples become lists), so a dict read back from a store compares equal.
    """
    return json.loads(json.dumps({"type": type_tag, **dataclasses.asdict(config)}))


def config_from_dict(config_type: type[C], data: dict[str, Any], type_tag: str | None = None) -> C:
    """Rebuild a config; unknown keys and a mismatched type tag are a ConfigError."""
    data = dict(data)
    tag = data.pop("type", None)
    if type_tag is not None and tag is not None and tag != type_tag:
        raise ConfigError(f"config is for {tag!r}, expected {type_tag!r}")
    fields = {f.name: f for f in dataclasses.fields(config_type)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)} for {type_tag or config_type.__name__}; "
            f"valid: {', '.join(fields)}"
        )
    kwargs = {}
    for key, value in data.items():
        default = fields[key].default
        if isinstance(value, list) and isinstance(default, tuple):
            value = tuple(value)
        kwargs[key] = value
    try:
        return config_type(**kwargs)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"bad value for {type_tag or config_type.__name__}: {err}") from None


def parse_overrides(config_type: type[C], text: str, type_tag: str) -> C:
    """Parse `key=value,key=value` (as typed on the command line) into a config.

    Values are converted to the type of the field's default (int, float, bool, str).
    """
    fields = {f.name: f for f in dataclasses.fields(config_type)}
    values: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ConfigError(f"{type_tag}: expected key=value, got {part!r}")
        key, raw = (s.strip() for s in part.split("=", 1))
        key = key.replace("-", "_")
        if key not in fields:
            raise ConfigError(
                f"unknown option {key!r} for {type_tag}; valid: {', '.join(fields)}"
            )
        values[key] = _convert(raw, fields[key].default, type_tag, key)
    return config_from_dict(config_type, values, type_tag)


def _convert(raw: str, default: Any, tag: str, key: str) -> Any:
    try:
        if isinstance(default, tuple):  # sizes typed as 224x224
            return tuple(type(default[0])(v) for v in raw.lower().split("x"))
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if default is None:
            for kind in (int, float):
                try:
                    return kind(raw)
                except ValueError:
                    pass
            return None if raw.lower() == "none" else raw
    except ValueError:
        raise ConfigError(f"{tag}: {key}={raw!r} is not a valid {type(default).__name__}") from None
    return raw

"""Frozen-dataclass configs that travel with the data: dict round trip with a type tag, and
the valid range of every numeric field, declared once in its metadata and checked here."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from avtool.errors import ConfigError

C = TypeVar("C")

RANGE = "range"
"""Field metadata key holding a `Range`."""


@dataclass(frozen=True)
class Range:
    """The valid values of a numeric field or option; non-finite values are never valid.

    ``str(Range(0, None, min_open=True))`` is ``x>0``, the form ``--help`` shows.
    """

    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False

    def __str__(self) -> str:
        low = "" if self.min is None else f"{_num(self.min)}{'<' if self.min_open else '<='}"
        high = "" if self.max is None else f"{'<' if self.max_open else '<='}{_num(self.max)}"
        if not low and not high:
            return "any finite number"
        if not low:
            return f"x{high}"
        if not high:
            return f"x{'>' if self.min_open else '>='}{_num(self.min)}"
        return f"{low}x{high}"

    def problem(self, value: float) -> str | None:
        """Why `value` is not valid, or None."""
        if not math.isfinite(value):
            return "is not a finite number"
        below = self.min is not None and (value <= self.min if self.min_open
                                          else value < self.min)
        above = self.max is not None and (value >= self.max if self.max_open
                                          else value > self.max)
        return f"is out of range (valid: {self})" if below or above else None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def ranged(min: float | None = None, max: float | None = None, *, min_open: bool = False,
           max_open: bool = False) -> dict[str, Range]:
    """Field metadata declaring a numeric field's valid range, e.g.
    ``n_mels: int = field(default=64, metadata=ranged(min=1))``."""
    return {RANGE: Range(min, max, min_open, max_open)}


def field_range(field: dataclasses.Field) -> Range | None:
    """The declared range of a dataclass field, or None."""
    return field.metadata.get(RANGE)


def is_numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_ranges(config: Any, describe: Callable[[str], str]) -> None:
    """Every numeric value of a dataclass (tuple elements too) is finite and within its
    field's declared range; `describe` names a field in the message (``n_mels``, ``--lr``).

    Raises:
        ConfigError: naming the field, the value and the valid range.
    """
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        valid = field_range(field) or Range()
        for item in value if isinstance(value, tuple) else (value,):
            if not is_numeric(item):
                continue
            problem = valid.problem(item)
            if problem:
                raise ConfigError(f"{describe(field.name)}={item!r} {problem}")


def check_config(config: Any, type_tag: str) -> Any:
    """Ranges of every field, then the config's own cross-field rules (an optional
    ``check()`` method raising ConfigError, e.g. ``f_max`` at most half the sample rate)."""
    check_ranges(config, lambda name: f"{type_tag}: {name}")
    check = getattr(config, "check", None)
    if check is not None:
        check()
    return config


#: Field metadata of a config field added after stores and checkpoints were first written:
#: `config_to_dict` leaves it out while it holds its default, so the recipes recorded before
#: the field existed still compare equal (``field(default=..., metadata=ADDED_LATER)``).
ADDED_LATER = {"added_later": True}


def config_to_dict(config: Any, type_tag: str) -> dict[str, Any]:
    """`{"type": tag, **fields}`: enough to rebuild the config with `config_from_dict`.

    JSON-normalised (tuples become lists), so a dict read back from a store compares equal.
    Fields marked `ADDED_LATER` are left out while they hold their default.
    """
    data = dataclasses.asdict(config)
    for f in dataclasses.fields(config):
        if f.metadata.get("added_later") and data[f.name] == f.default:
            del data[f.name]
    return json.loads(json.dumps({"type": type_tag, **data}))


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
        config = config_type(**kwargs)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"bad value for {type_tag or config_type.__name__}: {err}") from None
    return check_config(config, type_tag or config_type.__name__)


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


def config_ranges(config_type: type) -> Mapping[str, Range]:
    """{field: declared range} of a config class (for `avtool list features` and tests)."""
    return {f.name: f.metadata[RANGE] for f in dataclasses.fields(config_type)
            if RANGE in f.metadata}


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

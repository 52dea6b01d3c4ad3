"""Name -> object registries, so every component is found by the name the user types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from avtool.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A dict keyed by name, filled by a decorator, with checked lookups."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._entries[name] = obj
            return obj

        return decorate

    def unregister(self, name: str) -> None:
        """Remove an entry (plugins and tests that register temporary components)."""
        self._entries.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(sorted(self._entries)) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; valid names: {valid}") from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

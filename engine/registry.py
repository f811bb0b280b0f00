"""Name -> implementation tables: the one place a new activation, loss, optimizer... is added."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import PlaygroundError

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered mapping from a user-visible name to an implementation.

    The GUI's combo boxes and the project-file validator both read `names()`, so registering
    a new entry here is all it takes for it to appear everywhere.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under `name`."""

        def deco(obj: T) -> T:
            if name in self._items:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        """The implementation called `name`, or a PlaygroundError listing the valid names."""
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise PlaygroundError(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self._items)}") from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

"""Name -> implementation tables: the one place a new activation, loss, optimizer... is added."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from .errors import PlaygroundError
from .i18n import _, term

T = TypeVar("T")


def squash(name: str) -> str:
    """A spelling without case, underscores, hyphens or spaces, for lenient lookups."""
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def spec_name(spec: Any) -> Any:
    """The registered name a spec gives: an activation, optimizer, schedule or walker is written
    as its name or as {"name": ..., **parameters} (None when the object names nothing)."""
    return spec.get("name") if isinstance(spec, dict) else spec


class Registry(Generic[T]):
    """An ordered mapping from a name (the identifier files and links keep) to an implementation,
    with the entry's words (what the app shows for it).

    The GUI's combo boxes and the project-file validator both read `names()`, so registering
    a new entry here is all it takes for it to appear everywhere; the lists show `words(name)`
    and keep the name as the item's data.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._spellings: dict[str, str] = {}  # squashed spelling -> registered name
        self._words: dict[str, str] = {}

    def register(self, name: str, words: str | None = None) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under `name`, shown in the app as
        `words` ("Binary cross-entropy" for "binary_crossentropy"). An entry that carries its own
        words as a `title` or `label` string (a data set's title, an optimizer's label) may leave
        them out; tests/test_registries.py fails on an entry with none."""

        def deco(obj: T) -> T:
            if name in self._items:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            self._spellings[squash(name)] = name
            if words is not None:
                self._words[name] = words
            return obj

        return deco

    def given_words(self, name: str) -> str | None:
        """The words registered for `name`, or those its entry carries (a `title` or `label`
        string); None when it has none (what the conformance test looks for)."""
        if name in self._words:
            return self._words[name]
        obj = self._items.get(name)
        for attr in ("title", "label"):
            value = getattr(obj, attr, None)
            if isinstance(value, str) and value:
                return value
        return None

    def words(self, name: str) -> str:
        """`name` as the app shows it, in words and in the user's language (the words are the
        catalog's message: mark them with N_ where they are registered); the identifier itself,
        said plainly, when an entry has none: a list never breaks over a missing label."""
        canonical = name if name in self._items else self.canonical(name)
        found = self.given_words(canonical) if canonical is not None else None
        return term(found) if found is not None else str(name).replace("_", " ")

    def tooltip(self, name: str, about: str = "") -> str:
        """What a list item's tooltip says: its words, what it is, and the identifier files use."""
        if about:
            return _("{words}: {about} (in files: {name})").format(words=self.words(name), about=about, name=name)
        return _("{words} (in files: {name})").format(words=self.words(name), name=name)

    def alias(self, name: str, *spellings: str) -> None:
        """Other names users know `name` by (Keras's: "mean_squared_error" for "mse")."""
        if name not in self._items:
            raise KeyError(f"{self.kind} {name!r} is not registered")
        for spelling in spellings:
            self._spellings[squash(spelling)] = name

    def canonical(self, value: object) -> str | None:
        """The registered name `value` spells, ignoring case and underscores ("MeanSquaredError",
        "mean_squared_error" and "MSE" all give "mse"); None when it names nothing here."""
        if not isinstance(value, str):
            return None
        return self._spellings.get(squash(value))

    def get(self, name: str) -> T:
        """The implementation called `name`, or a PlaygroundError listing the valid names."""
        found = self._items.get(name) if isinstance(name, str) else None
        if found is None:
            canonical = self.canonical(name)
            if canonical is None:
                raise PlaygroundError(_("unknown {kind} {name!r}; choose one of: {items}").format(
                                          kind=_(self.kind), name=name, items=', '.join(self._items)))
            found = self._items[canonical]
        return found

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

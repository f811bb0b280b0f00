"""The command line's argument parser in the user's language: argparse's own headings ("usage: ",
"positional arguments", "options") and -h's help come from our catalog (the standard library's
catalog has no Korean), and a bad argument is one line on stderr with status 2, as every bad input."""

from __future__ import annotations

import argparse
import unicodedata
from typing import Any

from .core.errors import PlaygroundError
from .core.i18n import _


class Formatter(argparse.HelpFormatter):
    """argparse's help with its "usage: " heading from our catalog."""

    def add_usage(self, usage, actions, groups, prefix=None):  # argparse's own signature
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """A parser whose help, headings and errors follow the user's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        self.add_argument("-h", "--help", action="help", help=_("show this help message and exit"))

    def error(self, message: str) -> None:  # one line, status 2, as for every bad input
        raise PlaygroundError(_("{message} (see '{command} --help')").format(message=message, command=self.prog))


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns (a Hangul syllable takes two)."""
    wide = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    room = " " * max(0, width - wide)
    return room + text if right else text + room

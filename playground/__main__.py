"""Entry point: `nn-playground [PROJECT.json] [--play]` opens the app; the subcommands
(train, evaluate, summary, export-data) run headless without importing Qt."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from engine.cli import COMMANDS

    if argv and argv[0] in COMMANDS:
        from engine.cli import main as cli_main

        return cli_main(argv)
    from playground.app import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())

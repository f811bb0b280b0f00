"""Entry point: `nn-playground [PROJECT.json] [--play]` opens the app; the subcommands
(train, evaluate, summary, export-data, ...) run headless without importing Qt, and render and
record draw the window's views off screen (playground/figure_cli.py)."""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path

from engine.core import i18n
from engine.core.i18n import N_, _

#: `nn-playground --help`: the command lines stay as typed, the words are the catalog's.
WINDOW_USAGE = N_("""usage: nn-playground [PROJECT.json | PRESET] [--play]
       nn-playground COMMAND ...
       nn-playground --version

Opens the playground window (with a project, and training at once with --play), or runs a
command without a screen:

{commands}

'nn-playground COMMAND --help' tells more about each.""")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    i18n.install(i18n.language_from_env())  # the command line follows LANG; the window its own choice
    import engine.cli
    from engine.cli import COMMANDS, commands_help

    from . import figure_cli
    from .resources import PRESETS

    engine.cli.PRESET_DIR = PRESETS
    if argv and argv[0] in ("-V", "--version"):
        from . import __version__

        print(f"nn-playground {__version__}")
        return 0
    if argv and argv[0] in COMMANDS:
        return engine.cli.main(argv)
    if argv and argv[0] in figure_cli.COMMANDS:
        return figure_cli.main(argv)
    if argv and argv[0] in ("-h", "--help"):
        print(_(WINDOW_USAGE).format(commands=commands_help(figure_cli.commands_help())))
        return 0
    first = next((a for a in argv if not a.startswith("-")), None)
    preset = first is not None and (PRESETS / f"{first}.json").is_file()
    if first is not None and not Path(first).suffix and not Path(first).exists() and not preset:
        guess = difflib.get_close_matches(first, (*COMMANDS, *figure_cli.COMMANDS), n=1)
        names = [p.stem for p in sorted(PRESETS.glob("*.json"))]
        near = difflib.get_close_matches(first, names, n=1, cutoff=0.6)
        if guess:
            said = _("nn-playground: unknown command '{name}'; did you mean '{guess}'?")
        elif near:
            said = _("nn-playground: unknown command '{name}'; did you mean the preset '{guess}'?")
        else:
            said = _("nn-playground: unknown command '{name}'; commands: {commands}; or give a project file or a "
                     "preset ('nn-playground presets')")  # fmt: skip
        print(said.format(name=first, guess=(guess or near or [""])[0],
                          commands=", ".join((*COMMANDS, *figure_cli.COMMANDS))), file=sys.stderr)  # fmt: skip
        return 2
    if no_display():
        print(
            _("nn-playground: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"
              "Run it on a desktop session (or over ssh -X), or train without a window: "
              "nn-playground train PROJECT.json"),
            file=sys.stderr,
        )
        return 2
    from playground.run.worker_process import warm_up

    warm_up()  # the trainer's fork server imports the engine while this process imports Qt
    from playground.app import run

    return run(argv)


def no_display() -> bool:
    """On Linux and BSD, whether Qt has no screen to use (it would abort with an xcb error)."""
    if sys.platform == "darwin" or os.name == "nt" or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if __name__ == "__main__":
    sys.exit(main())

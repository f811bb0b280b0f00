"""The two commands that draw the window's views without a window (they need Qt, so they live
here rather than in engine/cli.py):

    nn-playground render PROJECT.json [--weights W] [--view V] [--epochs N] [--size WxH] [--scale S]
                         --out OUT.png|OUT.svg
    nn-playground record PROJECT.json [--weights W] [--epochs N] [--every K] [--views V1,V2] [--size WxH] [--fps F]
                         --out OUT.gif|OUT.apng|OUT.mp4|FOLDER/

Both draw off screen (no display needed) and check every argument before training; bad input
exits 2 with a one-line message, as the other commands do.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from engine import PlaygroundError
from engine.cli import _Parser, _project, guarded, resolve_project, start_from
from engine.core import i18n
from engine.core.i18n import N_, _, ngettext, pick
from engine.project.fields import MAX_EPOCHS
from engine.project.files import atomic_write_bytes, check_writable
from engine.run.training import Trainer

from .media import animation
from .media.views import RECORD_VIEWS, VIEWS, default_views, unavailable  # noqa: F401 - read from here too

COMMANDS = ("render", "record")
MIN_SIDE, MAX_SIDE = 16, 8192
MAX_SCALE = 8.0
RENDER_SIZES = {"output": (800, 800), "confusion": (800, 800)}  # the others: DEFAULT_SIZE
DEFAULT_SIZE = (1200, 800)
RECORD_SIZE = "1920x1080"
DEFAULT_FRAMES = 60  # --every's default aims at this many frames after the first
MAX_FPS = 60.0

def use_offscreen() -> None:
    """Draw with Qt's offscreen platform unless the user chose one: figures need no display, and
    come out the same on a machine with one (a screen's own DPI would change the text)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """'1920x1080' as (1920, 1080), or a message saying what is wanted."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", text or "")
    if m is None:
        raise PlaygroundError(_("{option} takes WIDTHxHEIGHT in pixels, such as 1920x1080; got {text!r}").format(
            option=option, text=text))
    w, h = int(m.group(1)), int(m.group(2))
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise PlaygroundError(_("{option} {width}x{height}: each side must be {least} to {most:,} pixels").format(
            option=option, width=w, height=h, least=MIN_SIDE, most=MAX_SIDE))
    return w, h


def parse_views(text: str, option: str = "--views") -> list[str]:
    """'output,curves' as a list of known views (each once, in the order given)."""
    names = [v.strip().lower() for v in (text or "").split(",") if v.strip()]
    if not names:
        raise PlaygroundError(_("{option} needs at least one of {views}").format(option=option, views=", ".join(VIEWS)))
    for name in names:
        if name not in VIEWS:
            close = difflib.get_close_matches(name, list(VIEWS), n=1)
            said = (_("{option}: no view called '{name}'; did you mean '{close}'? The views are {views}") if close else
                    _("{option}: no view called '{name}'; the views are {views}"))  # fmt: skip
            raise PlaygroundError(said.format(option=option, name=name, close=close[0] if close else "",
                                              views=", ".join(VIEWS)))  # fmt: skip
    return list(dict.fromkeys(names))


RENDER_HELP = N_("""\
Draws one of the window's views as a PNG or SVG, off screen (no display needed). The data view
('output': the output plane, or the image views for image data) is what File → Export Plot as PNG/SVG saves
for the same weights. The views start from the project's initial weights (its seed), or from
--weights; --epochs N trains N epochs first, headless, with the project's seed. The curves view
draws a run's history, so it needs --epochs.""")

RECORD_HELP = N_("""\
Trains the project headless (the engine in this process, its seed: the same project gives the
same frames, and the same bytes for GIF and APNG) and writes an animation of the chosen views
laid out for a slide: large text, and a caption with the epoch and the losses. A frame is taken
at the start, every K epochs and at the end. GIF and APNG need nothing more; MP4 needs ffmpeg
(pip install 'nn-playground[video]'); a name ending in / writes numbered PNGs into that folder.""")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nn-playground", description=_("Draw the playground's views without a window."))
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    views = ", ".join(VIEWS)
    r = sub.add_parser("render", help=_("one view as a PNG or SVG figure, without a window"),
                       description=_(RENDER_HELP))  # fmt: skip
    r.add_argument("project", help=_("a project file, or a preset's name"))
    r.add_argument("--weights", help=_("draw these weights (.npz or .json) instead of the initial ones (the "
                                        "project's app.weights, else the initializer's)"))
    r.add_argument("--view", default="output", help=_("one of {views} (default output)").format(views=views))
    r.add_argument("--epochs", type=int, default=0,
                   help=_("train this many epochs first, headless, with the project's seed (default 0; curves need "
                          "it)"))  # fmt: skip
    r.add_argument("--size", help=_("WIDTHxHEIGHT in pixels (default 800x800 for output and confusion, 1200x800 "
                                    "for the others)"))
    r.add_argument("--scale", type=float, default=1.0,
                   help=_("device pixels per pixel of the window's text and lines (default 1, as on a normal "
                          "screen; 2 for print)"))
    r.add_argument("--out", required=True, help=_("OUT.png or OUT.svg"))
    c = sub.add_parser("record", help=_("train and write an animation of the views for a slide (GIF, APNG, MP4)"),
                       description=_(RECORD_HELP))
    c.add_argument("project", help=_("a project file, or a preset's name"))
    c.add_argument("--weights", help=_("start from these weights (.npz or .json) instead of the initial ones (the "
                                        "project's app.weights, else the initializer's)"))
    c.add_argument("--epochs", type=int, help=_("epochs to train (default: the project's)"))
    c.add_argument("--every", type=int, help=_("a frame every K epochs (default: about {frames} frames in all)").format(
        frames=DEFAULT_FRAMES))
    c.add_argument("--views", help=_("comma-separated, from {views} (default output,network,curves: those the "
                                     "project can show)").format(views=views))
    c.add_argument("--size", default=RECORD_SIZE, help=_("WIDTHxHEIGHT of a frame in pixels (default {size})").format(
        size=RECORD_SIZE))
    c.add_argument("--fps", type=float, default=10.0, help=_("frames a second when played (default 10)"))
    c.add_argument("--out", required=True, help=_("OUT.gif, OUT.apng, OUT.mp4, or FOLDER/ for numbered PNGs"))
    return p


def commands_help() -> list[tuple[str, str]]:
    """(command, one-line help) for the usage text, from the parser itself."""
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [(c.dest, c.help or "") for c in sub._choices_actions]


def _trainer(args: argparse.Namespace) -> Trainer:
    """The project's trainer at --weights, or else at its initial weights (its app.weights, said
    in one line, or its initializer's)."""
    project = _project(args.project)
    trainer = Trainer(project, base_dir=resolve_project(args.project).parent)
    start_from(trainer, args.weights, args.project)
    return trainer


def _check_views(views: list[str], trainer: Trainer) -> None:
    for view in views:
        reason = unavailable(view, trainer.project, trainer.data)
        if reason is not None:
            raise PlaygroundError(_("{view}: {reason}").format(view=view, reason=reason))


def _epochs(value: int | None, default: int) -> int:
    epochs = default if value is None else value
    if not 0 <= epochs <= MAX_EPOCHS:
        raise PlaygroundError(_("--epochs must be 0 to {most:,}, got {epochs}").format(most=MAX_EPOCHS, epochs=epochs))
    return epochs


def cmd_render(args: argparse.Namespace, out: TextIO) -> int:
    view = parse_views(args.view, "--view")
    if len(view) != 1:
        raise PlaygroundError(_("--view takes one view, got {view!r}; 'record --views' draws several").format(
            view=args.view))
    view_name = view[0]
    size = parse_size(args.size) if args.size else RENDER_SIZES.get(view_name, DEFAULT_SIZE)
    if not (math.isfinite(args.scale) and 0.5 <= args.scale <= MAX_SCALE):
        raise PlaygroundError(_("--scale must be 0.5 to {most}, got {scale}").format(most=f"{MAX_SCALE:g}",
                                                                                      scale=args.scale))
    suffix = Path(args.out).suffix.lower()
    if suffix not in (".png", ".svg"):
        raise PlaygroundError((_("--out {out}: a figure is saved as .png or .svg, not {suffix!r}") if suffix else
                               _("--out {out}: a figure is saved as .png or .svg; the name has no extension")).format(
            out=args.out, suffix=suffix))  # fmt: skip
    epochs = _epochs(args.epochs, 0)
    if view_name == "curves" and epochs == 0:
        raise PlaygroundError(_("the curves view draws a training run's history: give --epochs N to train N epochs "
                                "first (headless, with the project's seed)"))  # fmt: skip
    check_writable(args.out)
    trainer = _trainer(args)
    _check_views(view, trainer)
    _app()
    from .media.figures import Figures, run

    figures = Figures(trainer.project, view)
    figures.fit(view_name, size, 1.0 if suffix == ".svg" else args.scale)
    try:
        for snap in run(trainer, figures, epochs, max(1, epochs)):
            figures.show(snap)
        if suffix == ".svg":
            data = figures.svg(view_name, size)
        else:
            data = animation.png_bytes(figures.pixels(view_name, size, args.scale))
        atomic_write_bytes(args.out, data)
    finally:
        figures.close()
    out.write(_("{view} at epoch {epoch:,} saved to {path} ({size:,} bytes)").format(
        view=view_name, epoch=trainer.epoch, path=args.out, size=len(data)) + "\n")
    return _diverged(trainer)


def cmd_record(args: argparse.Namespace, out: TextIO) -> int:
    size = parse_size(args.size)
    if not (math.isfinite(args.fps) and 0.1 <= args.fps <= MAX_FPS):
        raise PlaygroundError(_("--fps must be 0.1 to {most}, got {fps}").format(most=f"{MAX_FPS:g}", fps=args.fps))
    views = parse_views(args.views) if args.views is not None else None
    animation.check_output(args.out)
    trainer = _trainer(args)
    epochs = _epochs(args.epochs, trainer.project["training"]["epochs"])
    if args.every is not None and not 1 <= args.every <= MAX_EPOCHS:
        raise PlaygroundError(_("--every must be 1 to {most:,} epochs, got {every}").format(most=MAX_EPOCHS,
                                                                                             every=args.every))
    every = args.every or max(1, math.ceil(epochs / DEFAULT_FRAMES))
    if views is None:
        views = default_views(trainer.project, trainer.data)
    _check_views(views, trainer)
    _app()
    from .media.figures import Figures, Slide, run

    figures = Figures(trainer.project, views)
    title = trainer.project.get("app", {}).get("title") or resolve_project(args.project).stem
    slide = Slide(figures, size, pick(title))
    total = 1 + epochs // every + (1 if epochs % every else 0)
    started = time.perf_counter()
    tty = out.isatty()

    def frames() -> Any:
        for k, snap in enumerate(run(trainer, figures, epochs, every)):
            yield slide.frame(snap)
            line = _("frame {number}/{total} (epoch {epoch:,}) {seconds}s").format(
                number=k + 1, total=total, epoch=snap.epoch, seconds=f"{time.perf_counter() - started:6.1f}")
            if tty:
                out.write("\r" + line)
            elif k == 0 or (k + 1) % max(1, total // 10) == 0:
                out.write(line + "\n")
            out.flush()

    try:
        count = animation.write_animation(args.out, frames(), args.fps)
    finally:
        slide.close()
        figures.close()
    if tty:
        out.write("\n")
    where = Path(args.out)
    written = sum(f.stat().st_size for f in where.glob(f"{animation.FRAME_PREFIX}*.png")) if where.is_dir() else (
        where.stat().st_size)  # fmt: skip
    out.write(ngettext("{count} frame of {views} ({width}x{height}, epochs 0 to {epoch:,}) saved to {path}: "
                       "{megabytes} MB in {seconds}s",
                       "{count} frames of {views} ({width}x{height}, epochs 0 to {epoch:,}) saved to {path}: "
                       "{megabytes} MB in {seconds}s", count).format(
        count=count, views=", ".join(views), width=size[0], height=size[1], epoch=trainer.epoch, path=args.out,
        megabytes=f"{written / 1e6:.2f}", seconds=f"{time.perf_counter() - started:.1f}") + "\n")  # fmt: skip
    return _diverged(trainer)


def _diverged(trainer: Trainer) -> int:
    if trainer.diverged:
        print(_("nn-playground: {reason} The last picture shows those weights.").format(reason=trainer.diverged),
              file=sys.stderr)
        return 1
    if trainer.stopped:
        print("nn-playground: " + _("stopped at epoch {epoch}: {reason}").format(epoch=trainer.epoch,
                                                                                 reason=trainer.stop_reason),
              file=sys.stderr)  # fmt: skip
    return 0


def _app() -> Any:
    """The application the widgets need (the window's font and style), off screen unless a
    platform was chosen. The offscreen platform's note that it cannot resize windows to their
    contents (said for every widget drawn) is left out; Qt's other messages pass."""
    use_offscreen()
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from .app import make_app

    if QApplication.instance() is None:  # our own process, not a caller's app
        qInstallMessageHandler(lambda _mode, _context, message: None if "propagateSizeHints" in message
                               else print(message, file=sys.stderr))  # fmt: skip
    return make_app()


def main(argv: list[str], out: TextIO | None = None) -> int:
    """Run `render` or `record`; the exit status (2 for bad input)."""
    out = out or sys.stdout
    i18n.install(i18n.language_from_env())  # the CLI follows LANG, as engine/cli.py does

    def run() -> int:
        args = _parser().parse_args(argv)
        return {"render": cmd_render, "record": cmd_record}[args.command](args, out)

    return guarded(run)

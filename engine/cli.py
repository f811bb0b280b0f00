"""The headless command line: train, evaluate, summarise and export a project without a screen.

    nn-playground train PROJECT.json [--epochs N] [--seed N] [--weights IN.npz] [--export OUT]
    nn-playground evaluate PROJECT.json --weights W.npz [--json]
    nn-playground summary PROJECT.json
    nn-playground export-data PROJECT.json OUT.csv|OUT.npz

Bad input exits with status 2 and a one-line message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .errors import PlaygroundError
from .fields import MAX_EPOCHS
from .io import (
    DATA_FORMATS,
    ONNX_HINT,
    WEIGHT_FORMATS,
    check_writable,
    export_data,
    load_project,
    load_weights,
    save_weights,
)
from .project import normalize_project
from .training import Diverged, EpochLog, Trainer

COMMANDS = ("train", "evaluate", "summary", "export-data")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, as for every bad input
        raise PlaygroundError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nn-playground", description="Train and inspect nn-playground projects without a screen.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("train", help="train a project and print a progress bar per epoch")
    t.add_argument("project")
    t.add_argument("--epochs", type=int, help="epochs to train (default: the project's; 0 keeps the initial weights)")
    t.add_argument("--seed", type=int, help="override the project's seed")
    t.add_argument("--weights", help="start from these weights (.npz or .json) instead of the initializer")
    t.add_argument("--export", help="save the trained weights: OUT.npz, OUT.json or OUT.onnx")
    e = sub.add_parser("evaluate", help="loss and accuracy of saved weights on each split")
    e.add_argument("project")
    e.add_argument("--weights", required=True)
    e.add_argument("--json", action="store_true", help="print only JSON on stdout")
    s = sub.add_parser("summary", help="the Keras-like model summary")
    s.add_argument("project")
    x = sub.add_parser("export-data", help="the data with its split, before feature maps and normalisation")
    x.add_argument("project")
    x.add_argument("out", help="OUT.csv or OUT.npz")
    return p


def _project(path: str, seed: int | None = None) -> dict[str, Any]:
    """The validated project, with --seed checked by the same rule as the file's own seed."""
    project = load_project(path)
    if seed is not None:
        try:
            project = normalize_project({**project, "seed": seed}, Path(path).parent)
        except PlaygroundError as exc:
            raise PlaygroundError(str(exc).replace("seed", "--seed", 1)) from None
    return project


def _trainer(path: str, seed: int | None = None) -> Trainer:
    return Trainer(_project(path, seed), base_dir=Path(path).parent)


def _check_output(path: str, option: str, formats: tuple[str, ...]) -> None:
    """Refuse an output path before any work: wrong extension, missing folder, not a file."""
    p = Path(path)
    if p.suffix.lower() not in formats:
        choices = ", ".join(formats[:-1]) + f" or {formats[-1]}"
        raise PlaygroundError(f"{option} {p}: can be saved as {choices}, not {p.suffix or 'no extension'!r}")
    if p.suffix.lower() == ".onnx" and importlib.util.find_spec("onnx") is None:
        raise PlaygroundError(f"{option} {p.name}: {ONNX_HINT}")
    check_writable(p)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = int(width * done / total) if total else width
    return "█" * filled + "·" * (width - filled)


def _progress(log: EpochLog, total: int, started: float, out: TextIO, tty: bool) -> None:
    m = log.metrics
    parts = [f"loss {_fmt(m['loss'])}", f"fit_loss {_fmt(m.get('fit_loss'))}"]
    if m["accuracy"] is not None:
        parts.append(f"acc {_fmt(m['accuracy'])}")
    if m["val_loss"] is not None:
        parts.append(f"val_loss {_fmt(m['val_loss'])}")
        if m["val_accuracy"] is not None:
            parts.append(f"val_acc {_fmt(m['val_accuracy'])}")
    line = (
        f"epoch {log.epoch:>{len(str(total))}}/{total} {_bar(log.epoch, total)} {time.perf_counter() - started:6.1f}s  "
        + "  ".join(parts)
    )
    if tty:
        out.write("\r" + line)
        if log.epoch >= total:
            out.write("\n")
    elif log.epoch == 1 or log.epoch == total or log.epoch % max(1, total // 20) == 0:
        out.write(line + "\n")
    out.flush()


def _table(results: dict[str, dict[str, float]]) -> str:
    rows = [f"{'split':<12}{'loss':>10}{'accuracy':>10}"]
    for name, m in results.items():
        acc = f"{m['accuracy']:.4f}" if "accuracy" in m else "—"
        rows.append(f"{name:<12}{m['loss']:>10.4f}{acc:>10}")
    return "\n".join(rows)


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    # Every argument is checked before the data are read or a step is trained.
    if args.export:
        _check_output(args.export, "--export", WEIGHT_FORMATS)
    if args.epochs is not None and not 0 <= args.epochs <= MAX_EPOCHS:
        raise PlaygroundError(f"--epochs must be 0 to {MAX_EPOCHS:,}, got {args.epochs}")
    tr = _trainer(args.project, args.seed)
    if args.weights:
        load_weights(args.weights, tr.network)
    epochs = args.epochs if args.epochs is not None else tr.project["training"]["epochs"]
    started = time.perf_counter()
    tty = out.isatty()
    for note in tr.data.dataset.notes:
        out.write(f"note: {note}\n")
    for warning in tr.warnings:
        print(f"nn-playground: warning: {warning}", file=sys.stderr)
    out.write(
        f"training {Path(args.project).name}: {tr.n_train} samples, {tr.network.count_params():,} parameters, "
        f"{tr.optimizer.label} α={tr.learning_rate:g}, batch {tr.batch_size}\n"
        "loss: the whole training split at each epoch's end, without the L1/L2 penalty; "
        "fit_loss: the epoch's mean mini-batch loss with the penalty, as Keras's fit() prints it\n"
    )
    status = 0
    try:
        tr.fit(epochs, on_epoch=lambda log: _progress(log, epochs, started, out, tty))
    except Diverged as exc:
        out.write("\n")
        print(f"nn-playground: {exc}", file=sys.stderr)
        status = 1
    if tr.stopped:
        out.write(f"stopped at epoch {tr.epoch}: {tr.stop_reason}\n")
    out.write(f"\n{tr.epoch} epochs, {tr.steps} steps in {time.perf_counter() - started:.2f}s\n")
    out.write(_table(tr.evaluate()) + "\n")
    if args.export:
        save_weights(args.export, tr.network, tr.project, tr.data.normalizer)
        out.write(f"weights saved to {args.export}\n")
    return status


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    tr = _trainer(args.project)
    load_weights(args.weights, tr.network)
    results = tr.evaluate()
    out.write(json.dumps(results) + "\n" if args.json else _table(results) + "\n")
    return 0


def cmd_summary(args: argparse.Namespace, out: TextIO) -> int:
    tr = _trainer(args.project)
    out.write(tr.network.summary(Path(args.project).stem) + "\n")
    return 0


def cmd_export_data(args: argparse.Namespace, out: TextIO) -> int:
    _check_output(args.out, "export-data", DATA_FORMATS)
    tr = _trainer(args.project)
    export_data(args.out, tr.data)
    out.write(f"{tr.data.dataset.n} rows saved to {args.out}\n")
    return 0


def commands_help() -> str:
    """One line per command, from the parser itself (so the list never goes stale)."""
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    width = max(len(c.dest) for c in sub._choices_actions)
    return "\n".join(f"  {c.dest:<{width}}  {c.help}" for c in sub._choices_actions)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run one CLI command; returns the exit status (2 for bad input)."""
    out = out or sys.stdout
    handlers: dict[str, Any] = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "summary": cmd_summary,
        "export-data": cmd_export_data,
    }
    try:
        args = _parser().parse_args(argv)
        return handlers[args.command](args, out)
    except PlaygroundError as exc:
        print(f"nn-playground: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"nn-playground: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nn-playground: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

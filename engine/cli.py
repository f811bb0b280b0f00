"""The headless command line: train, evaluate, summarise and export a project without a screen.

    nn-playground train PROJECT.json [--epochs N] [--seed N] [--weights IN.npz] [--export OUT]
                        [--backend numpy|torch] [--device cpu|cuda] [--compare]
    nn-playground evaluate PROJECT.json [--weights W.npz] [--json]
    nn-playground summary PROJECT.json
    nn-playground export-data PROJECT.json OUT.csv|OUT.npz
    nn-playground path FUNCTION [--optimizer JSON|NAME] [--start X,Y] [--steps N] [--params JSON] [--json]
    nn-playground backprop PROJECT.json [--weights W.npz] (--input X1,X2,... --label L | --row N) [--json]
    nn-playground presets
    nn-playground import-tfp URL OUT.json
    nn-playground import-model MODEL.onnx|MODEL.keras|MODEL.pt OUT.json [--weights OUT.npz] [--dtype D]
                  [--activation NAME] [--output-activation NAME] [--input-shape H,W,C]
    nn-playground landscape PROJECT.json [--weights W.npz] [--resolution N] [--span S] [--seed N] [--json]

Bad input exits with status 2 and a one-line message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .cli_args import Parser as _Parser  # noqa: F401  (figure_cli builds its parser with it)
from .cli_args import pad as _pad
from .cli_args import parser as _parser
from .core import i18n
from .core.errors import PlaygroundError
from .core.i18n import _, ngettext
from .core.layers import layer_label
from .core.numbers import number
from .project import normalize_project
from .project.fields import MAX_EPOCHS, MAX_SEED
from .project.files import (
    DATA_FORMATS,
    ONNX_HINT,
    WEIGHT_FORMATS,
    check_writable,
    export_data,
    load_project,
    load_start_weights,
    load_weights,
    save_project,
    save_weights,
    start_weights,
)
from .project.links import from_tfp
from .run.training import Diverged, EpochLog, Trainer
from .teaching.backprop import example, trace
from .teaching.landscape import MAX_SPAN, axis, loss_plane, random_directions
from .teaching.surfaces import get_surface, optimizer_path

COMMANDS = ("train", "evaluate", "summary", "export-data", "backprop", "path", "landscape", "presets", "import-tfp",
            "import-model")
#: The folder of presets, set by the app's entry point (the engine knows no app folders): every
#: command that takes a project file also takes a preset's name ("04-spiral-tanh").
PRESET_DIR: Path | None = None
#: Options whose value may start with a minus sign ("--start -1.5,2"): argparse would take the
#: value for an option, so they are glued to their value before parsing.
SIGNED_OPTIONS = ("--start", "--input", "--label")


def presets() -> list[tuple[str, str]]:
    """(name, title) of every preset, in file order."""
    if PRESET_DIR is None or not PRESET_DIR.is_dir():
        return []
    out = []
    for p in sorted(PRESET_DIR.glob("*.json")):
        try:
            title = json.loads(p.read_text(encoding="utf-8")).get("app", {}).get("title", p.stem)
        except (OSError, ValueError, AttributeError):
            continue
        out.append((p.stem, i18n.pick(title)))
    return out


def resolve_project(path: str) -> Path:
    """A project file's path, or the preset of that name when no such file exists."""
    p = Path(path)
    if p.exists() or p.suffix or PRESET_DIR is None:
        return p
    preset = PRESET_DIR / f"{path}.json"
    if preset.is_file():
        return preset
    names = [name for name, _ in presets()]
    close = difflib.get_close_matches(path, names, n=1, cutoff=0.5)
    if close:
        raise PlaygroundError(_("{path}: no such project file or preset; did you mean the preset '{preset}'?")
                              .format(path=path, preset=close[0]))
    raise PlaygroundError(_("{path}: no such project file or preset; 'nn-playground presets' lists the presets")
                          .format(path=path))


def _project(path: str, seed: int | None = None) -> dict[str, Any]:
    """The validated project, with --seed checked by the same rule as the file's own seed."""
    path = str(resolve_project(path))
    notes: list[str] = []  # older Keras keys read as today's (lr, decay)
    project = load_project(path, notes)
    for note in notes:
        print(_("nn-playground: note: {note}").format(note=note), file=sys.stderr)
    if seed is not None:
        try:
            project = normalize_project({**project, "seed": seed}, Path(path).parent)
        except PlaygroundError as exc:
            raise PlaygroundError(str(exc).replace("seed", "--seed", 1)) from None  # the option's name in any language
    return project


def _trainer(path: str, seed: int | None = None) -> Trainer:
    return Trainer(_project(path, seed), base_dir=resolve_project(path).parent)


def start_from(tr: Trainer, weights: str | None, project: str) -> bool:
    """Load --weights into the run, or else the initial weights the project names (app.weights:
    an imported model's), said in one line on stderr (stdout may be JSON). True: weights were loaded."""
    if weights:
        load_weights(weights, tr.network)
        return True
    name = load_start_weights(tr.network, tr.project, resolve_project(project).parent)
    if name:
        print(_("nn-playground: starting from the project's initial weights in {file} (its app.weights; "
                "--weights overrides them)").format(file=name), file=sys.stderr)
    return name is not None


def _check_output(path: str, option: str, formats: tuple[str, ...]) -> None:
    """Refuse an output path before any work: wrong extension, missing folder, not a file."""
    p = Path(path)
    if p.suffix.lower() not in formats:
        choices = (_("{some} or {last}").format(some=", ".join(formats[:-1]), last=formats[-1]) if len(formats) > 1
                   else formats[0])  # fmt: skip
        raise PlaygroundError(_("{option} {path}: can be saved as {choices}, not {extension!r}").format(
            option=option, path=p, choices=choices, extension=p.suffix or _("no extension")))
    if p.suffix.lower() == ".onnx" and importlib.util.find_spec("onnx") is None:
        raise PlaygroundError(_("{option} {path}: {hint}").format(option=option, path=p.name, hint=_(ONNX_HINT)))
    check_writable(p)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else number(value, digits)


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
    line = _("epoch {epoch}/{total} {bar} {seconds}s  {metrics}").format(
        epoch=f"{log.epoch:>{len(str(total))}}", total=total, bar=_bar(log.epoch, total),
        seconds=f"{time.perf_counter() - started:6.1f}", metrics="  ".join(parts))
    if tty:
        out.write("\r" + line)
        if log.epoch >= total:
            out.write("\n")
    elif log.epoch == 1 or log.epoch == total or log.epoch % max(1, total // 20) == 0:
        out.write(line + "\n")
    out.flush()


def _table(results: dict[str, dict[str, float]]) -> str:
    """Loss and accuracy per split, six significant digits (a loss past a million in scientific
    notation, one too large for a float as ∞), with a line saying what ∞ and NaN mean."""
    rows = [_pad(_("split"), 12) + _pad(_("loss"), 12, right=True) + _pad(_("accuracy"), 10, right=True)]
    for name, m in results.items():
        rows.append(f"{name:<12}{_fmt(m['loss'], 6):>12}{_fmt(m.get('accuracy'), 6):>10}")
    losses = [m["loss"] for m in results.values()]
    if any(math.isinf(v) for v in losses):
        rows.append(_("∞: the loss is too large for a float64 (above 1.8e308); these weights are of no use"))
    if any(math.isnan(v) for v in losses):
        rows.append(_("NaN: the loss is not a number (an infinity minus an infinity on the way)"))
    return "\n".join(rows)


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    # Every argument is checked before the data are read or a step is trained.
    if args.export:
        _check_output(args.export, "--export", WEIGHT_FORMATS)
    if args.epochs is not None and not 0 <= args.epochs <= MAX_EPOCHS:
        raise PlaygroundError(_("--epochs must be 0 to {most:,}, got {epochs}").format(
            most=MAX_EPOCHS, epochs=args.epochs))
    torch = args.backend == "torch" or args.compare
    if args.device != "cpu" and not torch:
        raise PlaygroundError(_("--device is for --backend torch (the NumPy engine runs on the CPU)"))
    if args.compare:
        return _compare(args, out)
    if torch:
        from .backends.pytorch import TorchTrainer

        tr: Trainer = TorchTrainer(_project(args.project, args.seed), base_dir=resolve_project(args.project).parent,
                                   device=args.device)  # fmt: skip
    else:
        tr = _trainer(args.project, args.seed)
    if start_from(tr, args.weights, args.project) and torch:
        tr.push_weights()  # type: ignore[attr-defined]
    epochs = args.epochs if args.epochs is not None else tr.project["training"]["epochs"]
    started = time.perf_counter()
    tty = out.isatty()
    for note in tr.data.dataset.notes:
        out.write(_("note: {note}").format(note=note) + "\n")
    for warning in tr.warnings:
        print(_("nn-playground: warning: {warning}").format(warning=warning), file=sys.stderr)
    out.write(
        _("training {project}: {samples} samples, {parameters:,} parameters, {optimizer} α={rate}, batch {batch}")
        .format(project=Path(args.project).name, samples=tr.n_train, parameters=tr.network.count_params(),
                optimizer=_(tr.optimizer.label), rate=number(tr.learning_rate, 6), batch=tr.batch_size) + _on(tr) + "\n"
        + _("loss: the whole training split at each epoch's end, without the L1/L2 penalty; fit_loss: the epoch's "
            "mean mini-batch loss with the penalty, as Keras's fit() prints it") + "\n"
    )
    status = 0
    warned = [False]

    def on_epoch(log: EpochLog) -> None:
        _progress(log, epochs, started, out, tty)
        if tr.loss_warning and not warned[0]:  # once: the pattern usually lasts
            warned[0] = True
            if tty and log.epoch < epochs:
                out.write("\n")
            what = _where("training.optimizer.learning_rate", args.project)
            print(_("nn-playground: warning at epoch {epoch}: {warning} To try that, {what}.").format(
                epoch=log.epoch, warning=tr.loss_warning, what=what), file=sys.stderr)

    try:
        tr.fit(epochs, on_epoch=on_epoch)
    except Diverged as exc:
        out.write("\n")
        if exc.setting:
            message = _("nn-playground: {error} To try that, {what}. The table below is for the last finite weights.")
        else:
            message = _("nn-playground: {error} The table below is for the last finite weights.")
        what = _where(exc.setting, args.project) if exc.setting else ""
        print(message.format(error=exc, what=what), file=sys.stderr)
        status = 1
    if tr.stopped:
        out.write(_("stopped at epoch {epoch}: {reason}").format(epoch=tr.epoch, reason=tr.stop_reason) + "\n")
    seconds = f"{time.perf_counter() - started:.2f}"
    done = ngettext("{epochs} epoch, {steps} steps in {seconds}s", "{epochs} epochs, {steps} steps in {seconds}s",
                    tr.epoch)
    out.write("\n" + done.format(epochs=tr.epoch, steps=tr.steps, seconds=seconds) + "\n")
    out.write(_table(tr.evaluate()) + "\n")
    if args.export:
        save_weights(args.export, tr.network, tr.project, tr.data.normalizer)
        out.write(_("weights saved to {path}").format(path=args.export) + "\n")
    return status


def _on(tr: Trainer) -> str:
    """", on PyTorch (cpu, float64)" for a run on torch, "" for the NumPy engine's."""
    device = getattr(tr, "device", None)
    return _(", on PyTorch ({device}, {dtype})").format(device=device, dtype=tr.network.dtype.name) if device else ""


def _compare(args: argparse.Namespace, out: TextIO) -> int:
    """`train --compare` (engine/backends/pytorch.py's report); --export saves PyTorch's weights."""
    from .backends.pytorch import compare_report, load_torch

    load_torch()  # before a line is written: without torch, one line says how to install it
    if args.weights:
        raise PlaygroundError(_("--compare starts both runs from the project's initial weights; leave out --weights"))
    project = _project(args.project, args.seed)
    epochs = args.epochs if args.epochs is not None else project["training"]["epochs"]
    if start_weights(project, resolve_project(args.project).parent) is not None:  # compare() starts both from them
        print(_("nn-playground: both runs start from the project's initial weights in {file} (its app.weights)")
              .format(file=project["app"]["weights"]), file=sys.stderr)
    try:
        torch_run = compare_report(project, resolve_project(args.project), epochs, args.device, out)
    except Diverged as exc:
        print(f"nn-playground: {exc}", file=sys.stderr)
        return 1
    if args.export:
        save_weights(args.export, torch_run.network, torch_run.project, torch_run.data.normalizer)
        out.write(_("PyTorch's weights saved to {path}").format(path=args.export) + "\n")
    return 0


def _where(setting: str, project: str) -> str:
    """What a terminal user does to change `setting` and try again: edit the project file, or a
    copy of a preset (presets are read-only parts of the app)."""
    path = resolve_project(project)
    if PRESET_DIR is not None and path.parent == PRESET_DIR:
        return _("copy the preset ({path}) to a file of your own, set {setting} there and train that file").format(
            path=path, setting=setting)
    return _("set {setting} in {file} and train again").format(setting=setting, file=path.name)


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    tr = _trainer(args.project)
    if not start_from(tr, args.weights, args.project):
        raise PlaygroundError(_("evaluate needs --weights W.npz: {project} names no weights of its own (app.weights)")
                              .format(project=resolve_project(args.project).name))
    results = tr.evaluate()
    out.write(json.dumps(results) + "\n" if args.json else _table(results) + "\n")
    return 0


def cmd_summary(args: argparse.Namespace, out: TextIO) -> int:
    tr = _trainer(args.project)
    out.write(tr.network.summary(resolve_project(args.project).stem) + "\n")
    return 0


def cmd_import_tfp(args: argparse.Namespace, out: TextIO) -> int:
    _check_output(args.out, "import-tfp", (".json",))
    project, notes = from_tfp(args.url)
    save_project(args.out, project)
    for note in notes:
        out.write(_("note: {note}").format(note=note) + "\n")
    d, n = project["data"], project["network"]
    shape = ", ".join(layer_label(layer) for layer in n["layers"]) or _("no hidden layer")
    out.write(_("{source} ({problem}), layers {shape}, saved to {path}").format(
        source=d["source"], problem=d["problem"], shape=shape, path=args.out) + "\n")
    return 0


def cmd_import_model(args: argparse.Namespace, out: TextIO) -> int:
    """Import first (every check), then write the weights and the project; nothing is left
    written when any step fails."""
    from .imports import import_model

    _check_output(args.out, "import-model", (".json",))
    weights = Path(args.weights) if args.weights else Path(args.out).with_suffix(".npz")
    _check_output(str(weights), "import-model --weights", (".npz", ".json"))
    if weights.resolve() == Path(args.out).resolve():
        raise PlaygroundError(_("import-model: the weights need a file of their own (--weights OUT.npz)"))
    shape = None
    if args.input_shape:
        try:
            shape = tuple(int(v) for v in args.input_shape.split(","))
        except ValueError:
            raise PlaygroundError(_("--input-shape must be H,W,C in whole numbers, got {text!r}").format(
                text=args.input_shape)) from None
    result = import_model(args.model, args.dtype, args.activation, args.output_activation, shape)
    check_writable(args.out)
    existed = weights.exists()
    project = result.project
    named = weights.suffix.lower() == ".npz" and weights.parent.resolve() == Path(args.out).parent.resolve() \
        and not weights.name.startswith(".")  # app.weights names a .npz beside the project: it opens with them
    if named:
        project = {**project, "app": {**project.get("app", {}), "weights": weights.name}}
    save_weights(weights, result.model(), project)
    try:
        save_project(args.out, project)
    except PlaygroundError:
        if not existed:
            weights.unlink(missing_ok=True)
        raise
    for note in result.notes:
        out.write(_("note: {note}").format(note=note) + "\n")
    n = result.project["network"]
    shape_words = ", ".join(layer_label(layer) for layer in n["layers"]) or _("no hidden layer")
    out.write(_("{source} model: layers {shape}, output {output}; saved {project} and {weights}").format(
        source=result.source, shape=shape_words, output=spec_words(n["output_activation"]), project=args.out,
        weights=weights) + "\n")
    if named:
        out.write(_("{project} names {weights} as its initial weights (app.weights): the window and every command "
                    "start from them").format(project=Path(args.out).name, weights=weights.name) + "\n")
    else:
        out.write(_("{project} does not name {weights} (only a .npz file beside it can be its app.weights): give them "
                    "with --weights {weights} to train, evaluate, backprop, landscape, render or record, or with "
                    "File → Import Weights… in the window").format(project=Path(args.out).name, weights=weights)
                  + "\n")
    return 0


def spec_words(spec: Any) -> str:
    """An activation as a project writes it, in a few words."""
    return spec if isinstance(spec, str) else f"{spec['name']} {spec.get('alpha', '')}".strip()


def cmd_presets(args: argparse.Namespace, out: TextIO) -> int:
    for name, title in presets():
        out.write(f"{name}  {title}\n")
    return 0


def cmd_export_data(args: argparse.Namespace, out: TextIO) -> int:
    _check_output(args.out, "export-data", DATA_FORMATS)
    tr = _trainer(args.project)
    export_data(args.out, tr.data)
    out.write(ngettext("{count} row saved to {path}", "{count} rows saved to {path}", tr.data.dataset.n)
              .format(count=tr.data.dataset.n, path=args.out) + "\n")
    return 0


def _json_option(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PlaygroundError(_("{option} is not valid JSON ({error})").format(option=option, error=exc)) from None


def _point(text: str, option: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise PlaygroundError(_("{option} takes two numbers X,Y such as -1.5,2; got {text!r}").format(
            option=option, text=text)) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise PlaygroundError(_("{option} takes finite numbers, got {text!r}").format(option=option, text=text))
    return x, y


def _numbers(text: str, option: str) -> list[float]:
    try:
        return [float(p) for p in text.split(",")]
    except ValueError:
        raise PlaygroundError(_("{option} takes numbers separated by commas, such as 0.7,-1.3; got {text!r}").format(
            option=option, text=text)) from None


def cmd_backprop(args: argparse.Namespace, out: TextIO) -> int:
    if args.row is None and (args.input is None or args.label is None):
        raise PlaygroundError(_("give --input X1,X2,... with --label L, or --row N for a training row"))
    if args.row is not None and args.input is not None:
        raise PlaygroundError(_("give --input or --row, not both"))
    label: float | None = None
    if args.label is not None:
        values = _numbers(args.label, "--label")
        if len(values) != 1 or not math.isfinite(values[0]):
            raise PlaygroundError(_("--label takes one number, got {text!r}").format(text=args.label))
        label = values[0]
    project = _project(args.project)
    tr = Trainer(project, base_dir=resolve_project(args.project).parent)
    start_from(tr, args.weights, args.project)
    data = tr.data
    if args.row is not None:
        n = data.train.size
        if not 0 <= args.row < n:
            raise PlaygroundError(_("--row must be 0 to {last} (the training rows), got {row}").format(
                last=n - 1, row=args.row))
        raw = data.dataset.x[data.train[args.row]]
        label = float(data.y_train[args.row]) if label is None else label
    else:
        raw = _numbers(args.input, "--input")
    raw, features, label = example(data, raw, label, tr.network.n_outputs)
    result = trace(tr.network, tr.loss, raw, features, label)
    if args.json:
        out.write(json.dumps(result.to_json()) + "\n")
        return 0
    out.write(result.table(data.dataset.columns) + "\n")
    return 0


def cmd_path(args: argparse.Namespace, out: TextIO) -> int:
    surface = get_surface(args.function)
    spec = args.optimizer.strip()
    optimizer = _json_option(spec, "--optimizer") if spec.startswith("{") else spec
    if not isinstance(optimizer, (str, dict)):
        raise PlaygroundError(_("--optimizer takes a name or a JSON object, got {text!r}").format(text=spec))
    params = _json_option(args.params, "--params") if args.params else None
    if params is not None and not isinstance(params, dict):
        raise PlaygroundError(_("--params takes a JSON object such as {example}, got {text!r}").format(
            example="'{\"b\": 50}'", text=args.params))
    start = _point(args.start, "--start") if args.start else None
    result = optimizer_path(surface.name, optimizer, start, args.steps, params)
    if args.json:
        out.write(json.dumps(result) + "\n")
        return 0
    hp = ", ".join(f"{k}={v}" for k, v in result["optimizer"].items() if k != "name")
    out.write(f"{_(surface.title)}: {surface.formula}\n{result['optimizer']['name']} ({hp})\n")
    out.write(f"{_pad(_('step'), 6, right=True)}  {'x':>12}  {'y':>12}  {'f':>14}\n")
    points, values = result["points"], result["values"]
    every = max(1, len(points) // 20)
    for i, ((x, y), v) in enumerate(zip(points, values)):
        if i % every == 0 or i == len(points) - 1:
            out.write(f"{i:>6}  {number(x, 6):>12}  {number(y, 6):>12}  {number(v, 6):>14}\n")
    if "diverged_at" in result:
        out.write(_("diverged at step {step}: lower the learning rate").format(step=result["diverged_at"]) + "\n")
    return 0


def cmd_landscape(args: argparse.Namespace, out: TextIO) -> int:
    if not 0 <= args.seed <= MAX_SEED:  # NumPy takes any size, but no negative seed
        raise PlaygroundError(_("--seed must be 0 to {most:,} (the random directions' seed), got {seed}").format(
            most=MAX_SEED, seed=args.seed))
    tr = _trainer(args.project)
    start_from(tr, args.weights, args.project)
    if not math.isfinite(args.span) or not 0 < args.span <= MAX_SPAN:
        raise PlaygroundError(_("--span must be above 0 and at most {most:g}, got {span}").format(
            most=MAX_SPAN, span=args.span))
    d1, d2 = random_directions(tr.network, np.random.default_rng(args.seed))
    alpha = axis(args.resolution, args.span, "--resolution")
    grid = loss_plane(tr, tr.network.params.copy(), d1, d2, alpha, alpha)
    if args.json:
        loss = [[v if math.isfinite(v) else None for v in row] for row in grid.tolist()]  # JSON has no inf
        out.write(json.dumps({"alpha": alpha.tolist(), "beta": alpha.tolist(), "loss": loss}) + "\n")
        return 0
    c = len(alpha) // 2
    low = np.unravel_index(np.nanargmin(grid), grid.shape)
    out.write(
        _("training loss on the plane w + alpha*d1 + beta*d2, {n}x{n} points, directions filter-normalised "
          "(seed {seed})").format(n=len(alpha), seed=args.seed) + "\n"
        + _("centre (0, 0): {loss} (the weights' training loss)").format(loss=number(grid[c, c], 6)) + "\n"
        + _("lowest: {loss} at alpha {alpha}, beta {beta}").format(
            loss=number(grid[low], 6), alpha=number(alpha[low[1]], 3, sign=True),
            beta=number(alpha[low[0]], 3, sign=True)) + "\n"
        + _("highest: {loss}").format(loss=number(np.nanmax(grid), 6)) + "\n\n"
    )
    out.write("beta\\alpha " + " ".join(f"{a:>7.2f}" for a in alpha) + "\n")
    for b, row in zip(alpha, grid):
        out.write(f"{b:>10.2f} " + " ".join(f"{number(v, 3):>7}" for v in row) + "\n")
    return 0


def commands_help(more: list[tuple[str, str]] | None = None) -> str:
    """One line per command, from the parser itself (so the list never goes stale), then `more`
    (command, help) rows: the app's own commands, which need Qt."""
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    rows = [(c.dest, c.help or "") for c in sub._choices_actions] + list(more or [])
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {text}" for name, text in rows)


def _glue_signed(argv: list[str]) -> list[str]:
    """"--start -1.5,2" as "--start=-1.5,2", so a negative coordinate is not read as an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in SIGNED_OPTIONS and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run one CLI command in the language LANG gives; returns the exit status (2 for bad input)."""
    out = out or sys.stdout
    i18n.install(i18n.language_from_env())
    handlers: dict[str, Any] = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "summary": cmd_summary,
        "export-data": cmd_export_data,
        "backprop": cmd_backprop,
        "path": cmd_path,
        "landscape": cmd_landscape,
        "presets": cmd_presets,
        "import-tfp": cmd_import_tfp,
        "import-model": cmd_import_model,
    }

    def run() -> int:
        args = _parser().parse_args(_glue_signed(sys.argv[1:] if argv is None else argv))
        return handlers[args.command](args, out)

    return guarded(run)


def guarded(run: Callable[[], int]) -> int:
    """`run()`'s exit status, or the CLI's for what went wrong: a bad input or file said in one
    line on stderr (2), Ctrl+C (130). Every command, the window's `render` and `record` too."""
    try:
        return run()
    except PlaygroundError as exc:
        print(_("nn-playground: {error}").format(error=exc), file=sys.stderr)
        return 2
    except OSError as exc:
        print(_("nn-playground: {file}: {error}").format(file=exc.filename or "", error=exc.strerror or exc),
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_("nn-playground: interrupted"), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The Python API for notebooks and scripts: a project driven in a few lines, its views inline.

    from playground.api import Playground
    p = Playground.open("04-spiral-tanh")            # a project file, a preset's name or title, or a dict
    p["training.optimizer.learning_rate"] = 0.03     # any setting, by its path in the field table
    p.fit(20, callback=lambda log: print(log.epoch, log.metrics["loss"]))
    p.figure("output")                               # shown inline by Jupyter (PNG or SVG)

Everything here is the engine's and the window's own code driven without a window: the project
is validated and edited as the app edits it (playground/run/state.py), an edit reaches the run as
the app's worker applies it (a live setting goes into the running trainer, an optimizer change
keeps the weights, any other change starts a new run from the project's seed), training is the
engine's Trainer, and a figure is what `nn-playground render` draws (playground/media/figures.py),
off screen. Bad input raises PlaygroundError with the message the app and the command line give;
in IPython that error is shown as its message alone, without a traceback.
"""

from __future__ import annotations

import copy
import difflib
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

import engine.cli
from engine import PlaygroundError
from engine.cli import presets, resolve_project
from engine.core.i18n import pick
from engine.core.layers import layer_label
from engine.core.numbers import number
from engine.exports.codegen import FRAMEWORKS, export_script
from engine.project.fields import MAX_EPOCHS, Effect, field
from engine.project.files import (
    WEIGHT_FORMATS,
    apply_weights,
    check_writable,
    load_project,
    load_start_weights,
    load_weights,
    read_weights,
    save_project,
    save_weights,
)
from engine.run.training import Diverged, EpochLog, Trainer
from engine.teaching.backprop import Trace, example, trace

from .resources import PRESETS
from .run.live_settings import apply_live, epoch_limit, live_sections
from .run.state import ProjectState, get_path

__all__ = ["BackpropTrace", "Figure", "Playground", "PlaygroundError", "find_project", "preset_names"]

#: Weight rows kept for the weights view's histogram over time (one row per epoch, thinned to
#: every other one past this many, as the view itself thins its rows) ...
WEIGHT_ROWS = 400
#: ... and at most this many bytes of them (a large network keeps fewer rows, further apart).
WEIGHT_ROWS_BYTES = 128 * 2**20

if engine.cli.PRESET_DIR is None:  # as the entry point does: a preset's name opens it
    engine.cli.PRESET_DIR = PRESETS


def preset_names() -> list[tuple[str, str]]:
    """(name, title) of every preset, in order: what `Playground.open` takes besides a file."""
    return presets()


def find_project(name: str | Path) -> Path:
    """The file `name` means: a project file, a preset's name ("04-spiral-tanh"), its number
    ("04") or its title ("Spiral with tanh", any case); a message with the nearest preset else."""
    text = str(name)
    if Path(text).exists():
        return Path(text)
    wanted = text.strip().casefold()
    for stem, title in presets():
        if wanted in (title.casefold(), stem.casefold()) or (wanted.isdigit() and int(wanted) == _number(stem)):
            return PRESETS / f"{stem}.json"
    if Path(text).suffix:  # a file name that is not there: load_project says so
        return Path(text)
    titles = {title.casefold(): stem for stem, title in presets()}
    close = difflib.get_close_matches(wanted, list(titles), n=1, cutoff=0.6)
    if close:
        raise PlaygroundError(f"{text}: no such project file or preset; did you mean the preset "
                              f"'{titles[close[0]]}'?")  # fmt: skip
    try:
        return resolve_project(text)  # the command line's lookup and its message
    except PlaygroundError as exc:
        raise PlaygroundError(str(exc).replace("'nn-playground presets' lists", "preset_names() lists")) from None


def _value(project: dict[str, Any], path: str) -> Any:
    """The setting at `path`, or its default where the project leaves it out (an optional key)."""
    try:
        return get_path(project, path)
    except (KeyError, IndexError):
        return field(path).default


def _number(stem: str) -> int | None:
    head = stem.split("-", 1)[0]
    return int(head) if head.isdigit() else None


class Playground:
    """One project and its run: edit settings by path, fit, evaluate, save, export, trace one
    example's backpropagation and draw any of the window's views.

    Make one with `Playground.open(...)`. The run starts at the project's initial weights (its
    seed): the same project fitted for the same epochs gives the same numbers, bit for bit, as
    the window and `nn-playground train`."""

    def __init__(self, project: dict[str, Any], path: Path | None = None, weights: str | Path | None = None) -> None:
        """`project` validated (a dict as a project file holds it; `path`: its file, which
        relative data paths are read from). The run starts from the initial weights a project file
        names beside it (app.weights, an imported model's), else its seed's draw; `weights`: a .npz
        or .json weight file to start from instead (reset() returns to the initial weights)."""
        self._state = ProjectState()
        self._state.replace(project, path)
        self.path = path
        #: The weights this project's runs start from instead of its initializer's (its app.weights),
        #: as in the window: reset() returns to them; a network they no longer fit drops them.
        self._start: list[np.ndarray] | None = None
        self._trainer = self._new_trainer()
        if path is not None and path.suffix.lower() == ".json":
            net = self._trainer.network
            if load_start_weights(net, self._state.project, self._state.base_dir):
                self._start = net.get_weights()
        if weights is not None:
            self.load_weights(weights)

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, source: str | Path | dict[str, Any], weights: str | Path | None = None) -> Playground:
        """A project from a file, a preset (its name "04-spiral-tanh", number "04" or title
        "Spiral with tanh") or a dict (a project file's contents; left-out keys take their
        defaults, as in a file). `weights`: a .npz or .json weight file to start from; without
        it, a project file that names its initial weights (app.weights, as `nn-playground
        import-model` and the window's Save write them) opens with those. A .npz the app or
        `save_weights` wrote opens alone: its project is inside, with its weights."""
        if isinstance(source, dict):
            return cls(copy.deepcopy({"format": field("format").default, **source}), None, weights)
        path = find_project(source)
        if path.suffix.lower() == ".npz" and weights is None:  # saved weights with their project inside
            arrays, config = read_weights(path)
            if config is None:
                raise PlaygroundError(f"{path.name} holds weights without their project: open the project "
                                      f"with weights='{path.name}'")  # fmt: skip
            p = cls(config, path)
            apply_weights(p._trainer.network, arrays, path.name)
            return p
        return cls(load_project(path), path, weights)

    def _new_trainer(self) -> Trainer:
        """A run of the project as it is now, from its seed's initial weights."""
        project = self.project
        trainer = Trainer(project, base_dir=self._state.base_dir)
        trainer.set_epoch_limit(epoch_limit(project))
        start = self._start
        if start is not None and [w.shape for w in start] == [w.shape for w in trainer.network.get_weights()]:
            trainer.network.set_weights(start)
        else:
            self._start = None  # the network changed: its initializer's weights
        self._weight_rows: list[tuple[int, np.ndarray]] = []  # (epoch, params): the weights view's rows
        self._row_every = 1
        return trainer

    # ----------------------------------------------------------------- settings
    @property
    def project(self) -> dict[str, Any]:
        """The validated project as a file would hold it (a copy: edit it with `set`)."""
        return copy.deepcopy(self._state.project)

    @property
    def trainer(self) -> Trainer:
        """The engine's Trainer of this run (engine/run/training.py), for what this API leaves out."""
        return self._trainer

    def get(self, path: str) -> Any:
        """The setting at a field-table path ("training.optimizer.learning_rate", "network.layers.0.units")."""
        field(path)  # an unknown path is said as the table says it
        try:
            return copy.deepcopy(get_path(self._state.project, path))
        except (KeyError, IndexError, ValueError, TypeError):
            raise PlaygroundError(f"{path}: this project has no such setting") from None

    __getitem__ = get

    def set(self, path: str, value: Any) -> Playground:
        """Change one setting (see `update`); returns self, so calls chain."""
        return self.update({path: value})

    def __setitem__(self, path: str, value: Any) -> None:
        self.set(path, value)

    def update(self, changes: dict[str, Any]) -> Playground:
        """Change several settings at once, validated together as one edit of the window (a data
        change that needs another loss switches it too). What the run does, by the field table's
        effect: a live setting (learning rate, batch size, regularization, schedule...) goes into
        the running trainer and training goes on; another optimizer keeps the weights with fresh
        optimizer state; any other change (network, loss, data, seed) starts a new run from the
        initial weights. A bad value raises the validator's message and changes nothing."""
        for path in changes:
            field(path)
        changes = self._optimizer_choice(dict(changes))
        before = self._state.project
        try:
            change = self._state.apply(dict(changes))
        except PlaygroundError:
            raise
        except (KeyError, IndexError, ValueError, TypeError):  # a list index past the end, a key under a number
            raise PlaygroundError(f"{', '.join(changes)}: this project has no such setting") from None
        if change is None or change.effect == Effect.NONE:
            return self
        project = change.project
        live = tuple(p for p in sorted(change.paths) if field(p).effect == Effect.LIVE)
        try:
            if change.effect == Effect.LIVE:
                apply_live(self._trainer, tuple((p, get_path(project, p)) for p in live), project)
                self._trainer.project = live_sections(self._trainer.project, project)
            elif change.effect == Effect.OPTIMIZER:
                self._trainer.set_optimizer(project["training"]["optimizer"])
                self._trainer.project = live_sections(self._trainer.project, project)
            else:
                self._trainer = self._new_trainer()
        except PlaygroundError:
            # The engine refused it (a batch too small for batch normalization, or too large to
            # hold): the project as it was, and the settings of the edit applied before it back.
            self._state.revert(before)
            if change.effect == Effect.LIVE:
                apply_live(self._trainer, tuple((p, _value(before, p)) for p in live), before)
            raise
        return self

    def _optimizer_choice(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Another optimizer's name, as the window's optimizer box takes it: the new optimizer with
        its own defaults and the learning rate kept (the old one's other settings would not fit),
        plus any of its settings in the same edit."""
        name = changes.get("training.optimizer.name")
        old = self._state.project["training"]["optimizer"]
        if name is None or name == old["name"]:
            return changes
        spec = {"name": name, "learning_rate": old["learning_rate"]}
        for path in [p for p in changes if p.startswith("training.optimizer.")]:
            spec[path.rpartition(".")[2]] = changes.pop(path)
        return {**changes, "training.optimizer": spec}

    def reset(self) -> Playground:
        """Start the run again from the project's initial weights (its app.weights, or its seed's
        draw), history cleared."""
        self._trainer = self._new_trainer()
        return self

    # ----------------------------------------------------------------- training
    @property
    def epoch(self) -> int:
        """Epochs trained in this run."""
        return self._trainer.epoch

    def fit(self, epochs: int | None = None,
            callback: Callable[[EpochLog], Any] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
        """Train `epochs` more epochs (default: the project's training.epochs) or until early
        stopping, calling `callback(log)` after each with `log.epoch` and `log.metrics` (loss,
        accuracy, val_loss, ..., fit_loss, learning_rate; None where a split is empty). Returns
        the history. A run that diverges raises PlaygroundError saying why and what to change;
        the last finite weights and the history up to it stay."""
        tr = self._trainer
        n = tr.project["training"]["epochs"] if epochs is None else epochs
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= MAX_EPOCHS:
            raise PlaygroundError(f"epochs must be a whole number from 0 to {MAX_EPOCHS:,}, got {epochs!r}")
        if tr.stopped and n:
            raise PlaygroundError(f"training has stopped ({tr.stop_reason}); change the setting that stopped it, "
                                  "or reset()")  # fmt: skip
        if tr.epoch == 0 and not self._weight_rows:
            self._keep_row()

        def on_epoch(log: EpochLog) -> None:
            self._keep_row()
            if callback is not None:
                callback(log)

        try:
            tr.fit(int(n), on_epoch=on_epoch)
        except Diverged as exc:
            hint = f' To try that: p["{exc.setting}"] = ..., then reset() and fit() again.' if exc.setting else ""
            raise Diverged(f"{exc}{hint}", exc.setting, exc.headline) from None
        return self.history

    def _keep_row(self) -> None:
        """The weights now, for the weights view's rows over time, within WEIGHT_ROWS and WEIGHT_ROWS_BYTES."""
        params = self._trainer.network.params
        if self._trainer.epoch % self._row_every:
            return
        self._weight_rows.append((self._trainer.epoch, params.copy()))
        while len(self._weight_rows) > WEIGHT_ROWS or len(self._weight_rows) * params.nbytes > WEIGHT_ROWS_BYTES:
            self._weight_rows = self._weight_rows[::2]
            self._row_every *= 2

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Per metric, one float per epoch trained in this run (NaN where a split is empty):
        loss, accuracy, val_loss, val_accuracy, test_loss, test_accuracy (whole splits at each
        epoch's end, without the L1/L2 penalty), fit_loss (Keras's running loss) and learning_rate."""
        return {k: np.array(v, dtype=np.float64) for k, v in self._trainer.history.values.items()}

    def history_frame(self) -> Any:
        """The history as a pandas DataFrame, one row per epoch (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise PlaygroundError("history_frame() needs pandas (pip install pandas); history is the same "
                                  "as a dict of arrays") from None  # fmt: skip
        frame = pd.DataFrame(self.history)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
        return frame

    def evaluate(self) -> dict[str, dict[str, float]]:
        """Loss (and accuracy) of the weights now on each split: {"train": {"loss", "accuracy"},
        "validation": ..., "test": ...}, empty splits left out; what `nn-playground evaluate` prints."""
        return self._trainer.evaluate()

    def predict(self, inputs: Any) -> np.ndarray:
        """The network's outputs (probabilities or values) for raw inputs as the data has them,
        one row each (before feature maps and normalisation, which are applied here)."""
        data = self._trainer.data
        try:
            raw = np.asarray(inputs, dtype=np.float64).reshape(-1, len(data.dataset.columns))
        except (TypeError, ValueError):
            raise PlaygroundError(f"predict takes rows of {len(data.dataset.columns)} numbers "
                                  f"({', '.join(data.dataset.columns[:6])})") from None  # fmt: skip
        return self._trainer.predict(data.transform(raw).astype(self._trainer.network.dtype))

    def summary(self) -> str:
        """The Keras-like model summary (`nn-playground summary`)."""
        return self._trainer.network.summary(self.title)

    @property
    def title(self) -> str:
        """The project's title (app.title), or its file's name."""
        title = self._state.project.get("app", {}).get("title")
        return pick(title) if title else (self.path.stem if self.path else "project")

    # ----------------------------------------------------------------- files
    def save(self, path: str | Path) -> Path:
        """Save the project (its settings as edited, not the weights now) as a .json project file.
        Initial weights of its own (an imported model's) go beside it as NAME.weights.npz, named
        by its app.weights, as the window's Save does, so it reopens with them."""
        p = Path(path)
        if p.suffix.lower() != ".json":
            raise PlaygroundError(f"{p.name}: a project is saved as .json (weights: save_weights)")
        check_writable(p)
        project = self._state.project
        app = {k: v for k, v in project.get("app", {}).items() if k != "weights"}
        if self._start is None:
            return save_project(p, {**project, "app": app} if "weights" in project.get("app", {}) else project)
        weights = p.with_name(f"{p.stem}.weights.npz")
        project = {**project, "app": {**app, "weights": weights.name}}
        tr = self._trainer
        start = copy.deepcopy(tr.network)  # at the initial weights; the run's untouched
        start.set_weights(self._start)
        save_weights(weights, start, project, tr.data.normalizer)
        return save_project(p, project)

    def save_weights(self, path: str | Path) -> Path:
        """Save the weights now as .npz (with the project inside, as the app saves them), .json or
        .onnx (the normalisation included, inputs before it)."""
        p = Path(path)
        if p.suffix.lower() not in WEIGHT_FORMATS:
            raise PlaygroundError(f"{p.name}: weights are saved as {', '.join(WEIGHT_FORMATS)}")
        check_writable(p)
        tr = self._trainer
        return save_weights(p, tr.network, tr.project, tr.data.normalizer)

    def load_weights(self, path: str | Path) -> Playground:
        """Load weights saved for this project (.npz or .json); the run goes on from them."""
        load_weights(path, self._trainer.network)
        return self

    def export(self, path: str | Path, framework: str = "pytorch") -> list[Path]:
        """Export the trained network: OUT.onnx (an ONNX model), or OUT.py, a runnable PyTorch or
        Keras script (`framework`) with its weights beside it, as File → Export does. Returns the
        files written."""
        p = Path(path)
        tr = self._trainer
        if p.suffix.lower() == ".onnx":
            return [self.save_weights(p)]
        if p.suffix and p.suffix.lower() != ".py":
            raise PlaygroundError(f"{p.name}: export writes OUT.onnx or a script OUT.py (weights: save_weights)")
        if framework not in FRAMEWORKS:
            raise PlaygroundError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
        check_writable(p if p.suffix else p.with_suffix(".py"))
        return list(export_script(p, framework, tr.network, tr.project, tr.data))

    # ----------------------------------------------------------------- teaching
    def trace(self, row: int | None = None, *, inputs: Sequence[float] | None = None,
              label: float | None = None) -> BackpropTrace:  # fmt: skip
        """Backpropagation for one example with every number (what `nn-playground backprop`
        prints): training row `row`, or raw `inputs` with their `label` (a class index, or a
        target for regression). Forward at inference (no dropout), the loss of that example alone."""
        tr = self._trainer
        data = tr.data
        if (row is None) == (inputs is None):
            raise PlaygroundError("give a training row, or inputs= with label=, not both")
        if row is not None:
            n = data.train.size
            if isinstance(row, bool) or not isinstance(row, (int, np.integer)) or not 0 <= row < n:
                raise PlaygroundError(f"row must be 0 to {n - 1} (the training rows), got {row!r}")
            raw = data.dataset.x[data.train[row]]
            label = float(data.y_train[row]) if label is None else label
        elif label is None:
            raise PlaygroundError("inputs= needs label= (a class index, or the target value)")
        else:
            raw = inputs
        raw, features, label = example(data, raw, label, tr.network.n_outputs)
        return BackpropTrace(trace(tr.network, tr.loss, raw, features, label), list(data.dataset.columns))

    # ----------------------------------------------------------------- figures
    def figure(self, view: str = "output", size: tuple[int, int] | str | None = None, format: str = "png",
               scale: float = 1.0) -> Figure:  # fmt: skip
        """One of the window's views of the run now, drawn off screen as `nn-playground render`
        draws it: output (the data view), network, curves, weights, confusion or layers. `size`:
        (width, height) or "WxH" in pixels (default 800x800 for output and confusion, 1200x800 for
        the others); `format`: "png" or "svg"; `scale`: device pixels per pixel of text and lines
        (PNG only). Jupyter shows the result inline; `.save(path)` writes it."""
        from .figure_cli import DEFAULT_SIZE, MAX_SCALE, RENDER_SIZES, _app, parse_size, parse_views
        from .media.views import unavailable

        names = parse_views(view, "view")
        if len(names) != 1:
            raise PlaygroundError(f"figure draws one view, got {view!r}")
        name = names[0]
        if format not in ("png", "svg"):
            raise PlaygroundError(f"format must be png or svg, got {format!r}")
        if isinstance(size, str):
            size = parse_size(size, "size")
        elif size is None:
            size = RENDER_SIZES.get(name, DEFAULT_SIZE)
        else:
            size = parse_size("x".join(str(v) for v in size) if len(size) == 2 else repr(size), "size")
        if not (isinstance(scale, (int, float)) and math.isfinite(scale) and 0.5 <= scale <= MAX_SCALE):
            raise PlaygroundError(f"scale must be 0.5 to {MAX_SCALE:g}, got {scale!r}")
        tr = self._trainer
        reason = unavailable(name, tr.project, tr.data)
        if reason is not None:
            raise PlaygroundError(f"{name}: {reason}")
        if name == "curves" and tr.epoch == 0:
            raise PlaygroundError("the curves view draws a training run's history: fit() some epochs first")
        _app()
        return Figure(self._draw(name, size, format, scale), format, size, name)

    def _draw(self, view: str, size: tuple[int, int], fmt: str, scale: float) -> bytes:
        from .media import animation
        from .media.figures import Figures, snapshot

        tr = self._trainer
        figures = Figures(tr.project, [view])
        figures.fit(view, size, 1.0 if fmt == "svg" else scale)
        try:
            if view == "weights":  # its rows over time: one per epoch kept
                self._replay_rows(figures)
            figures.show(snapshot(tr, [view]))
            if fmt == "svg":
                return figures.svg(view, size)
            return animation.png_bytes(figures.pixels(view, size, scale))
        finally:
            figures.close()

    def _replay_rows(self, figures: Any) -> None:
        """Give the weights view the kept epochs' weights, one row each (the weights now come last)."""
        from .run.snapshot import take_snapshot

        net = self._trainer.network
        now = net.params.copy()
        try:
            for epoch, params in self._weight_rows:
                if epoch < self._trainer.epoch:
                    np.copyto(net.params, params)
                    figures.weights_row(replace(take_snapshot(self._trainer, 0, None, None), epoch=epoch))
        finally:
            np.copyto(net.params, now)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        return f"<Playground {self.title!r}: epoch {self.epoch}, {self._trainer.network.count_params():,} parameters>"

    def _repr_html_(self) -> str:
        """A short summary for Jupyter: the data, the layers, the training settings and the latest losses."""
        tr = self._trainer
        d, t = self._state.project["data"], self._state.project["training"]
        source = d["source"] if isinstance(d["source"], str) else next(iter(d["source"]), "file")
        layers = ", ".join(map(layer_label, self._state.project["network"]["layers"])) or "no hidden layer"
        rows = [
            ("data", f"{source} ({d['problem']}), {tr.n_train:,} training rows"),
            ("layers", f"{layers}; {tr.network.count_params():,} parameters"),
            ("training", f"{t['loss']}, {tr.optimizer.label} α={number(tr.learning_rate, 6)}, batch {tr.batch_size}"),
            ("epoch", f"{tr.epoch:,}" + (f" ({tr.stop_reason})" if tr.stopped else "")),
        ]
        if len(tr.history):
            last = {k: v[-1] for k, v in self.history.items() if not math.isnan(v[-1])}
            rows.append(("latest", ", ".join(f"{k} {number(v, 4)}" for k, v in last.items() if k != "learning_rate")))
        cells = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                        f"{html.escape(v)}</td></tr>" for k, v in rows)  # fmt: skip
        return f"<b>{html.escape(self.title)}</b><table>{cells}</table>"


@dataclass(frozen=True)
class Figure:
    """A drawn view: PNG or SVG bytes, shown inline by Jupyter (`_repr_png_` or `_repr_svg_`)."""

    data: bytes
    format: str  # "png" or "svg"
    size: tuple[int, int]  # width, height in pixels
    view: str

    def save(self, path: str | Path) -> Path:
        """Write the figure to `path` (its extension must match the format)."""
        from engine.project.files import atomic_write_bytes

        p = Path(path)
        if p.suffix.lower() != f".{self.format}":
            raise PlaygroundError(f"{p.name}: this figure is {self.format.upper()}; save it as .{self.format}")
        check_writable(p)
        return atomic_write_bytes(p, self.data)

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def _repr_svg_(self) -> str | None:
        return self.data.decode("utf-8") if self.format == "svg" else None

    def __repr__(self) -> str:
        return f"<Figure {self.view}: {self.format.upper()} {self.size[0]}x{self.size[1]}, {len(self.data):,} bytes>"


class BackpropTrace:
    """One example's forward and backward pass (engine/teaching/backprop.py's Trace, whose
    attributes it passes through: loss, steps, layers...), shown as the command line's table."""

    def __init__(self, result: Trace, columns: list[str]) -> None:
        self.result = result
        self.columns = columns

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "result":  # copying or unpickling: nothing to pass through yet
            raise AttributeError(name)
        return getattr(self.result, name)

    def to_json(self) -> dict[str, Any]:
        """input, features, loss and per layer with a kernel z, a, delta, grad_kernel, grad_bias
        (`nn-playground backprop --json`)."""
        return self.result.to_json()

    def __str__(self) -> str:
        return self.result.table(self.columns)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def _show_errors_plainly() -> None:
    """In IPython, a PlaygroundError (a bad value, a missing file) is shown as its message alone,
    as the command line says it, not as a traceback through the engine."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
        shell.showtraceback((etype, value, tb), exception_only=True)

    shell.set_custom_exc((PlaygroundError,), handler)


_show_errors_plainly()

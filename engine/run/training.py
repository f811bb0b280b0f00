"""The training loop: seeded mini-batch epochs, metrics per split, early stopping, divergence.

`Trainer.train_batch()` takes exactly one optimizer step; `train_epoch()` runs to the end of
the current epoch. Between calls anything may be changed (learning rate, an optimizer
hyperparameter, the regularization rate, the batch size) and the next step uses it.
The same project and seed give bitwise-identical weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import _, ngettext
from ..core.limits import MAX_ACTIVATIONS
from ..core.losses import as_targets, check_fit, get_loss
from ..core.model import Model
from ..core.numbers import number
from ..core.optimizers import OPTIMIZERS, make_optimizer, scheduled_lr
from ..core.regularizers import Regularizer
from ..core.streams import stream
from ..data.features import UNEVEN, scale_advice
from .build import PreparedData, build_network, output_width, prepare_data
from .history import METRIC_KEYS, History, Series  # noqa: F401 - METRIC_KEYS and Series are read from here too
from .loss_watch import LossWatch, swing_words

#: What happens to the rows left after an epoch's last full batch: "partial", a smaller step of
#: their own (Keras, PyTorch), or "carry", they join the next epoch's first step (TFP).
LAST_BATCH = ("partial", "carry")

HUGE = 1e6  # inputs, targets or weights past this size are named as the cause of a divergence


class Diverged(PlaygroundError):
    """The loss or a weight became NaN or infinite; the last finite weights were kept.

    `setting`: the project setting to change first ("training.optimizer.learning_rate"), or ""
    when the cause is elsewhere; each front end says how to change it and start again.
    `headline`: what happened and when, without the rest (a race lane's status), in the user's words."""

    def __init__(self, message: str, setting: str = "", headline: str = "") -> None:
        super().__init__(message)
        self.setting = setting
        self.headline = headline or message


@dataclass
class EpochLog:
    """Metrics after an epoch: data loss (no penalty) and accuracy per split (None if absent)."""

    epoch: int
    metrics: dict[str, float | None]


@dataclass
class BatchResult:
    loss: float
    epoch_end: EpochLog | None = None


@dataclass
class _EarlyStop:
    monitor: str
    patience: int
    min_delta: float
    restore: bool
    best: float = math.inf
    best_epoch: int = 0
    wait: int = 0
    best_params: np.ndarray | None = None
    restored: bool = False


class Trainer:
    """Owns a network, its optimizer and the data, and trains them as the project says."""

    def __init__(
        self,
        project: dict[str, Any],
        data: PreparedData | None = None,
        base_dir: str | Path | None = None,
        network: Model | None = None,
    ) -> None:
        self.project = project
        self.data = data if data is not None else prepare_data(project, base_dir=base_dir)
        ds = self.data.dataset
        self.classification = ds.problem == "classification"
        t = project["training"]
        self.network = network or build_network(
            project, self.data.n_inputs, ds.classes if self.classification else None, ds.image_shape,
            ds.sequence_shape,
        )
        # The data's own class count (a file's, which data.classes need not say) and the network's output.
        check_fit(t["loss"], self.network.activations[-1].name, ds.problem, ds.classes)
        self.loss = get_loss(t["loss"])
        self.optimizer = make_optimizer(t["optimizer"])
        self.regularizer = Regularizer(**t["regularization"])
        #: Kernel weights TFP's L1 rule stopped at zero for good (None until the first).
        self.dead: np.ndarray | None = None
        self.schedule = dict(t["schedule"])
        self.schedule_start = 0  # the step the schedule was chosen at (its t counts from there)
        self.batch_size = int(t["batch_size"])
        #: "partial" (Keras, PyTorch: the rows left after the last full batch are a step) or
        #: "carry" (TFP: they join the next epoch's first step, see train_batch).
        self.last_batch = str(t["last_batch"])
        self._check_batch_memory(self.batch_size)
        self._check_batch_rows(self.batch_size)
        self.shuffle = bool(t["shuffle"])
        self.shuffle_rng = stream(project["seed"], "shuffle")  # each epoch's order
        self.dropout_rng = stream(project["seed"], "dropout")  # dropout masks
        self.epoch = 0  # completed epochs
        self.steps = 0  # optimizer updates
        self.history = History()
        self.last_loss = math.nan
        self.diverged: str | None = None
        #: The training loss bounces or climbs by a large factor without diverging (see
        #: engine/run/loss_watch.py): what it did and what to try, in words; "" while it does not.
        self.loss_watch = LossWatch()
        self.loss_warning = ""
        self._order: np.ndarray | None = None
        self._pos = 0
        self._carried = np.zeros(0, dtype=np.intp)  # rows waiting for the next step ("carry")
        #: The training rows of the last step (its mini-batch, carried rows first): what the app's
        #: batch-normalization view normalises again. Empty before the first step.
        self.batch_rows = np.zeros(0, dtype=np.intp)
        self._fit_sum = 0.0  # Σ batch objective × batch size this epoch (Keras's running loss)
        self._fit_n = 0
        self._backup = self.network.params.copy()
        # Targets shaped like the output once, not per batch: (N, 1) or one-hot (N, k).
        n_out = self.network.n_outputs
        self._targets = as_targets(self.data.y_train, n_out, self.network.dtype)
        #: Things the user should know about this run's settings (shown by the CLI and the app).
        self.warnings: list[str] = []
        #: The warnings about the last batch and about early stopping (replaced when their settings change:
        #: matched by value, since their words are in the user's language).
        self._last_batch_warnings: list[str] = []
        self._early_warnings: list[str] = []
        ds = self.data.dataset
        if ds.image_shape is None and project["data"]["normalize"] in UNEVEN:  # pixels share one scale
            advice = scale_advice(ds.x[self.data.train] if self.data.train.size > 1 else ds.x, ds.columns)
            if advice is not None:
                self.warnings.append(advice)
        self.early: _EarlyStop | None = self._early_stop(t.get("early_stopping"))
        self._warn_last_batch()
        self.stopped = False
        self.stop_reason = ""
        self.stopped_by = ""  # "early" or "limit" while stopped by one of them
        #: Stop after this many epochs (the app's optional limit; fit() takes its own count).
        self.epoch_limit: int | None = None
        #: Called between the chunks of a long evaluation (an epoch end on 60,000 images takes
        #: half a second; a chunk of 2,048 rows about 15 ms) so a UI can keep drawing. The
        #: weights are final for the epoch and the network's forward cache is free to
        #: overwrite; the history gets the epoch afterwards.
        self.between_chunks: Callable[[], None] | None = None

    def _early_stop(self, es: dict[str, Any] | None) -> _EarlyStop | None:
        if not es:
            return None
        monitor = es["monitor"]
        if monitor.startswith("val_") and self.data.x_val.shape[0] == 0:
            # Keras's EarlyStopping warns that the metric is not available and never stops.
            warning = _("early stopping watches {monitor}, but there is no validation split: it will never stop "
                        "(as in Keras). Set a validation fraction, or watch loss.").format(monitor=monitor)
            self._early_warnings.append(warning)
            self.warnings.append(warning)
            return None
        return _EarlyStop(monitor, es["patience"], es["min_delta"], es["restore_best_weights"])

    # ----------------------------------------------------------------- live settings
    def set_early_stopping(self, es: dict[str, Any] | None) -> None:
        """New early-stopping settings mid-run: they watch from this epoch on (as a callback
        given to a new fit() call would), and a run they stopped may go on."""
        self.warnings = [w for w in self.warnings if w not in self._early_warnings]
        self._early_warnings = []
        self.early = self._early_stop(es)
        if self.stopped_by == "early":
            self._resume()

    def set_epoch_limit(self, limit: int | None) -> None:
        """Stop after `limit` epochs (None: never); a run the old limit stopped may go on."""
        self.epoch_limit = limit
        if self.stopped_by == "limit" and (limit is None or self.epoch < limit):
            self._resume()

    def _resume(self) -> None:
        self.stopped, self.stop_reason, self.stopped_by = False, "", ""

    @property
    def learning_rate(self) -> float:
        """The base learning rate α (before any schedule)."""
        return float(self.optimizer.hp["learning_rate"])

    @property
    def _schedule_t(self) -> int:
        """The schedule's t: updates since it was chosen (all of them for a schedule set at the
        start, as Keras counts optimizer.iterations)."""
        return self.steps - self.schedule_start

    @property
    def current_lr(self) -> float:
        """The rate the next step will use (the schedule applied to α)."""
        return scheduled_lr(self.schedule, self.learning_rate, self._schedule_t)

    def set_schedule(self, spec: dict[str, Any]) -> None:
        """A schedule chosen mid-run starts at t = 0 now instead of jumping to where it would be
        after every update so far; new parameters for the same schedule keep its t."""
        if (spec or {}).get("name") != (self.schedule or {}).get("name"):
            self.schedule_start = self.steps
        self.schedule = dict(spec)
        self._watch_afresh()

    def set_learning_rate(self, lr: float) -> None:
        self.optimizer.set("learning_rate", lr)
        self._watch_afresh()

    def set_optimizer_param(self, key: str, value: Any) -> None:
        self.optimizer.set(key, value)
        self._watch_afresh()

    def set_optimizer(self, spec: dict[str, Any]) -> None:
        """Another optimizer (or the same with new settings) from the next step on, with fresh state."""
        self.optimizer = make_optimizer(spec)
        self._watch_afresh()

    def _watch_afresh(self) -> None:
        """New step settings: the loss watch judges them from their own first epoch on."""
        self.loss_watch.reset()
        self.loss_warning = ""

    def set_regularization(self, kind: str, rate: float, l1_rule: str = "subgradient") -> None:
        """A new penalty from the next step on. Links TFP's L1 rule killed stay dead while that rule
        is in use (whatever the rate) and come back when it is not; TFP itself starts a new
        network when either changes."""
        self.regularizer = Regularizer(kind, rate, l1_rule)
        if not self.regularizer.kills_links:
            self.dead = None

    def set_batch_size(self, size: int) -> None:
        if size < 1:
            raise PlaygroundError(_("batch size must be >= 1, got {size}").format(size=size))
        self._check_batch_memory(int(size))
        self._check_batch_rows(int(size))
        if int(size) != self.batch_size:
            self._watch_afresh()
        self.batch_size = int(size)
        self._warn_last_batch()

    def _check_batch_rows(self, size: int) -> None:
        """Refuse a batch smaller than a layer needs: batch normalization per unit normalises a
        batch of one to 0 (Keras would train on silently, every such step wasted)."""
        need, why = self.network.min_batch()
        if size < need:
            raise PlaygroundError(_("a batch size of {size} is too small here: {why}. Use a batch size of {need} or "
                                    "more.").format(size=size, why=why, need=need))  # fmt: skip

    def _warn_last_batch(self) -> None:
        """Say so when the last partial batch of each epoch is smaller than a layer needs."""
        self.warnings = [w for w in self.warnings if w not in self._last_batch_warnings]
        self._last_batch_warnings = []
        need, why = self.network.min_batch()
        left = self.n_train % self.batch_size if self.batch_size < self.n_train else self.n_train
        if self.last_batch == "partial" and 0 < left < need:
            warning = ngettext("the last batch of each epoch holds {count} example, and {why}: choose a batch size "
                               "that leaves more, or carry the last batch over",
                               "the last batch of each epoch holds {count} examples, and {why}: choose a batch size "
                               "that leaves more, or carry the last batch over", left).format(count=left, why=why)
            self._last_batch_warnings.append(warning)
            self.warnings.append(warning)

    def set_last_batch(self, mode: str) -> None:
        """"partial" or "carry" from the next step on; rows already carried join that step."""
        if mode not in LAST_BATCH:
            raise PlaygroundError(_("the last batch is partial or carry, got {mode!r}").format(mode=mode))
        self._check_batch_memory(self.batch_size, mode)
        self.last_batch = mode
        self._warn_last_batch()

    def _check_batch_memory(self, size: int, last_batch: str | None = None) -> None:
        """Refuse a mini-batch whose training step would not fit the budget, before any is
        allocated: what every layer keeps for backward (a dense layer its z and a; a convolution
        its im2col matrix too) and the largest temporary (col2im's). Carrying the last rows makes
        a step of up to 2·size − 1 rows."""
        carry = (last_batch or self.last_batch) == "carry"
        rows = min(2 * size - 1 if carry else size, self.n_train)
        need, layer, share, fix = self.network.step_memory(rows)
        limit = MAX_ACTIVATIONS * self.network.params.itemsize
        if need > limit:
            raise PlaygroundError(
                _("a batch of {rows:,} through these layers needs {need:,.0f} MB for one training step, "
                  "{share:,.0f} MB of it in {layer}; the limit is {limit:,.0f} MB: use a smaller batch size, or "
                  "{fix}").format(
                    rows=rows, need=need / 2**20, share=share / 2**20, layer=layer, limit=limit / 2**20, fix=fix)
            )

    def set_data(self, data: PreparedData, project: dict[str, Any] | None = None) -> None:
        """Carry on training the same network on other data with as many inputs (points drawn or
        erased by hand): weights, optimizer state, counters and history stay; the epoch in
        progress starts over on the new training split."""
        if data.n_inputs != self.network.n_inputs:
            raise PlaygroundError(_("the data have {n_inputs} inputs; this network takes {network_n_inputs}").format(
                                      n_inputs=data.n_inputs, network_n_inputs=self.network.n_inputs))
        if (data.dataset.problem == "classification") != self.classification:
            raise PlaygroundError(_("new data must keep the problem (classification or regression)"))
        width = output_width(project or self.project, data.dataset.classes) if self.classification else None
        if width is not None and width != self.network.n_outputs:
            raise PlaygroundError(_("the data have {classes} classes; this network has other outputs").format(
                                      classes=data.dataset.classes))
        self.data = data
        self._targets = as_targets(data.y_train, self.network.n_outputs, self.network.dtype)
        self._order = None
        self._pos = 0
        self._carried = self._carried[:0]
        self.batch_rows = self.batch_rows[:0]  # rows of the old data
        self._fit_sum, self._fit_n = 0.0, 0
        if project is not None:
            self.project = project
        self._warn_last_batch()

    # ----------------------------------------------------------------- stepping
    @property
    def n_train(self) -> int:
        return int(self.data.x_train.shape[0])

    @property
    def epoch_progress(self) -> float:
        """Fraction of the current epoch already trained."""
        return self._pos / self.n_train if self._order is not None else 0.0

    def train_batch(self) -> BatchResult:
        """One optimizer step on the next mini-batch; at the end of an epoch, metrics too.

        With last_batch "carry" (TFP's playground.ts oneStep: an update when (i + 1) % batchSize
        is 0, the accumulators of nn.ts kept between epochs) the rows after the last full batch
        take no step: the epoch ends, and they join the next epoch's first batch, one mean over
        them all. No weight changes in between, so their gradients are the ones TFP accumulated."""
        if self.stopped:
            raise PlaygroundError(_("training has stopped: {stop_reason}").format(stop_reason=self.stop_reason))
        if self._order is None:
            self._order = self.shuffle_rng.permutation(self.n_train) if self.shuffle else np.arange(self.n_train)
            self._pos = 0
        carry = self.last_batch == "carry"
        size = min(self.batch_size, self.n_train) if carry else self.batch_size  # TFP never sees a batch > N
        idx = self._order[self._pos : self._pos + size]
        taken = idx.size
        if self._carried.size:
            idx = np.concatenate([self._carried, idx])
        self.batch_rows = idx
        data_loss, objective = self._step(idx)
        self.diverged = None
        self.last_loss = data_loss
        self._carried = self._carried[:0]
        self._pos += taken
        self._fit_sum += objective * idx.size
        self._fit_n += idx.size
        result = BatchResult(data_loss)
        if carry and 0 < self.n_train - self._pos < size:
            self._carried = self._order[self._pos :].copy()
            self._pos = self.n_train
        if self._pos >= self.n_train:
            self._order = None
            self.epoch += 1
            result.epoch_end = self._end_epoch()
        return result

    def _step(self, idx: np.ndarray) -> tuple[float, float]:
        """One optimizer step on training rows `idx` (the batch `train_batch` drew): returns (data
        loss, objective) and counts the step, or raises Diverged with the last finite weights kept.
        The NumPy engine's; another backend (engine/backends/pytorch.py) steps its own way here
        and keeps everything else, the batch order first."""
        net = self.network
        x, y = self.data.x_train[idx], self._targets[idx]
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected just below
            # The backup comes first: a training pass moves batch normalization's moving statistics.
            np.copyto(self._backup, net.params)
            data_loss, objective = net.loss_and_grad(x, y, self.loss, self.regularizer, True, self.dropout_rng)
            if not math.isfinite(objective):
                np.copyto(net.params, self._backup)
                self._diverge("the loss", objective)
            nk, lr, reg = net.n_kernel, self.current_lr, self.regularizer
            reg.before_step(net.grads[:nk], self.dead)
            self.optimizer.step(net.trainable_params, net.trainable_grads, nk, lr)
            dead = reg.after_step(self._backup[:nk], net.params[:nk], lr, self.dead)
            # One reduction finds any NaN or inf among the new weights (a NaN gradient lands here too).
            finite = math.isfinite(np.add.reduce(net.params))
        self.steps += 1
        if not finite:
            np.copyto(net.params, self._backup)
            self._diverge("a weight", objective)
        self.dead = dead
        return data_loss, objective

    def train_epoch(self) -> EpochLog:
        """Steps until the current epoch ends (a whole epoch when called at a boundary)."""
        while True:
            result = self.train_batch()
            if result.epoch_end is not None:
                return result.epoch_end

    def fit(self, epochs: int | None = None, on_epoch: Any = None) -> History:
        """Train for `epochs` (default: the project's) or until early stopping, then `finish()`."""
        for __ in range(epochs if epochs is not None else self.project["training"]["epochs"]):
            log = self.train_epoch()
            if on_epoch is not None:
                on_epoch(log)
            if self.stopped:
                break
        self.finish()
        return self.history

    def finish(self) -> bool:
        """End of training: with early stopping's `restore_best_weights`, go back to the best
        epoch's weights even if patience never ran out (Keras 3 restores in on_train_end).
        True when weights were restored."""
        es = self.early
        if es is None or not es.restore or es.best_params is None or es.restored:
            return False
        es.restored = True
        if es.best_epoch == self.epoch:
            return False  # the last epoch was the best
        self.network.params[...] = es.best_params
        note = _("best weights of epoch {epoch} restored ({monitor} {best})").format(
            epoch=es.best_epoch, monitor=es.monitor, best=number(abs(es.best)))
        if self.stop_reason:
            note = _("{reason}; {note}").format(reason=self.stop_reason, note=note)
        self.stop_reason = note
        return True

    def _diverge(self, what: str, objective: float) -> None:
        self.optimizer.reset()  # its moments may hold inf; a fresh start is the only sane one
        self._order = None
        self._carried = self._carried[:0]
        self._fit_sum, self._fit_n = 0.0, 0
        cause, setting = self._divergence_cause()
        self.loss_warning = ""  # the divergence says it all
        at = {"epoch": self.epoch + 1, "step": self.steps + 1}
        if what != "the loss":
            headline = _("Training diverged at epoch {epoch}, step {step}: a weight became NaN or infinite")
        elif math.isnan(objective):
            headline = _("Training diverged at epoch {epoch}, step {step}: the loss became NaN")
        elif math.isinf(objective):
            headline = _("Training diverged at epoch {epoch}, step {step}: the loss became infinite")
        else:
            headline = _("Training diverged at epoch {epoch}, step {step}: the loss became not finite")
        headline = headline.format(**at)
        self.diverged = _("{headline}. The last finite weights were kept. {cause}").format(headline=headline,
                                                                                           cause=cause)
        raise Diverged(self.diverged, setting, headline)

    def _divergence_cause(self) -> tuple[str, str]:
        """The most likely reason a run diverged, and the setting to change ("" if none): checked
        from the data up, since huge inputs or targets, and huge weights before the first step,
        diverge at any learning rate, so they are named before the learning rate is blamed. The
        words say what to do, not where to click: the app and the command line add that."""
        with np.errstate(all="ignore"):
            x = self.data.x_train
            big_x = float(np.max(np.abs(x))) if x.size else 0.0
            big_y = float(np.max(np.abs(self._targets))) if self._targets.size else 0.0
            params = self.network.params  # the last finite weights (restored before this is called)
            big_w = float(np.max(np.abs(params))) if params.size else 0.0
        if not math.isfinite(big_x) or big_x > HUGE:
            return _("The inputs reach {value}: normalise them (data.normalize) or rescale the data.").format(
                value=number(big_x)), ""
        if not self.classification and (not math.isfinite(big_y) or big_y > HUGE):
            return _("The targets reach {value}: their squared error overflows. Rescale the targets.").format(
                value=number(big_y)), ""
        if self.steps == 0 and (not math.isfinite(big_w) or big_w > HUGE):  # the start itself, not a step
            return (_("A weight or bias reaches {value}: start from smaller ones (network.bias_init, "
                      "initializer).").format(value=number(big_w)), "")
        reg = self.regularizer
        if reg.active and reg.rate >= 1:
            return (
                _("{kind} rate {rate} is too high: the penalty swamps the data loss. Try {lower} or lower.").format(
                    kind=reg.kind.upper(), rate=number(reg.rate), lower=number(reg.rate / 100)),
                "training.regularization.rate",
            )
        lr = self.current_lr
        if self.schedule.get("name", "constant") != "constant" and lr > self.learning_rate:
            return (_("The learning-rate schedule raised α to {lr}: check training.schedule.").format(lr=number(lr)),
                    "training.schedule")
        return (
            _("Learning rate {lr} is too high for {optimizer} on this problem. Try {lower} or lower.").format(
                lr=number(lr), optimizer=OPTIMIZERS.words(self.optimizer.name), lower=number(lr / 10)),
            "training.optimizer.learning_rate",
        )

    # ----------------------------------------------------------------- metrics
    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.network.predict(x)

    def predict_labels(self, outputs: np.ndarray) -> np.ndarray:
        """Class labels from outputs: threshold for one output, argmax for several."""
        if outputs.shape[1] == 1:
            return (outputs[:, 0] > self.loss.decision_threshold).astype(np.intp)
        return outputs.argmax(axis=1)

    def evaluate_split(self, x: np.ndarray, y: np.ndarray, chunk: int = 2048) -> tuple[float | None, float | None]:
        """Mean data loss and accuracy (classification only) on (x, y); None for an empty split."""
        if x.shape[0] == 0:
            return None, None
        with np.errstate(over="ignore", invalid="ignore"):  # huge weights give inf: reported, not warned
            return self._evaluate_split(x, y, chunk)

    def _evaluate_split(self, x: np.ndarray, y: np.ndarray, chunk: int) -> tuple[float | None, float | None]:
        net = self.network
        act = net.activations[-1]
        chunk = min(chunk, net.inference_chunk)  # a convolution's im2col bounds it
        total, correct = 0.0, 0
        for i in range(0, x.shape[0], chunk):
            xb, yb = x[i : i + chunk], y[i : i + chunk]
            net.forward(xb)
            z, a = net.pre_activations()[-1], net.neuron_outputs_cached()[-1]
            total += float(np.sum(self.loss.per_sample(z, a, yb, act)))
            if self.classification:
                correct += int(np.sum(self.predict_labels(a) == yb))
            if self.between_chunks is not None and i + chunk < x.shape[0]:
                self.between_chunks()
        n = x.shape[0]
        return total / n, (correct / n if self.classification else None)

    def evaluate(self) -> dict[str, dict[str, float]]:
        """{"train": {"loss", "accuracy"}, "validation": ..., "test": ...}; empty splits left out."""
        out: dict[str, dict[str, float]] = {}
        for name in ("train", "validation", "test"):
            loss, acc = self.evaluate_split(*self.data.split(name))
            if loss is None:
                continue
            out[name] = {"loss": loss}
            if acc is not None:
                out[name]["accuracy"] = acc
        return out

    def metrics(self) -> dict[str, float | None]:
        """Flat metrics for the history: loss, accuracy, val_loss, ..., test_accuracy."""
        m: dict[str, float | None] = {}
        for prefix, name in (("", "train"), ("val_", "validation"), ("test_", "test")):
            loss, acc = self.evaluate_split(*self.data.split(name))
            m[f"{prefix}loss"] = loss
            m[f"{prefix}accuracy"] = acc
        return m

    def _end_epoch(self) -> EpochLog:
        metrics = self.metrics()
        metrics["fit_loss"] = self._fit_sum / self._fit_n if self._fit_n else None
        metrics["learning_rate"] = scheduled_lr(self.schedule, self.learning_rate, max(0, self._schedule_t - 1))
        self._fit_sum, self._fit_n = 0.0, 0
        self.history.append(metrics)
        swing = self.loss_watch.add(metrics["loss"])
        # The optimizer in the user's words, as the control bar names it.
        words = OPTIMIZERS.words(self.optimizer.name)
        self.loss_warning = swing_words(swing, metrics["learning_rate"], words) if swing else ""
        log = EpochLog(self.epoch, metrics)
        es = self.early
        if es is not None:
            current = metrics.get(es.monitor)
            if current is not None:
                sign = -1.0 if es.monitor.endswith("accuracy") else 1.0  # minimise loss, maximise accuracy
                value = sign * current
                if value < es.best - es.min_delta:
                    es.best, es.best_epoch, es.wait = value, self.epoch, 0
                    if es.restore:
                        es.best_params = self.network.params.copy()
                else:
                    es.wait += 1
                    if es.wait >= es.patience:  # Keras: stop after `patience` epochs without improvement
                        self._stop_early()
        if not self.stopped and self.epoch_limit is not None and self.epoch >= self.epoch_limit:
            self.stopped, self.stopped_by = True, "limit"
            # one form for every count, as the English always said it
            self.stop_reason = _("stopped at the epoch limit ({count:,} epochs)").format(count=self.epoch_limit)
            self.finish()
        return log

    def _stop_early(self) -> None:
        es = self.early
        assert es is not None
        self.stopped, self.stopped_by = True, "early"
        restore = es.restore and es.best_params is not None
        if restore:
            reason = _("early stopping: {monitor} has not improved for {count} epochs; best at epoch {best} "
                       "(its weights restored)")
        else:
            reason = _("early stopping: {monitor} has not improved for {count} epochs; best at epoch {best}")
        self.stop_reason = reason.format(monitor=es.monitor, count=es.wait, best=es.best_epoch)
        if restore:
            self.network.params[...] = es.best_params
            es.restored = True

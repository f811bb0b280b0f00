"""Train a project on PyTorch (`nn-playground train P.json --backend torch`): the same run as the
NumPy engine's, step for step, with torch doing the arithmetic.

`TorchTrainer` is the engine's Trainer with its `_step` (and its evaluation) done in torch; all
else is the engine's own: the prepared data and split, the initial weights (the engine's model
built from the seed, copied into torch's layouts), each epoch's shuffled batch order and the
last-batch rule, the schedule, early stopping, divergence handling and the history. The network
is the nn.Sequential the PyTorch export writes; the optimizer is torch.optim's under the
engine's default (torch's) rules and a small torch optimizer with the engine's formulas under
Keras's; the loss is each loss's `torch_per_sample`. At each epoch's end the weights come back
into the engine's network, so the weight files, the history and every view are the engine's.

What differs: dropout draws its masks from torch's random numbers (seeded with the project's
seed), so a run with dropout is reproducible on torch but is not the engine's run. torch is
imported when a trainer is made.
"""

from __future__ import annotations

import importlib
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.losses import as_targets
from ..core.numbers import line_up
from ..project.files import load_start_weights
from ..run.build import PreparedData
from ..run.training import EpochLog, Trainer

TORCH_HINT = N_("--backend torch needs PyTorch: pip install torch")
DROPOUT_NOTE = N_("dropout draws its masks from torch's random numbers (seeded with the project's seed), not the "
                  "engine's: the run is reproducible but is not the NumPy engine's run")  # fmt: skip


def load_torch() -> Any:
    """The torch module, or a PlaygroundError saying how to install it."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise PlaygroundError(_(TORCH_HINT)) from None


def torch_device(torch: Any, name: str) -> Any:
    """torch.device for --device cpu, cuda or cuda:N, refused when torch sees no such device."""
    if name == "cpu":
        return torch.device("cpu")
    if not re.fullmatch(r"cuda(:\d+)?", name):
        raise PlaygroundError(_("--device must be cpu, cuda or cuda:N, got {name!r}").format(name=name))
    if not torch.cuda.is_available():
        raise PlaygroundError(_("--device {name}: this PyTorch sees no CUDA device (a CPU-only build, or no "
                                "driver); use --device cpu").format(name=name))  # fmt: skip
    index = int(name.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise PlaygroundError(_("--device {name}: torch sees {count} CUDA device(s), numbered from 0").format(
                                  name=name, count=count))
    return torch.device(name)


class TorchTrainer(Trainer):
    """The engine's Trainer stepping and evaluating in torch on `device` (see the module)."""

    def __init__(self, project: dict[str, Any], data: PreparedData | None = None,
                 base_dir: str | Path | None = None, device: str = "cpu") -> None:  # fmt: skip
        torch = load_torch()
        from . import torch_parts

        self.torch, self.parts = torch, torch_parts
        self.device = torch_device(torch, device)
        super().__init__(project, data, base_dir)
        torch.manual_seed(int(project["seed"]))  # dropout's masks: torch's own stream, seeded
        self.net = torch_parts.TorchNet(self.network, self.device)
        self.torch_optimizer = torch_parts.make_optimizer(self.optimizer, self.net.trainable)
        #: TensorFlow Playground's L1 rule: each kernel tensor's dead links (None: none yet); the
        #: engine's `dead` follows at each epoch's end.
        self._dead: list[Any] = [None] * len(self.net.kernels)
        self._tensors: dict[int, tuple[np.ndarray, Any]] = {}
        self._set_tensors()
        if self.net.random:
            self.warnings.append(_(DROPOUT_NOTE))

    # ----------------------------------------------------------------- torch's copies
    def _set_tensors(self) -> None:
        """The training rows and their targets on the device, in the network's dtype (on the CPU
        the same memory as the engine's arrays where the dtype is the same)."""
        self._x = self._tensor(self.data.x_train)
        self._t = self.torch.from_numpy(np.ascontiguousarray(self._targets)).to(self.device)
        self._tensors = {id(self.data.x_train): (self.data.x_train, self._x)}  # evaluated from the same copy

    def _tensor(self, x: np.ndarray) -> Any:
        rows = np.ascontiguousarray(x, dtype=self.network.dtype)
        return self.torch.from_numpy(rows).to(self.device)

    def _split_tensor(self, x: np.ndarray) -> Any:
        """A split's rows on the device, converted once (the same array object each epoch)."""
        held = self._tensors.get(id(x))
        if held is None or held[0] is not x:
            held = self._tensors[id(x)] = (x, self._tensor(x))
        return held[1]

    def push_weights(self) -> None:
        """Weights loaded into the engine's network (--weights IN.npz) into torch's modules too."""
        self.net.push()

    # ----------------------------------------------------------------- stepping
    def _step(self, idx: np.ndarray) -> tuple[float, float]:
        """One step in torch on the rows the engine's batch order drew: the data loss's mean over
        the batch differentiated by autograd, L1/L2 added to the kernels' gradients as the
        engine adds them, the optimizer's step at the schedule's rate."""
        torch, parts, net = self.torch, self.parts, self.net
        rows = torch.from_numpy(np.asarray(idx, dtype=np.int64)).to(self.device)
        net.backup()  # first: a training pass moves batch normalization's moving statistics
        z, a = net.forward(self._x[rows], training=True)
        per = self.loss.torch_per_sample(z, a, self._t[rows])
        mean = per.sum() / per.shape[0]
        data_loss = float(mean.detach())
        objective = data_loss + parts.penalty(self.regularizer, net.kernels)
        if not math.isfinite(objective):
            self._torch_diverge("the loss", objective)
        self.torch_optimizer.zero_grad(set_to_none=False)
        mean.backward()
        net.settle()
        reg = self.regularizer
        parts.add_penalty_gradient(reg, net.kernels)
        before = parts.tfp_before(net.kernels, self._dead) if reg.kills_links else []
        lr = self.current_lr
        for group in self.torch_optimizer.param_groups:
            group["lr"] = lr
        self.torch_optimizer.step()
        parts.proximal_step(reg, net.kernels, lr)
        dead = parts.tfp_after(reg, net.kernels, before, lr, self._dead) if reg.kills_links else self._dead
        self.steps += 1
        if not net.finite():
            self._torch_diverge("a weight", objective)
        self._dead = dead
        return data_loss, objective

    def _torch_diverge(self, what: str, objective: float) -> None:
        """The engine's divergence (its message and cause) with torch's last finite weights."""
        self.net.restore()
        self.net.pull()
        self._pull_dead()
        self.parts.reset_optimizer(self.torch_optimizer)
        self._diverge(what, objective)

    def _end_epoch(self) -> EpochLog:
        self.net.pull()  # the engine's network holds the epoch's weights: early stopping's copy, the files
        self._pull_dead()
        restored = self.early is not None and self.early.restored
        log = super()._end_epoch()
        if self.early is not None and self.early.restored and not restored:
            self.net.push()
        return log

    def _pull_dead(self) -> None:
        """The dead links in the engine's layout (what the app's views and the landscape read)."""
        any_dead = any(d is not None for d in self._dead)
        self.dead = self.net.kernel_mask(self._dead) if any_dead and self.regularizer.kills_links else None

    def finish(self) -> bool:
        restored = super().finish()
        if restored:
            self.net.push()
        return restored

    # ----------------------------------------------------------------- metrics
    def evaluate_split(self, x: np.ndarray, y: np.ndarray, chunk: int = 2048) -> tuple[float | None, float | None]:
        """Mean data loss and accuracy on (x, y) as the engine's, computed in torch (inference mode)."""
        if x.shape[0] == 0:
            return None, None
        torch, net = self.torch, self.net
        xt = self._split_tensor(x)
        n_out = self.network.n_outputs
        targets = torch.from_numpy(as_targets(y, n_out, self.network.dtype)).to(self.device)
        chunk = min(chunk, self.network.inference_chunk)
        total, correct = 0.0, 0
        labels = torch.from_numpy(np.asarray(y).astype(np.int64)).to(self.device) if self.classification else None
        with torch.no_grad():
            for i in range(0, x.shape[0], chunk):
                z, a = net.forward(xt[i : i + chunk], training=False)
                total += float(self.loss.torch_per_sample(z, a, targets[i : i + chunk]).sum())
                if labels is not None:
                    guess = (a[:, 0] > self.loss.decision_threshold).long() if n_out == 1 else a.argmax(1)
                    correct += int((guess == labels[i : i + chunk]).sum())
        n = x.shape[0]
        return total / n, (correct / n if self.classification else None)

    # ----------------------------------------------------------------- settings between steps
    def set_optimizer(self, spec: dict[str, Any]) -> None:
        super().set_optimizer(spec)
        self.torch_optimizer = self.parts.make_optimizer(self.optimizer, self.net.trainable)

    def set_optimizer_param(self, key: str, value: Any) -> None:
        """A new hyperparameter from the next step on: the torch optimizer is made again with it,
        keeping its moments when it is still the same kind (another rule set starts afresh)."""
        super().set_optimizer_param(key, value)
        old = self.torch_optimizer
        self.torch_optimizer = self.parts.make_optimizer(self.optimizer, self.net.trainable)
        if type(old) is type(self.torch_optimizer):
            self.torch_optimizer.state.update(old.state)
            if isinstance(old, self.parts.KerasRules):
                self.torch_optimizer.t = old.t

    def set_regularization(self, kind: str, rate: float, l1_rule: str = "subgradient") -> None:
        super().set_regularization(kind, rate, l1_rule)
        if not self.regularizer.kills_links:  # links come back when the rule is not in use, as the engine's
            self._dead = [None] * len(self.net.kernels)

    def set_data(self, data: PreparedData, project: dict[str, Any] | None = None) -> None:
        super().set_data(data, project)
        self._set_tensors()


# ----------------------------------------------------------------- the parity report
def compare(project: dict[str, Any], base_dir: str | Path | None, epochs: int, device: str = "cpu",
            on_epoch: Callable[[dict[str, Any]], None] | None = None
            ) -> tuple[Trainer, TorchTrainer, list[dict[str, Any]]]:  # fmt: skip
    """Train the project on the NumPy engine and on torch side by side, epoch by epoch, from the
    same data and initial weights (the project's app.weights when it names them); each epoch's row:
    the largest |difference| of any weight (moving statistics included) and of the training loss
    and fit_loss. Stops where either run stops."""
    numpy_run = Trainer(project, base_dir=base_dir)
    torch_run = TorchTrainer(project, data=numpy_run.data, device=device)
    if load_start_weights(numpy_run.network, project, base_dir):  # an imported model's (app.weights)
        torch_run.network.set_weights(numpy_run.network.get_weights())
        torch_run.push_weights()
    rows: list[dict[str, Any]] = []
    for __ in range(epochs):
        a, b = numpy_run.train_epoch(), torch_run.train_epoch()
        row = {"epoch": a.epoch, "weights": float(np.max(np.abs(numpy_run.network.params - torch_run.network.params)))}
        for key in ("loss", "fit_loss"):
            x, y = a.metrics.get(key), b.metrics.get(key)
            row[key] = abs(x - y) if x is not None and y is not None else math.nan
        rows.append(row)
        if on_epoch is not None:
            on_epoch(row)
        if numpy_run.stopped or torch_run.stopped:
            break
    numpy_run.finish()
    torch_run.finish()
    return numpy_run, torch_run, rows


def compare_report(project: dict[str, Any], path: Path, epochs: int, device: str, out: TextIO) -> TorchTrainer:
    """`train --compare`'s report on `out`: a header, a line per epoch with the largest differences,
    the largest over the run; torch's warnings on stderr. Returns torch's trainer (--export saves it)."""
    # Headings in the user's words, lined up (Hangul takes two columns); loss and fit_loss: the history's keys.
    out.write(_("comparing the NumPy engine and PyTorch ({device}, {dtype}) on {name}, {epochs} epochs: the largest "
                "|difference| after each epoch").format(device=device, dtype=project["network"]["dtype"],
                                                        name=path.name, epochs=epochs)
              + "\n" + line_up([(_("epoch"), 7, True), (_("weights"), 12, True), ("loss", 12, True),
                                 ("fit_loss", 12, True)]) + "\n")  # fmt: skip

    def line(r: dict[str, Any]) -> None:
        out.write(f"{r['epoch']:>7}  {r['weights']:>10.3g}  {r['loss']:>10.3g}  {r['fit_loss']:>10.3g}\n")
        out.flush()

    _numpy_run, torch_run, rows = compare(project, path.parent, epochs, device, line)
    for warning in torch_run.warnings:
        print(_("nn-playground: warning: {warning}").format(warning=warning), file=sys.stderr)
    if rows:
        worst = {k: max(r[k] for r in rows) for k in ("weights", "loss", "fit_loss")}
        out.write(_("largest over {epochs} epochs: weights {weights}, loss {loss}, fit_loss {fit_loss}").format(
            epochs=len(rows), **{k: f"{v:.3g}" for k, v in worst.items()}) + "\n")  # fmt: skip
    return torch_run

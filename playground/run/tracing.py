"""One example's trace, made on the worker thread for the backprop window: the engine's trace,
the step training would take from the run's own state on a mini-batch of this example alone,
and a copy of the network so the window can take numerical gradients without touching the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.core.errors import PlaygroundError
from engine.core.i18n import _
from engine.core.losses import Loss
from engine.core.model import Model
from engine.run.training import Trainer
from engine.teaching.backprop import Trace, UpdatePreview, example, trace, update_preview

from .commands import TraceExample


@dataclass(frozen=True)
class TraceResult:
    trace: Trace
    preview: UpdatePreview
    network: Model  # a copy with the traced weights: the window's own
    loss: Loss
    columns: list[str]
    activations: list[str]
    optimizer: str  # its label, e.g. "Adam"
    hyperparameters: dict[str, Any]
    steps: int
    generation: int
    row: int | None  # the training row traced, None for typed inputs
    classification: bool
    grad_norm: float  # ‖∂L/∂θ‖ over every parameter, for this example
    batch_size: int  # what training averages its gradient over (the preview's batch is this one example)
    penalty_rate: float  # λ of the penalty the preview includes (0: none)
    input_shape: tuple[int, ...] = ()  # the model's input: (H, W, C) draws the example as an image

    @property
    def outputs(self) -> np.ndarray:
        return self.trace.layers[-1].a


def make_trace(trainer: Trainer, command: TraceExample, generation: int) -> TraceResult:
    """The trace of `command`'s example on the trainer's current weights (call on its thread)."""
    data = trainer.data
    label = command.label
    if command.row is not None:
        if not 0 <= command.row < data.train.size:
            raise PlaygroundError(_("training row {row} does not exist (0 to {last})").format(
                row=command.row, last=data.train.size - 1))
        raw = data.dataset.x[data.train[command.row]]
        label = float(data.y_train[command.row]) if label is None else label
    elif command.raw is not None and label is not None:
        raw = np.asarray(command.raw, dtype=np.float64)
    else:
        raise PlaygroundError(_("Pick a training point, or type inputs and a label."))
    net = trainer.network.copy()
    raw, features, label = example(data, raw, label, net.n_outputs)
    t = trace(net, trainer.loss, raw, features, label)
    preview = update_preview(net, trainer.optimizer, t, trainer.current_lr, trainer.regularizer,
                             trainer.dead)  # fmt: skip
    norm = float(np.sqrt(sum(np.sum(lt.grad_kernel**2) + np.sum(lt.grad_bias**2) for lt in t.layers)))
    return TraceResult(
        t, preview, net, trainer.loss, list(data.dataset.columns), [a.name for a in net.activations],
        trainer.optimizer.label, dict(trainer.optimizer.hp), trainer.steps, generation, command.row,
        data.dataset.problem == "classification", norm, trainer.batch_size, trainer.regularizer.rate, net.input_shape,
    )  # fmt: skip

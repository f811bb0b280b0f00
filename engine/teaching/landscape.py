"""The loss landscape around a network's weights, and a learning-rate range test.

- `random_directions`: two random directions through weight space, each neuron's incoming
  weights scaled to the norm of that neuron's weights (Li et al., "Visualizing the Loss
  Landscape of Neural Nets", 2018, filter normalisation; biases are not moved, as in their
  default), so the plane's scale means the same in every layer.
- `path_directions`: the two principal directions of a run's own path (their section 7): a
  random plane holds almost none of a path, this one holds most of it.
- `loss_plane`: the training loss at w + α·d1 + β·d2 over a grid, row by row.
- `interpolation`: the loss along the line from the initial to the current weights
  (Goodfellow et al., "Qualitatively characterizing neural network optimization problems", 2015).
- `lr_range_test`: a short run whose learning rate rises, and the rate where the loss falls
  fastest. The idea is Smith's ("Cyclical Learning Rates for Training Neural Networks", 2017,
  section 3.3: the rate rises linearly over a few epochs from the start of training, and the
  accuracy is read); the exponential per-step ramp, the stop once the loss passes 4× its best
  and the suggestion (the steepest fall, or the lowest point's rate / 10) are fastai's `lr_find`
  conventions. From trained weights it is biased (the loss rises sooner): run it from the start.

Every function evaluates through the trainer's own `evaluate_split`, so the plane's centre is
exactly the training loss `Trainer.evaluate` reports, and takes an optional `progress(done,
total)` callback that may raise to cancel between chunks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.losses import as_targets
from ..core.model import Model
from ..core.optimizers import make_optimizer
from ..run.training import Trainer

Progress = Callable[[int, int], None] | None
MAX_RESOLUTION = 101
MAX_SPAN = 100.0
LR_RANGE = (1e-5, 10.0)
MIN_FALL = 0.05  # the share the loss must fall by in a range test for its steepest point to mean anything


def axis(resolution: int, span: float, option: str = "resolution") -> np.ndarray:
    """`resolution` values from −span to span whose middle one is exactly 0."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise PlaygroundError(_("{option} must be an odd number from 3 to {max_resolution}, got {resolution!r}").format(
                                  option=option, max_resolution=MAX_RESOLUTION, resolution=resolution))
    if not 3 <= resolution <= MAX_RESOLUTION or resolution % 2 == 0:
        raise PlaygroundError(
            _("{option} must be an odd number from 3 to {max_resolution} (so the grid has the weights at its "
              "centre), got {resolution}").format(
                option=option, max_resolution=MAX_RESOLUTION, resolution=resolution)
        )
    c = resolution // 2
    return span * (np.arange(resolution) - c) / c


def random_directions(network: Model, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two filter-normalised random directions in the layout of `network.params`."""
    return _normalised(network, rng), _normalised(network, rng)


def _normalised(network: Model, rng: np.random.Generator) -> np.ndarray:
    """A direction that moves the regularized arrays (kernels) only, each filter scaled to its
    weights' norm; biases, batch normalization's γ and β and its moving statistics stay put (Li
    et al. leave biases and batch-norm parameters out)."""
    d = rng.standard_normal(network.params.size).astype(network.dtype)
    weights = network.param_views(network.params)
    for (layer, name, dk), (_l, _n, w) in zip(network.param_views(d), weights):
        if name not in layer.regularized:
            dk[...] = 0.0
            continue
        # Li et al.'s filters: a dense unit's incoming weights (a kernel column), a convolution's
        # filter (k × k × in): every axis but the last.
        axes = tuple(range(dk.ndim - 1))
        dn = np.sqrt(np.sum(dk * dk, axis=axes))
        wn = np.sqrt(np.sum(w * w, axis=axes))
        dk *= np.divide(wn, dn, out=np.zeros_like(wn), where=dn > 0)
    return d


def filter_norms(network: Model, flat: np.ndarray) -> list[np.ndarray]:
    """Per layer, the norm of each neuron's incoming kernel weights in `flat` (for checks)."""
    kernels, _ = network.views(flat)
    return [np.sqrt(np.sum(k * k, axis=tuple(range(k.ndim - 1)))) for k in kernels]


@dataclass(frozen=True)
class PathPlane:
    """Two orthonormal directions through a run's path, and the path in their coordinates."""

    d1: np.ndarray
    d2: np.ndarray
    coords: np.ndarray  # (n, 2): each point's (α, β)
    explained: tuple[float, float]  # the share of the path's variance along d1 and d2


def path_directions(path: Sequence[np.ndarray], center: np.ndarray) -> PathPlane:
    """The principal directions of the points of `path` around `center` (the current weights)."""
    if len(path) < 3:
        raise PlaygroundError(_("a run's own directions need at least 3 points on its path; train a few epochs first"))
    m = np.stack([np.asarray(p, dtype=np.float64) - center for p in path])
    __, s, vt = np.linalg.svd(m, full_matrices=False)
    total = float(np.sum(s * s))
    if total == 0 or s.size < 2 or s[1] == 0:
        raise PlaygroundError(_("the run's weights have not moved in two directions yet; train a little longer"))
    d1, d2 = vt[0], vt[1]
    coords = m @ np.stack([d1, d2]).T
    return PathPlane(
        d1.astype(center.dtype), d2.astype(center.dtype), coords, (float(s[0] ** 2 / total), float(s[1] ** 2 / total))
    )


def project_path(
    path: Sequence[np.ndarray], center: np.ndarray, d1: np.ndarray, d2: np.ndarray
) -> tuple[np.ndarray, float]:
    """Least-squares (α, β) of each point of `path` on the plane center + α·d1 + β·d2, and the
    share of the path's movement the plane holds (1 when the path lies in it)."""
    m = np.stack([np.asarray(p, dtype=np.float64) - center for p in path])
    basis = np.stack([d1, d2]).astype(np.float64)  # (2, P)
    coords, *__ = np.linalg.lstsq(basis.T, m.T, rcond=None)
    coords = coords.T
    moved = float(np.linalg.norm(m))
    held = float(np.linalg.norm(coords @ basis)) / moved if moved > 0 else 1.0
    return coords, held


def loss_plane(
    trainer: Trainer,
    center: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    progress: Progress = None,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
) -> np.ndarray:
    """loss[i, j] = the data loss at center + alpha[j]·d1 + beta[i]·d2 on the training split
    (or on x, y), in inference mode and without the penalty; the network's weights are put back."""
    net = trainer.network
    if x is None or y is None:
        x, y = trainer.data.x_train, trainer.data.y_train
    if x.shape[0] == 0:
        raise PlaygroundError(_("the training split is empty: there is no training loss to draw"))
    saved = net.params.copy()
    out = np.empty((len(beta), len(alpha)))
    try:
        for i, b in enumerate(beta):
            row = center + b * d2
            for j, a in enumerate(alpha):
                np.add(row, a * d1, out=net.params)
                loss, __ = trainer.evaluate_split(x, y)
                out[i, j] = loss
                if progress is not None:
                    progress(i * len(alpha) + j + 1, out.size)
    finally:
        net.params[...] = saved
    return out


def interpolation(
    trainer: Trainer,
    start: np.ndarray,
    end: np.ndarray,
    ts: np.ndarray,
    progress: Progress = None,
) -> dict[str, np.ndarray]:
    """Per split with data ("train", "validation", "test"): the loss at (1 − t)·start + t·end."""
    net = trainer.network
    splits = {name: trainer.data.split(name) for name in ("train", "validation", "test")}
    splits = {name: xy for name, xy in splits.items() if xy[0].shape[0]}
    out = {name: np.empty(len(ts)) for name in splits}
    saved = net.params.copy()
    try:
        for k, t in enumerate(ts):
            net.params[...] = (1 - t) * start + t * end
            for name, (x, y) in splits.items():
                out[name][k] = trainer.evaluate_split(x, y)[0]
            if progress is not None:
                progress(k + 1, len(ts))
    finally:
        net.params[...] = saved
    return out


@dataclass(frozen=True)
class RangeTest:
    """The learning-rate range test's curve and what it suggests."""

    rates: np.ndarray  # the rate of each step taken
    losses: np.ndarray  # the data loss on the probe rows after each step
    smoothed: np.ndarray  # their bias-corrected moving average
    steepest: float | None  # the rate where the smoothed loss falls fastest (the suggestion)
    lowest: float  # the rate at the smoothed loss's minimum (after the first tenth of the steps)
    #: The first rate past the lowest point where the loss is worse than it started by a twentieth
    #: (or not finite): beyond it training undoes itself. None when it never came back up that far.
    diverged: float | None
    #: The optimizer step of the weights the test started from (0: the run's initial weights),
    #: when the caller knows it.
    start_step: int | None = None

    @property
    def suggestion(self) -> float:
        """The rate to train with: the steepest descent, or a tenth of the lowest point's rate."""
        return self.steepest if self.steepest is not None else self.lowest / 10


def lr_range_test(
    trainer: Trainer,
    lr_min: float = LR_RANGE[0],
    lr_max: float = LR_RANGE[1],
    steps: int = 100,
    seed: int = 0,
    smoothing: float = 0.7,
    probe: int = 1024,
    progress: Progress = None,
) -> RangeTest:
    """Train a copy of the trainer's network from its current weights with a fresh optimizer of
    the same kind, on its mini-batches, the rate multiplied by the same factor each step from
    lr_min to lr_max; after each step the loss is measured on the same `probe` training rows (a
    mini-batch's own loss is too noisy to read), and the test stops once that loss diverges. The
    trainer itself is not changed. Give it the run's initial weights for advice on training:
    from trained ones the loss has little left to fall and rises sooner."""
    if not (0 < lr_min < lr_max <= 100) or not math.isfinite(lr_min * lr_max):
        raise PlaygroundError(_("the rates must rise from above 0 to at most 100, got {lr_min:g} to {lr_max:g}").format(
                                  lr_min=lr_min, lr_max=lr_max))
    if isinstance(steps, bool) or not isinstance(steps, int) or not 10 <= steps <= 10_000:
        raise PlaygroundError(_("a range test takes 10 to 10,000 steps, got {steps!r}").format(steps=steps))
    net = trainer.network.copy()
    opt = make_optimizer({"name": trainer.optimizer.name, **trainer.optimizer.hp})
    rng = np.random.default_rng([seed, 7])
    x_all = trainer.data.x_train
    n = x_all.shape[0]
    if n == 0:
        raise PlaygroundError(_("the training split is empty: there is nothing to train on"))
    targets = as_targets(trainer.data.y_train, net.n_outputs, net.dtype)
    rows = rng.choice(n, size=min(n, probe), replace=False)
    px, py = x_all[rows], trainer.data.y_train[rows]
    act = net.activations[-1]
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    batch = min(trainer.batch_size, n)
    order, pos = rng.permutation(n), 0
    losses: list[float] = []
    smoothed: list[float] = []
    avg, best, blew_up = 0.0, math.inf, None
    settle = max(1, steps // 10)
    backup = net.params.copy()
    nk = net.n_kernel
    reg, dead = trainer.regularizer, trainer.dead
    for k, lr in enumerate(rates):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos : pos + batch]
        pos += batch
        with np.errstate(all="ignore"):
            net.loss_and_grad(x_all[idx], targets[idx], trainer.loss, trainer.regularizer, True, rng)
            np.copyto(backup, net.params)
            reg.before_step(net.grads[:nk], dead)
            opt.step(net.trainable_params, net.trainable_grads, nk, float(lr))
            dead = reg.after_step(backup[:nk], net.params[:nk], float(lr), dead)
            out = net.forward(px)
            loss = float(np.mean(trainer.loss.per_sample(net.pre_activations()[-1], out, py, act)))
        if not math.isfinite(loss):
            blew_up = float(lr)
            break
        avg = smoothing * avg + (1 - smoothing) * loss
        value = avg / (1 - smoothing ** (k + 1))
        losses.append(loss)
        smoothed.append(value)
        if k >= settle:
            best = min(best, value)
        if progress is not None:
            progress(k + 1, steps)
        if value > 4 * best:  # no need to go on (fastai's lr_find stops here)
            break
    if not losses:
        raise PlaygroundError(_("the loss was not finite after the first step at rate {lr_min:g}: start lower").format(
                                  lr_min=lr_min))
    taken = np.asarray(rates[: len(losses)])
    sm = np.asarray(smoothed)
    low = settle + int(np.argmin(sm[settle:])) if len(sm) > settle else int(np.argmin(sm))
    worse = np.nonzero(sm[low:] > (1 + MIN_FALL) * sm[0])[0]
    diverged = float(taken[low + worse[0]]) if worse.size else blew_up
    return RangeTest(taken, np.asarray(losses), sm, _steepest(taken, sm, low, settle), float(taken[low]), diverged)


def _steepest(rates: np.ndarray, smoothed: np.ndarray, low: int, start: int) -> float | None:
    """The rate where d(smoothed loss)/d(log rate) is most negative, up to the lowest point (the
    first steps, still settling, are left out); None when the loss never falls by a twentieth
    (weights already at a minimum: a slope through noise would suggest nothing)."""
    if low - start < 2 or smoothed[low] > (1 - MIN_FALL) * smoothed[0]:
        return None
    slope = np.gradient(smoothed[: low + 1], np.log(rates[: low + 1]))
    k = start + int(np.argmin(slope[start:]))
    return float(rates[k]) if slope[k] < 0 else None

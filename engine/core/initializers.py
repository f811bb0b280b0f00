"""Kernel initializers by name, with Keras's formulas (fan_in = inputs, fan_out = units).

Each draws exactly the values of the kernel's shape: a dense kernel (in, out) is its own fans;
a convolution's (k, k, in, filters) has Keras's (k·k·in, k·k·filters), worked out from the
shape (or given as `fans`), so a big kernel never costs fan_in × fan_out values.

The "normal" variance-scaling ones draw from a normal truncated at ±2σ, with σ divided by
0.8796 so the truncated draws keep the intended variance, as Keras does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .i18n import N_, _
from .numbers import number
from .registry import Registry, spec_name

Shape = tuple[int, ...]
Fans = tuple[int, int] | None


class Initializer(Protocol):
    """What every registered initializer is: the kernel's shape in, that many values out."""

    def __call__(self, shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray: ...


INITIALIZERS: Registry[Initializer] = Registry(N_("initializer"))

# Standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STD = 0.87962566103423978


def formula(name: str) -> str:
    """What an initializer draws, in a line (its docstring): for the app's tooltips."""
    return " ".join((INITIALIZERS.get(name).__doc__ or "").split())


def _truncated_normal(shape: Shape, std: float, rng: np.random.Generator) -> np.ndarray:
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():  # redraw the tails; about 4.6% each round
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * std


def keras_fans(shape: Shape) -> tuple[int, int]:
    """Keras's fans: a dense kernel's (in, out); a conv kernel's receptive field times in and out."""
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    field = int(np.prod(shape[:-2]))
    return field * int(shape[-2]), field * int(shape[-1])


def _fans(shape: Shape, fans: Fans) -> tuple[int, int]:
    """(fan_in, fan_out): the ones given, else Keras's for the shape."""
    return (int(fans[0]), int(fans[1])) if fans is not None else keras_fans(shape)


@INITIALIZERS.register("glorot_uniform", N_("Glorot uniform"))
def glorot_uniform(shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray:
    """U(−l, l), l = √(6 / (fan_in + fan_out)). Keras's default."""
    fan_in, fan_out = _fans(shape, fans)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


@INITIALIZERS.register("glorot_normal", N_("Glorot normal"))
def glorot_normal(shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray:
    """Truncated N(0, σ²), σ = √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape, fans)
    return _truncated_normal(shape, np.sqrt(2.0 / (fan_in + fan_out)) / _TRUNCATED_STD, rng)


@INITIALIZERS.register("he_uniform", N_("He uniform"))
def he_uniform(shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray:
    """U(−l, l), l = √(6 / fan_in). Suits ReLU layers."""
    limit = np.sqrt(6.0 / _fans(shape, fans)[0])
    return rng.uniform(-limit, limit, shape)


@INITIALIZERS.register("he_normal", N_("He normal"))
def he_normal(shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray:
    """Truncated N(0, σ²), σ = √(2 / fan_in). Suits ReLU layers."""
    return _truncated_normal(shape, np.sqrt(2.0 / _fans(shape, fans)[0]) / _TRUNCATED_STD, rng)


@INITIALIZERS.register("lecun_normal", N_("LeCun normal"))
def lecun_normal(shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray:
    """Truncated N(0, σ²), σ = √(1 / fan_in)."""
    return _truncated_normal(shape, np.sqrt(1.0 / _fans(shape, fans)[0]) / _TRUNCATED_STD, rng)


@INITIALIZERS.register("random_normal", N_("Random normal (σ = 0.05)"))
def random_normal(shape: Shape, rng: np.random.Generator, fans: Fans = None, stddev: float = 0.05) -> np.ndarray:
    """N(0, stddev²), stddev = 0.05 by default as Keras."""
    return rng.normal(0.0, stddev, shape)


@INITIALIZERS.register("tfp_uniform", N_("Uniform ±0.5 (TF Playground)"))
def tfp_uniform(shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray:
    """Uniform in [−0.5, 0.5] whatever the layer's size: TensorFlow Playground's initial weights
    (its biases start at 0.1: network.bias_init)."""
    return rng.uniform(-0.5, 0.5, shape)


@INITIALIZERS.register("zeros", N_("Zeros"))
def zeros(shape: Shape, rng: np.random.Generator, fans: Fans = None) -> np.ndarray:
    """All zeros: what that does depends on the activations (`zero_start` says it)."""
    return np.zeros(shape)


def zero_start(activations: Sequence[Any], bias_init: float = 0.0, dropout: bool = False) -> str:
    """What all-zero kernels do to a dense network with these hidden activations, in words. Every
    hidden unit starts out computing f(bias) whatever the input. Where a layer's f(bias) is 0 (tanh,
    ReLU, linear at bias 0), no gradient reaches its weights or any below (exactly 0, for ever);
    if it is the last hidden layer, only the output bias learns. Where no layer's is (sigmoid:
    0.5), each layer's units get identical gradients and stay identical (Ng's symmetry problem),
    unless dropout's random masks tell them apart."""
    from .activations import get_activation  # activations are not needed to draw weights

    if not activations:
        return _("With no hidden layer, zero weights are a fine start: every weight gets its own gradient.")
    outs = [float(get_activation(a).forward(np.full((1, 2), float(bias_init)))[0, 0]) for a in activations]
    names = [str(spec_name(a)) for a in activations]
    dead = [i for i, v in enumerate(outs) if v == 0.0]
    if dead:
        k = dead[-1] if outs[-1] == 0.0 else dead[0]
        at = {"act": names[k], "bias": number(bias_init, 6), "layer": k + 1, "above": k + 2}
        if k == len(outs) - 1 and len(dead) == len(outs):
            return _("Every kernel starts at 0 and {act}({bias}) = 0: the hidden units output 0 whatever the input, "
                     "so every weight's gradient (the output's too) and every hidden bias's is exactly 0, for ever. "
                     "Only the output bias learns: the network gives one value for every input.").format(**at)
        if k == len(outs) - 1:
            return _("Every kernel starts at 0 and {act}({bias}) = 0: the last hidden layer's units output 0 whatever "
                     "the input, so every weight's gradient (the output's too) and every hidden bias's is exactly 0, "
                     "for ever. Only the output bias learns: the network gives one value for every input.").format(**at)
        return _("Every kernel starts at 0 and {act}({bias}) = 0: layer {layer}'s units output 0 whatever the input, "
                 "so the weights of layers 1 to {above} get exactly 0 gradient, for ever; the layers above learn from "
                 "a constant, and the network gives one value for every input.").format(**at)
    at = {"act": names[0], "bias": number(bias_init, 6), "value": number(outs[0], 3)}
    if dropout:
        return _("Every kernel starts at 0, so the units of a layer compute the same value ({act}({bias}) = {value}) "
                 "and get identical gradients: they stay identical, and each layer works as a single unit (the "
                 "symmetry problem). Dropout's random masks tell them apart, slowly.").format(**at)
    return _("Every kernel starts at 0, so the units of a layer compute the same value ({act}({bias}) = {value}) and "
             "get identical gradients: they stay identical, and each layer works as a single unit (the symmetry "
             "problem).").format(**at)


INITIALIZERS.alias("glorot_uniform", "xavier_uniform")
INITIALIZERS.alias("glorot_normal", "xavier_normal")

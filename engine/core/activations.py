"""Activation functions, each with its derivative, registered by name.

Every activation maps pre-activations ``z`` to outputs ``a = f(z)`` and back-propagates an
upstream gradient ``g = dJ/da`` into ``dJ/dz``. Elementwise ones do that as ``g * f'(z)``;
softmax mixes a row, so it uses its Jacobian-vector product.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .errors import PlaygroundError
from .i18n import N_, _
from .registry import Registry

ACTIVATIONS: Registry[type[Activation]] = Registry(N_("activation"))


class Activation:
    """Base class. Subclasses set `name`, `formula` and implement `forward`/`derivative`."""

    name = ""
    formula = ""
    #: Points where f is not differentiable (a gradient check near them is meaningless).
    kinks: tuple[float, ...] = ()
    #: Its forms elsewhere: the ONNX operator (alpha and axis attributes filled in by the
    #: exporter), a torch.nn module, and Keras's (Dense activation=, a layer that follows a linear
    #: Dense or None); "{alpha!r}" is filled from params(). A conformance test checks every one.
    onnx: ClassVar[str] = ""
    torch: ClassVar[str | None] = None
    keras: ClassVar[tuple[str, str | None]] = ("", None)
    #: Each hyperparameter's allowed range (lo, hi), inclusive: a project outside it is refused.
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {}
    #: False for an activation that mixes its units (softmax): its local gradient is a Jacobian,
    #: not f′(z) unit by unit, and it is an output's (hidden layers are offered the elementwise ones).
    elementwise: ClassVar[bool] = True
    #: That Jacobian in symbols, for the backprop walk's words (activations that are not elementwise).
    jacobian_words: ClassVar[str] = ""
    #: Whether its outputs are probabilities (each one in (0, 1), or a row summing to 1 when it
    #: is not elementwise): what a cross-entropy reads, and what a regression output is not.
    probabilities: ClassVar[bool] = False

    def params(self) -> dict[str, float]:
        """Hyperparameters of this activation (e.g. alpha), as stored in a project file."""
        return {}

    def forward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """f'(z) elementwise; `a` is f(z), passed in because many derivatives reuse it."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """dJ/dz given dJ/da."""
        return grad * self.derivative(z, a)

    def jacobian(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """∂a_k/∂z_j for one example's units (k, j): diagonal for an elementwise activation."""
        return np.diag(self.derivative(z, a))

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.params().items())
        return f"{self.name}({extra})"


@ACTIVATIONS.register("linear", N_("Linear"))
class Linear(Activation):
    name = "linear"
    onnx = "Identity"
    torch = None
    keras = ("linear", None)
    formula = "f(z) = z"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.ones_like(z)

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return grad


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^(−z)) in five in-place calls. −z is capped first (at 500 in float64, 88 in
    float32) so e^(−z) never overflows; beyond the cap σ is off by less than σ(−cap), about
    7e-218 and 6e-39. No lower cap is needed: e^(−z) underflowing to 0 gives exactly 1."""
    out = np.negative(z)
    np.minimum(out, 88.0 if out.dtype == np.float32 else 500.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


@ACTIVATIONS.register("sigmoid", N_("Sigmoid"))
class Sigmoid(Activation):
    name = "sigmoid"
    onnx = "Sigmoid"
    torch = "nn.Sigmoid()"
    keras = ("sigmoid", None)
    formula = "σ(z) = 1 / (1 + e^(−z)),  σ'(z) = σ(z)(1 − σ(z))"
    probabilities = True

    def forward(self, z: np.ndarray) -> np.ndarray:
        return _sigmoid(z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1.0 - a)


@ACTIVATIONS.register("tanh", N_("Tanh"))
class Tanh(Activation):
    name = "tanh"
    onnx = "Tanh"
    torch = "nn.Tanh()"
    keras = ("tanh", None)
    formula = "tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)),  tanh'(z) = 1 − tanh²(z)"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1.0 - a * a

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        # g(1 − a²) as g − g·a²: three same-shape calls, no scalar broadcast.
        d = a * a
        d *= grad
        return np.subtract(grad, d, out=d)


@ACTIVATIONS.register("relu", N_("ReLU"))
class ReLU(Activation):
    name = "relu"
    onnx = "Relu"
    torch = "nn.ReLU()"
    keras = ("relu", None)
    formula = "relu(z) = max(0, z),  relu'(z) = 1 if z > 0 else 0"
    kinks = (0.0,)

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return (z > 0).astype(z.dtype)

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        # g ⊙ [z > 0] with the mask as it is: no float copy of it (the same bits).
        return np.multiply(grad, z > 0)


@ACTIVATIONS.register("leaky_relu", N_("Leaky ReLU"))
class LeakyReLU(Activation):
    name = "leaky_relu"
    onnx = "LeakyRelu"
    torch = "nn.LeakyReLU(negative_slope={alpha!r})"
    keras = ("linear", "layers.LeakyReLU(negative_slope={alpha!r})")
    formula = "f(z) = z if z > 0 else α·z  (α = 0.2 by default, as keras.activations)"
    kinks = (0.0,)

    # alpha: the slope for z < 0 (Keras: negative_slope)
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"alpha": (0.0, 1.0)}

    def __init__(self, alpha: float = 0.2) -> None:
        self.alpha = float(alpha)

    def params(self) -> dict[str, float]:
        return {"alpha": self.alpha}

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, z, self.alpha * z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype)


@ACTIVATIONS.register("elu", N_("ELU"))
class ELU(Activation):
    name = "elu"
    onnx = "Elu"
    torch = "nn.ELU(alpha={alpha!r})"
    keras = ("linear", "layers.ELU(alpha={alpha!r})")
    formula = "f(z) = z if z > 0 else α(e^z − 1),  f'(z) = 1 if z > 0 else f(z) + α"
    kinks = (0.0,)  # differentiable at 0 only when alpha == 1

    # alpha: the saturation value −α for z → −∞
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"alpha": (0.0, 10.0)}

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def params(self) -> dict[str, float]:
        return {"alpha": self.alpha}

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.where(z > 0, 1.0, a + self.alpha).astype(z.dtype)


@ACTIVATIONS.register("softplus", N_("Softplus"))
class Softplus(Activation):
    name = "softplus"
    onnx = "Softplus"
    torch = "nn.Softplus()"
    keras = ("softplus", None)
    formula = "softplus(z) = ln(1 + e^z),  softplus'(z) = σ(z)"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.logaddexp(0, z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return _sigmoid(z)


@ACTIVATIONS.register("softmax", N_("Softmax"))
class Softmax(Activation):
    name = "softmax"
    onnx = "Softmax"
    torch = "nn.Softmax(dim=1)"
    keras = ("softmax", None)
    formula = "softmax(z)_i = e^(z_i) / Σ_j e^(z_j)   (over a row: class probabilities)"
    elementwise = False
    jacobian_words = "J = diag(s) − s sᵀ"
    probabilities = True

    def forward(self, z: np.ndarray) -> np.ndarray:
        # The ufuncs' own reductions and one array written in place: on an output of 10 classes these
        # calls' overhead is the whole cost (the methods went through two Python wrappers each).
        e = np.subtract(z, np.maximum.reduce(z, axis=-1, keepdims=True))
        np.exp(e, out=e)
        e /= np.add.reduce(e, axis=-1, keepdims=True)
        return e

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """The diagonal of the Jacobian, a_i(1 − a_i); `backward` uses the full Jacobian."""
        return a * (1.0 - a)

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        # J = diag(a) − a aᵀ per row, so Jᵀg = a ⊙ (g − (g·a)).
        return a * (grad - np.sum(grad * a, axis=-1, keepdims=True))

    def jacobian(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """J = diag(s) − s sᵀ for one output s: J[k, j] = ∂s_k/∂z_j = s_k(1[k = j] − s_j)."""
        return np.diag(a) - np.outer(a, a)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function (shared with the losses)."""
    return _sigmoid(z)


def hidden_activations() -> list[str]:
    """The activations a hidden layer is offered, in registration order: the elementwise ones
    (one that mixes its layer's units, softmax, is an output's)."""
    return [name for name in ACTIVATIONS.names() if ACTIVATIONS.get(name).elementwise]


def get_activation(spec: str | dict[str, Any] | Activation) -> Activation:
    """An activation instance from a name, a ``{"name": ..., **params}`` dict, or an instance."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, dict):
        params = dict(spec)
        name = params.pop("name", None)
    else:
        name, params = spec, {}
    cls = ACTIVATIONS.get(name)
    try:
        return cls(**params)
    except TypeError:
        raise PlaygroundError(_("activation {name!r} does not take parameters {params}").format(
                                  name=name, params=sorted(params))) from None


ACTIVATIONS.alias("linear", "identity")

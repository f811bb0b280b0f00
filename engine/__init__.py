"""nn-playground's engine: a small, exact, vectorised NumPy neural-network library.

It knows nothing of Qt, threads or dialogs; the app and the headless CLI are its clients.
"""

from .core.activations import ACTIVATIONS, Activation, get_activation
from .core.errors import PlaygroundError
from .core.initializers import INITIALIZERS
from .core.layers import LAYERS
from .core.losses import LOSSES, Loss, get_loss
from .core.model import LayerStack, Model, build_model
from .core.regularizers import REGULARIZERS, Regularizer
from .teaching.gradcheck import GradCheckReport, check_gradients

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LAYERS",
    "LOSSES",
    "REGULARIZERS",
    "Activation",
    "GradCheckReport",
    "LayerStack",
    "Loss",
    "Model",
    "PlaygroundError",
    "Regularizer",
    "build_model",
    "check_gradients",
    "get_activation",
    "get_loss",
]

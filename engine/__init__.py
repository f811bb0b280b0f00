"""nn-playground's engine: a small, exact, vectorised NumPy neural-network library.

It knows nothing of Qt, threads or dialogs; the app and the headless CLI are its clients.
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .errors import PlaygroundError
from .gradcheck import GradCheckReport, check_gradients
from .initializers import INITIALIZERS
from .layers import LAYERS
from .losses import LOSSES, Loss, get_loss
from .model import LayerStack, Model, build_model
from .regularizers import REGULARIZERS, Regularizer

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

"""nn-playground's engine: a small, exact, vectorised NumPy neural-network library.

It knows nothing of Qt, threads or dialogs; the app and the headless CLI are its clients.
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .errors import PlaygroundError
from .gradcheck import GradCheckReport, check_gradients
from .initializers import INITIALIZERS
from .losses import LOSSES, Loss, get_loss
from .network import LayerSpec, Network
from .regularizers import REGULARIZERS, Regularizer

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "REGULARIZERS",
    "Activation",
    "GradCheckReport",
    "LayerSpec",
    "Loss",
    "Network",
    "PlaygroundError",
    "Regularizer",
    "check_gradients",
    "get_activation",
    "get_loss",
]

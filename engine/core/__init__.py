"""The network core: the model (a stack of layers over one flat parameter buffer), the layer kinds,
activations, losses, optimizers, initializers and regularizers, each registered by name, and the
limits and number formatting everything above shares. It imports nothing from the rest of engine/."""

"""Other engines that train a project as the NumPy engine does: PyTorch (`pytorch`, with the torch
pieces in `torch_parts`). Above the exports: a backend builds its modules from the code the
PyTorch export writes (each layer kind's `torch` lines), so a kind is still named in one place."""

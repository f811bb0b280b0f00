"""A dense layer's weights in the two notations a first course meets: Keras's kernel, (in, out),
multiplying a row x as z = x·kernel + b, and Andrew Ng's W[l], (n[l], n[l−1]), multiplying a
column as z[l] = W[l]·a[l−1] + b[l]. One is the other's transpose: W[l] = kernelᵀ, b[l] = biasᵀ.
The model summary and the network view's tooltips say both."""

from __future__ import annotations

from .i18n import N_, _

#: The summary's last line (translated where shown: `_(NOTE)`).
NOTE = N_("Keras: z = x·kernel + b with x a row; Ng: z[l] = W[l]·a[l−1] + b[l] with a[l−1] a column; W[l] = kernelᵀ.")


def keras_shapes(n_in: int, n_out: int) -> str:
    """Keras's kernel and bias shapes for a dense layer of `n_out` units on `n_in` inputs."""
    return f"kernel ({n_in}, {n_out}), bias ({n_out},)"


def ng_shapes(layer: int, n_in: int, n_out: int) -> str:
    """Ng's W[l] and b[l] shapes for dense layer `layer` (1 for the first layer)."""
    return f"W[{layer}] ({n_out}, {n_in}), b[{layer}] ({n_out}, 1)"


def weight_names(layer: int, i: int, j: int) -> str:
    """One weight, from input i to unit j of dense layer `layer` (i, j from 0; layer from 1), in
    both notations: the kernel's row i, column j is W[l]'s row j + 1, column i + 1."""
    return _("Keras: kernel[{i}, {j}] (0-based: row = input, column = unit) · Ng: W[{layer}] row {row}, column "
             "{column}").format(i=i, j=j, layer=layer, row=j + 1, column=i + 1)

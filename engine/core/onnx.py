"""The model as an ONNX graph (opset 17): each layer adds its own nodes (its kind's `onnx`), after
the fitted normalisation's Sub and Div, so a file's rows go in as they are."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .errors import PlaygroundError
from .i18n import N_, _
from .layers.base import OnnxGraph
from .model import Model


class Normalization(Protocol):
    """What the export reads of a data set's fitted normalisation (engine.data.features.Normalizer)."""

    kind: str
    shift: np.ndarray | float
    scale: np.ndarray | float


ONNX_HINT = N_("ONNX export needs the onnx package: pip install 'nn-playground[onnx]'")


def onnx_model_bytes(network: Model, normalizer: Normalization | None = None, opset: int = 17) -> bytes:
    """An ONNX model (opset 17): input `input` float32, output `output` — the probabilities or
    values the app shows. The input is the data after the feature maps, before normalisation: the
    fitted normalisation is the graph's first nodes (Sub, then Div), so a file's rows go in as they
    are. A model on images takes images [N, H, W, C] (channels-last, as the data), transposed to
    ONNX's NCHW where a layer needs it and back before the flatten, so the dense kernels are
    Keras's own; a dense project's model takes rows [N, features] (`exports_images`). Each layer
    adds its own nodes (its kind's `onnx`); dropout is left out, as at inference."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise PlaygroundError(_(ONNX_HINT)) from None
    image = network.exports_images
    shape = list(network.input_shape) if image else [network.n_inputs]
    graph = OnnxGraph(helper, numpy_helper, "nhwc" if image else "flat")
    current = "input"
    if normalizer is not None and normalizer.kind != "none":
        for part in ("shift", "scale"):
            values = np.asarray(getattr(normalizer, part), dtype=np.float32)
            arr = np.broadcast_to(values, (network.n_inputs,)).reshape(shape)
            graph.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), f"normalize.{part}"))
        graph.node("Sub", ["input", "normalize.shift"], ["normalize.centred"])
        graph.node("Div", ["normalize.centred", "normalize.scale"], ["normalize.out"])
        current = "normalize.out"
    last = len(network.layers) - 1
    for i, (layer, inp, out) in enumerate(zip(network.layers, network.shapes, network.shapes[1:])):
        current = layer.onnx(graph, current, "output" if i == last else f"l{i}", inp, out)
    model_graph = helper.make_graph(
        graph.nodes, "nn_playground",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", network.n_outputs])],
        graph.inits,
    )  # fmt: skip
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(model_graph, producer_name="nn-playground", opset_imports=opsets)
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    return model.SerializeToString()

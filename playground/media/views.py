"""Which views a figure, a slide or a recording can show, and why a project cannot show one."""

from __future__ import annotations

from typing import Any

from engine.core.layers import neuron_drawable
from engine.project import PreparedData

from ..run.snapshot import grid_extent

#: The views a figure or a slide can show, with their names in the window.
VIEWS = {
    "output": "Output (the data view)",
    "network": "Network (neurons)",
    "curves": "Curves",
    "weights": "Weights (histograms)",
    "confusion": "Confusion matrix",
    "layers": "Layers (feature maps)",
}
RECORD_VIEWS = ("output", "network", "curves")  # a recording's views, those the project can show


def unavailable(view: str, project: dict[str, Any], data: PreparedData) -> str | None:
    """Why `view` cannot be drawn for this project and its data, or None when it can."""
    ds = data.dataset
    if view == "output" and ds.image_shape is None and grid_extent(data) is None:
        return (f"the output view draws the plane of two-input point data (or the image views); "
                f"these data have {data.n_inputs} inputs: choose curves, network or weights")  # fmt: skip
    if view == "network" and not neuron_drawable(project["network"]["layers"]):
        return "the neuron graph draws dense networks and this one has convolution layers: choose layers"
    if view == "confusion" and ds.problem != "classification":
        return "the confusion matrix counts classes, and these data are a regression"
    if view == "layers" and ds.image_shape is None:
        return "the layer view shows the feature maps of an image, and these data are points: choose network"
    return None


def default_views(project: dict[str, Any], data: PreparedData) -> list[str]:
    """output, network and curves, those the project can show; the layer view for a CNN."""
    views = [v for v in RECORD_VIEWS if unavailable(v, project, data) is None]
    if "network" not in views and unavailable("layers", project, data) is None:
        views.insert(min(1, len(views)), "layers")
    return views

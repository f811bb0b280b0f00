"""Which views a figure, a slide or a recording can show, and why a project cannot show one."""

from __future__ import annotations

from typing import Any

from engine.core.i18n import N_, _
from engine.core.layers import neuron_drawable
from engine.project import PreparedData

from ..run.snapshot import grid_extent

#: The views a figure or a slide can show, with their names in the window.
VIEWS = {
    "output": N_("Output (the data view)"),
    "network": N_("Network (neurons)"),
    "curves": N_("Curves"),
    "weights": N_("Weights (histograms)"),
    "confusion": N_("Confusion matrix"),
    "layers": N_("Layers (feature maps)"),
}
RECORD_VIEWS = ("output", "network", "curves")  # a recording's views, those the project can show


def unavailable(view: str, project: dict[str, Any], data: PreparedData) -> str | None:
    """Why `view` cannot be drawn for this project and its data, or None when it can."""
    ds = data.dataset
    if view == "output" and ds.image_shape is None and grid_extent(data) is None:
        return _("the output view draws the plane of two-input point data (or the image views); these data have "
                 "{count} inputs: choose curves, network or weights").format(count=data.n_inputs)
    if view == "network" and not neuron_drawable(project["network"]["layers"]):
        return _("the neuron graph draws dense networks and this one has convolution layers: choose layers")
    if view == "confusion" and ds.problem != "classification":
        return _("the confusion matrix counts classes, and these data are a regression")
    if view == "layers" and ds.image_shape is None:
        return _("the layer view shows the feature maps of an image, and these data are points: choose network")
    return None


def default_views(project: dict[str, Any], data: PreparedData) -> list[str]:
    """output, network and curves, those the project can show; the layer view for a CNN."""
    views = [v for v in RECORD_VIEWS if unavailable(v, project, data) is None]
    if "network" not in views and unavailable("layers", project, data) is None:
        views.insert(min(1, len(views)), "layers")
    return views

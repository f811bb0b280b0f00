"""The middle column's network: the neuron graph (network_view.py) or, for image data, the layer
stack (layers_view.py), behind two buttons when both can draw the network."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QStackedLayout, QToolButton, QVBoxLayout, QWidget

from engine.layers import neuron_drawable

from ..state import ProjectState
from ..widgets import name_widget
from .layers_view import LayersPanel


class NetworkArea(QWidget):
    """The middle column's network: the neuron graph, or for image data the layer stack. A
    convolutional network has only the stack (the graph draws dense layers); a dense one on
    image data has both, behind two buttons."""

    def __init__(self, state: ProjectState, network: QWidget, layers: LayersPanel) -> None:
        super().__init__()
        self.setObjectName("networkArea")
        self.state, self.network, self.layers = state, network, layers
        self.images = False  # whether the data are images (from the newest snapshot)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        bar = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip in (("neurons", "Neurons", "The network as neurons and weighted edges"),
                               ("layers", "Layers", "The network as layers, with filters and feature maps "
                                                    "of one image")):  # fmt: skip
            b = name_widget(QToolButton(), f"{key}Page", f"{text} view", tip)
            b.setText(text)
            b.setCheckable(True)
            b.clicked.connect(lambda _c=False, k=key: self.show_page(k))
            bar.addWidget(b)
            self.buttons[key] = b
        bar.addStretch(1)
        self.bar = QWidget()
        self.bar.setLayout(bar)
        bar.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.bar)
        self.pages = QStackedLayout()
        self.pages.addWidget(network)
        self.pages.addWidget(layers)
        lay.addLayout(self.pages, 1)
        self.chosen = "neurons"  # what the user picked for a dense network on image data
        state.changed.connect(lambda change: self._follow() if change.touches("network", "data") else None)
        self._follow()

    @property
    def convolutional(self) -> bool:
        """Whether only the layer stack draws this network (kinds the neuron graph does not)."""
        return not neuron_drawable(self.state.project["network"]["layers"])

    def set_images(self, images: bool) -> None:
        if images != self.images:
            self.images = images
            self._follow()

    def show_page(self, key: str) -> None:
        if key == "neurons" and self.convolutional:
            key = "layers"
        self.chosen = key
        self._follow()

    def page(self) -> str:
        return "layers" if self.pages.currentWidget() is self.layers else "neurons"

    def _follow(self) -> None:
        conv = self.convolutional
        key = "layers" if conv else (self.chosen if self.images else "neurons")
        self.pages.setCurrentWidget(self.layers if key == "layers" else self.network)
        self.bar.setVisible(self.images or conv)
        self.buttons["neurons"].setEnabled(not conv)
        self.buttons["neurons"].setToolTip("The neuron graph draws dense networks; this one has convolution layers"
                                           if conv else "The network as neurons and weighted edges")  # fmt: skip
        for k, b in self.buttons.items():
            b.setChecked(k == key)

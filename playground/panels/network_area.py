"""The middle column's network: the neuron graph (network_view.py), the layer stack
(layers_view.py) for image and sequence data, and for sequence data the network unrolled through
time (unrolled_view.py), behind buttons when more than one can draw the network."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QStackedLayout, QToolButton, QVBoxLayout, QWidget

from engine.core.i18n import N_, _
from engine.core.layers import kind_of, needs_sequences, neuron_drawable

from ..run.state import ProjectState
from ..widgets import name_widget
from .layers_view import LayersPanel

#: The pages' buttons: (key, text, accessible name, tooltip).
PAGES = (
    ("neurons", N_("Neurons"), N_("Neurons view"), N_("The network as neurons and weighted edges")),
    ("layers", N_("Layers"), N_("Layers view"),
     N_("The network as layers, with filters and feature maps of one image")),
    ("unrolled", N_("Unrolled"), N_("Unrolled view"),
     N_("The network unrolled through time: one sequence's states, gates and prediction at every step")),
)


class NetworkArea(QWidget):
    """The middle column's network: the neuron graph, or for image data the layer stack. A
    network with other layers than dense ones (convolutions, recurrent layers) has only the
    stack (the graph draws dense layers); a dense one on image data has both, behind buttons.
    Sequence data add the unrolled view, the page a recurrent network starts on."""

    def __init__(self, state: ProjectState, network: QWidget, layers: LayersPanel,
                 unrolled: QWidget | None = None) -> None:  # fmt: skip
        super().__init__()
        self.setObjectName("networkArea")
        self.state, self.network, self.layers = state, network, layers
        self.unrolled = unrolled if unrolled is not None else QWidget()
        self.images = False  # whether the data are images (from the newest snapshot)
        self.sequences = False  # whether they are sequences
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        bar = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for key, text, name, tip in PAGES:
            b = name_widget(QToolButton(), f"{key}Page", _(name), _(tip))
            b.setText(_(text))
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
        self.pages.addWidget(self.unrolled)
        lay.addLayout(self.pages, 1)
        self.chosen = "neurons"  # what the user picked for a dense network on image data
        self.chosen_sequences: str | None = None  # ...and on sequence data (None: by the network)
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

    def set_sequences(self, sequences: bool) -> None:
        if sequences != self.sequences:
            self.sequences = sequences
            self._follow()

    def show_page(self, key: str) -> None:
        if key == "neurons" and self.convolutional:
            key = "layers"
        if self.sequences:
            self.chosen_sequences = key
        else:
            self.chosen = key
        self._follow()

    def page(self) -> str:
        current = self.pages.currentWidget()
        return "layers" if current is self.layers else "unrolled" if current is self.unrolled else "neurons"

    def _follow(self) -> None:
        conv = self.convolutional
        layers = self.state.project["network"]["layers"]
        if self.sequences:
            default = "unrolled" if needs_sequences(layers) else "layers"
            key = self.chosen_sequences or default
            key = "layers" if key == "neurons" and conv else key
        else:
            key = "layers" if conv else (self.chosen if self.images else "neurons")
        key = "neurons" if key == "unrolled" and not self.sequences else key
        self.pages.setCurrentWidget({"layers": self.layers, "unrolled": self.unrolled}.get(key, self.network))
        self.bar.setVisible(self.images or conv or self.sequences)
        self.buttons["unrolled"].setVisible(self.sequences)
        self.buttons["neurons"].setEnabled(not conv)
        kinds = sorted({kind_of(layer).keras for layer in layers if not neuron_drawable([layer])})
        names = _("{items} and {last}").format(items=", ".join(kinds[:-1]), last=kinds[-1]) if len(kinds) > 1 else (
            kinds[0] if kinds else "")
        self.buttons["neurons"].setToolTip(_("The neuron graph draws dense networks; this one has {names} layers")
                                           .format(names=names) if conv else _(PAGES[0][3]))  # fmt: skip
        for k, b in self.buttons.items():
            b.setChecked(k == key)

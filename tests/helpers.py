"""Small shared builders for tests."""

from __future__ import annotations

import copy
import math
from typing import Any

from engine.project import normalize_project


def project(**sections: Any) -> dict[str, Any]:
    """A validated project; keyword arguments are merged into the named sections."""
    raw: dict[str, Any] = {"format": "nn-playground/1", "seed": sections.pop("seed", 0)}
    for name, values in sections.items():
        raw[name] = copy.deepcopy(values)
    return normalize_project(raw)


def wait_for(qtbot: Any, win: Any, predicate: Any, timeout: int = 15_000) -> Any:
    """Wait until the window's newest snapshot satisfies `predicate`; return that snapshot."""
    qtbot.waitUntil(lambda: win.session.snapshot is not None and predicate(win.session.snapshot), timeout=timeout)
    return win.session.snapshot


def engine_widths(snap: Any) -> list[int]:
    """Units per dense layer of the network a snapshot shows (output layer last)."""
    return [k.shape[1] for k in snap.kernels]


class ScalarReference:
    """One parameter updated straight from an optimizer's published formula (torch.optim's docs,
    or Keras 3's update_step for `"rules": "keras"`), in plain Python floats: the independent
    reference the vectorised optimizers are checked against."""

    def __init__(self, name: str, lr: float, **hp: Any) -> None:
        from engine.core.optimizers import OPTIMIZERS

        self.name, self.lr = name, lr
        self.hp = {**OPTIMIZERS.get(name).defaults, **hp}
        self.keras = self.hp.get("rules") == "keras"
        self.v = self.m = self.u = self.vmax = 0.0
        self.s = self.hp.get("initial_accumulator_value", 0.0)
        self.t = 0

    def step(self, w: float, g: float) -> float:
        """The parameter after one update with gradient g."""
        hp, lr, name, keras = self.hp, self.lr, self.name, self.keras
        self.t += 1
        t = self.t
        if name in ("sgd", "momentum", "nesterov"):
            mu = hp.get("momentum", 0.0)
            if mu and keras:  # keras.SGD: the learning rate inside the velocity
                self.v = mu * self.v - lr * g
                return w + (mu * self.v - lr * g if hp.get("nesterov") else self.v)
            if mu:
                self.v = mu * self.v + g
                return w - (lr * (g + mu * self.v) if hp.get("nesterov") else lr * self.v)
            return w - lr * g
        if name == "adagrad":
            self.s += g * g
            return w - lr * g / (math.sqrt(self.s + hp["epsilon"]) if keras else math.sqrt(self.s) + hp["epsilon"])
        if name == "adadelta":
            rho, eps = hp["rho"], hp["epsilon"]
            self.v = rho * self.v + (1 - rho) * g * g
            delta = math.sqrt(self.u + eps) / math.sqrt(self.v + eps) * g
            self.u = rho * self.u + (1 - rho) * delta * delta
            return w - lr * delta
        if name == "rmsprop":
            self.v = hp["rho"] * self.v + (1 - hp["rho"]) * g * g
            return w - lr * g / (math.sqrt(self.v + hp["epsilon"]) if keras else math.sqrt(self.v) + hp["epsilon"])
        # adam, adamw
        if name == "adamw":  # every parameter, biases too
            w -= lr * hp["weight_decay"] * w
        b1, b2 = hp["beta_1"], hp["beta_2"]
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        self.vmax = max(self.vmax, self.v)
        vv = self.vmax if hp.get("amsgrad") else self.v
        if keras:  # keras.Adam: α·√(1−β₂ᵗ)/(1−β₁ᵗ), ε added to the uncorrected √v
            return w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * self.m / (math.sqrt(vv) + hp["epsilon"])
        return w - lr * (self.m / (1 - b1**t)) / (math.sqrt(vv / (1 - b2**t)) + hp["epsilon"])


def dense(n_inputs: int, hidden: Any, n_outputs: int, output_activation: Any = "sigmoid", **kw: Any) -> Any:
    """A dense model as engine.build_model makes it, from hidden layers given as widths, (units,
    activation[, dropout]) tuples or project entries; keywords are build_model's."""
    from engine.core.model import build_model

    def entry(h: Any) -> dict[str, Any]:
        if isinstance(h, dict):
            return {"activation": "tanh", "dropout": 0.0, **h}
        if isinstance(h, tuple):
            return {"units": h[0], "activation": h[1], "dropout": h[2] if len(h) > 2 else 0.0}
        return {"units": h, "activation": "tanh", "dropout": 0.0}

    return build_model((n_inputs,), [entry(h) for h in hidden], n_outputs, output_activation, **kw)


#: 2-D points for a data section whose settings no data set's own rules constrain.
POINTS = {"points": {"x": [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]], "y": [0, 1, 0, 1]}}


def raw_with(path: str, value: Any) -> dict[str, Any]:
    """A project file that sets the field table's `path` to `value` and gives the setting what
    it needs to be judged alone: an optimizer or schedule that has the key, a layer of a kind
    that declares it, drawn points (no generator's rules) with a loss and output any problem
    takes for a data setting."""
    from engine.core.layers import LAYERS, new_entry
    from engine.core.optimizers import OPTIMIZERS, SCHEDULE_DEFAULTS

    section, *rest = path.split(".")
    raw: dict[str, Any] = {"format": "nn-playground/1"}
    if not rest:
        raw[section] = value
        return raw
    if section == "data":
        raw["network"] = {"output_activation": "linear"}
        raw["training"] = {"loss": "mse"}
        raw["data"] = {"source": copy.deepcopy(POINTS), "problem": "regression"}
    node = raw.setdefault(section, {})
    if rest[0] == "layers[]":
        key = rest[1]
        if key == "type":
            node["layers"] = [new_entry(value) if value in LAYERS else {"type": value}]
            return raw
        kind = next(n for n in LAYERS.written() if key in [k.name for k in LAYERS.get(n).keys])
        node["layers"] = [new_entry(kind) | {key: value}]
        return raw
    if rest[:1] == ["optimizer"] and len(rest) == 2 and rest[1] != "name":
        node["optimizer"] = {"name": next(n for n in OPTIMIZERS.names() if rest[1] in OPTIMIZERS.get(n).defaults)}
    if rest[:1] == ["schedule"] and len(rest) == 2 and rest[1] != "name":
        node["schedule"] = {"name": next(n for n, p in SCHEDULE_DEFAULTS.items() if rest[1] in p)}
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    node[rest[-1]] = value
    return raw


def ink(widget: Any) -> int:
    """The darkest grey level (0 black .. 255 white) in a widget's picture as drawn with the app's
    stylesheet: its text, for a button. A greyed (disabled) control draws lighter than an enabled one."""
    import numpy as np

    image = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_Grayscale8)
    pixels = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return int(pixels.reshape(image.height(), image.bytesPerLine())[:, : image.width()].min())


def numeric(f: Any, arr: Any, h: float = 1e-6) -> Any:
    """∂f/∂arr by central differences, one entry at a time (arr is changed in place and restored)."""
    import numpy as np

    g = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        arr[idx] = old + h
        up = f()
        arr[idx] = old - h
        down = f()
        arr[idx] = old
        g[idx] = (up - down) / (2 * h)
    return g


def clipped_texts(window: Any) -> list[str]:
    """The shown labels and buttons of a window whose text does not fit their widget (issue 34: a
    Korean label is as wide as it needs; nothing may be cut off at the window's size). A wrapping
    label needs its height for its width, a one-line one its width; a check box or radio button
    its indicator and text; a push or tool button its text (and icon) inside its frame."""
    from PySide6.QtGui import Qt, QTextDocument  # QtGui's Qt: the enums and mightBeRichText
    from PySide6.QtWidgets import QAbstractButton, QCheckBox, QLabel, QRadioButton, QToolButton, QWidget

    out = []
    for w in window.findChildren(QWidget):
        if not w.isVisible() or QWidget.window(w) is not window:  # (a widget may name an attribute window)
            continue
        name = f"{type(w).__name__} {w.objectName()!r}"
        if isinstance(w, QLabel) and w.text():
            text, rect = w.text(), w.contentsRect().adjusted(w.margin(), w.margin(), -w.margin(), -w.margin())
            rich = w.textFormat() == Qt.TextFormat.RichText or (
                w.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(text))  # fmt: skip
            if w.wordWrap():
                if w.heightForWidth(w.width()) > w.height() + 1:
                    out.append(f"{name}: {text!r} needs {w.heightForWidth(w.width())} px of height, has {w.height()}")
                continue
            if rich:
                doc = QTextDocument()
                doc.setDocumentMargin(0)
                doc.setDefaultFont(w.font())
                doc.setHtml(text)
                need = math.ceil(doc.idealWidth())
            else:
                need = max(w.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))
            if need > rect.width() + 1:
                out.append(f"{name}: {text!r} needs {need} px, has {rect.width()}")
        elif isinstance(w, QAbstractButton) and w.text():
            text = w.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
            if isinstance(w, (QCheckBox, QRadioButton)):
                need, has = w.sizeHint().width(), w.width()
            else:
                if (isinstance(w, QToolButton) and not w.icon().isNull()
                        and w.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly):  # fmt: skip
                    continue
                icon = w.iconSize().width() + 4 if not w.icon().isNull() else 0
                text_width = max(w.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))
                need, has = text_width + icon, w.contentsRect().width() - 4
            if need > has:
                out.append(f"{name}: {text!r} needs {need} px, has {has}")
    return out


def build_every_tab(window: Any) -> list[Any]:
    """Build the window's tabs that wait to be shown (widgets.Deferred), so a check over every widget
    of the window sees theirs too; returns the views built."""
    from playground.widgets import Deferred

    deferred = window.findChildren(Deferred)
    assert deferred, "the window has tabs built when first shown"
    return [d.build() for d in deferred]

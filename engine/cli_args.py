"""The command line's commands and options, in the user's language: argparse's own headings
("usage: ", "positional arguments", "options") and -h's help come from our catalog (the standard
library's has no Korean), and a bad argument is one line on stderr with status 2, as every bad input."""

from __future__ import annotations

import argparse
import unicodedata
from typing import Any

from .core.errors import PlaygroundError
from .core.i18n import _
from .teaching.surfaces import SURFACES

#: The engines `train --backend` offers: the NumPy engine, or PyTorch (engine/backends/pytorch.py).
BACKENDS = ("numpy", "torch")


class Formatter(argparse.HelpFormatter):
    """argparse's help with its "usage: " heading from our catalog."""

    def add_usage(self, usage, actions, groups, prefix=None):  # argparse's own signature
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """A parser whose help, headings and errors follow the user's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        self.add_argument("-h", "--help", action="help", help=_("show this help message and exit"))

    def error(self, message: str) -> None:  # one line, status 2, as for every bad input
        raise PlaygroundError(_("{message} (see '{command} --help')").format(message=message, command=self.prog))


def parser() -> argparse.ArgumentParser:
    """The command line's commands and options, their help in the user's language."""
    p = Parser(prog="nn-playground", description=_("Train and inspect nn-playground projects without a screen."))
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser, title=_("commands"))
    json_only = _("print only JSON on stdout")
    t = sub.add_parser("train", help=_("train a project and print a progress bar per epoch"))
    t.add_argument("project", help=_("a project file, or a preset's name"))
    t.add_argument("--epochs", type=int,
                   help=_("epochs to train (default: the project's; 0 keeps the initial weights)"))
    t.add_argument("--seed", type=int, help=_("override the project's seed"))
    t.add_argument("--weights", help=_("start from these weights (.npz or .json) instead of the project's initial "
                                       "weights (its app.weights, else the initializer's)"))
    t.add_argument("--export", help=_("save the trained weights: OUT.npz, OUT.json or OUT.onnx"))
    t.add_argument("--backend", choices=BACKENDS, default="numpy",
                   help=_("train with the NumPy engine (default) or PyTorch: the same data, weights and batches"))
    t.add_argument("--device", default="cpu", help=_("with --backend torch: cpu (default), cuda or cuda:N"))
    t.add_argument("--compare", action="store_true", help=_(
        "train on both backends and print the largest difference of the weights and loss per epoch"))
    e = sub.add_parser("evaluate", help=_("loss and accuracy of saved weights on each split"))
    e.add_argument("project", help=_("a project file, or a preset's name"))
    e.add_argument("--weights", help=_("the weights to evaluate (.npz or .json; default: the project's app.weights)"))
    e.add_argument("--json", action="store_true", help=json_only)
    s = sub.add_parser("summary", help=_("the Keras-like model summary"))
    s.add_argument("project", help=_("a project file, or a preset's name"))
    x = sub.add_parser("export-data", help=_("the data with its split, before feature maps and normalisation"))
    x.add_argument("project", help=_("a project file, or a preset's name"))
    x.add_argument("out", help=_("OUT.csv or OUT.npz"))
    b = sub.add_parser("backprop", help=_("every number of one example's forward and backward pass"))
    b.add_argument("project", help=_("a project file, or a preset's name"))
    b.add_argument("--weights", help=_("the weights to trace (default: the project's initial weights)"))
    b.add_argument("--input", help=_("the raw inputs, comma-separated, as the data has them (before feature maps)"))
    b.add_argument("--label", help=_("a class index, or a target value for regression"))
    b.add_argument("--row", type=int, help=_("trace training row N (its inputs and label) instead of --input"))
    b.add_argument("--json", action="store_true", help=json_only)
    pa = sub.add_parser("path", help=_("an optimizer's path on a two-parameter test surface"))
    pa.add_argument("function", help=_("one of {names}").format(names=", ".join(SURFACES.names())))
    adam = "'{\"name\": \"adam\", \"learning_rate\": 0.02}'"
    pa.add_argument("--optimizer", default="sgd", help=_("a name or JSON: {example}").format(example=adam))
    pa.add_argument("--start", help=_("X,Y (default: the surface's own start point)"))
    pa.add_argument("--steps", type=int, default=300, help=_("updates to take (default 300)"))
    pa.add_argument("--params", help=_("the surface's parameters as JSON, e.g. {example} for quadratic").format(
        example="'{\"a\": 1, \"b\": 50}'"))
    pa.add_argument("--json", action="store_true", help=json_only)
    it = sub.add_parser("import-tfp", help=_("a TensorFlow Playground link as a project file (with TFP's maths)"))
    it.add_argument("url", help=_("the link, in quotes (it holds & characters)"))
    it.add_argument("out", help=_("OUT.json"))
    im = sub.add_parser("import-model",
                        help=_("an ONNX, Keras (.keras) or PyTorch (.pt) model as a project and weights"))
    im.add_argument("model",
                    help=_("MODEL.onnx, MODEL.keras or MODEL.pt (a state dict of nn.Sequential, or TorchScript)"))
    im.add_argument("out", help=_("OUT.json, the project"))
    im.add_argument("--weights", help=_("OUT.npz or OUT.json, the weights (default: OUT.npz beside the project)"))
    im.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help=_("the project's precision (default float64, the playground's; float32 weights are exact "
                           "in it)"))
    im.add_argument("--activation", default="relu",
                    help=_("a PyTorch state dict holds no activations: the hidden layers' (default relu)"))
    im.add_argument("--output-activation",
                    help=_("a state dict's output activation (default: softmax for several outputs, linear for one)"))
    im.add_argument("--input-shape", help=_("a state dict's image input H,W,C when it starts with a convolution"))
    sub.add_parser("presets", help=_("list the presets, which every command takes in place of a project file"))
    la = sub.add_parser("landscape", help=_("the training loss on a plane through the weights (Li et al. 2018)"))
    la.add_argument("project", help=_("a project file, or a preset's name"))
    la.add_argument("--weights", help=_("the weights at the centre (default: the project's initial weights)"))
    la.add_argument("--resolution", type=int, default=21, help=_("points per side, odd (default 21)"))
    la.add_argument("--span", type=float, default=1.0, help=_("alpha and beta run from -span to span (default 1)"))
    la.add_argument("--seed", type=int, default=0, help=_("the random directions' seed (default 0)"))
    la.add_argument("--json", action="store_true", help=json_only)
    return p


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns (a Hangul syllable takes two)."""
    wide = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    room = " " * max(0, width - wide)
    return room + text if right else text + room

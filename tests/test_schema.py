"""The field table is the only schema: every default, range and choice a project has is declared
once in engine/project/fields.py (or in the Key, optimizer or schedule declarations it reads), and the
default project, the validator and the panels' number controls all take it from there. Each test
here fails when a setting's default, range or choices is written a second time, by hand, and
disagrees."""

import math
import re

import pytest
from helpers import raw_with

from engine import PlaygroundError
from engine.core.limits import MAX_LAYERS, fmt
from engine.project import DEFAULT_PROJECT, EARLY_STOPPING_DEFAULTS, normalize_project
from engine.project.fields import FIELDS, UNSET, children, defaults, field


def named(path):
    """The path a message names for a table path, as a pattern: the first layer is layers[0]."""
    return re.escape(path.replace("[]", "[0]"))


def at(project, path):
    node = project
    for part in path.split("."):
        node = node[part]
    return node


def test_the_default_project_is_the_tables_defaults():
    assert DEFAULT_PROJECT == defaults() and EARLY_STOPPING_DEFAULTS == defaults("training.early_stopping")
    # (Inside an object with a default of its own, such as early stopping's null, the fields'
    # defaults are what a given object leaves out: the next test.)
    own = {f.path for f in FIELDS if f.kind == "object" and f.default is not UNSET}
    leaves = [f for f in FIELDS if f.default is not UNSET and not f.optional and "[" not in f.path
              and f.path.rpartition(".")[0] not in own]  # fmt: skip
    assert len(leaves) > 25
    for f in leaves:
        assert at(DEFAULT_PROJECT, f.path) == f.default, f.path
    assert list(DEFAULT_PROJECT) == [f.name for f in children() if not f.optional]  # a file's order


@pytest.mark.parametrize(
    "f", [f for f in FIELDS if f.default is not UNSET and f.kind != "object" and "." in f.path], ids=lambda f: f.path
)
def test_a_setting_a_file_leaves_out_is_the_tables_default(f):
    """The validator fills what a file leaves out from the table: an object given empty gets each
    of its fields' defaults (null ones, the data's own samples, are the data set's rule)."""
    parent = f.path.rpartition(".")[0]
    raw = raw_with(parent, {}) if "." in parent else {"format": "nn-playground/1", parent: {}}
    out = normalize_project(raw)
    if f.optional:
        assert f.name not in at(out, parent)
    elif f.default is not None:
        assert at(out, f.path) == f.default, f.path


def _outside(f, bound, below):
    """The nearest value past a closed end, or the open end itself."""
    if (f.lo_open if below else f.hi_open) or f.kind == "list":
        return bound if f.kind != "list" else bound + 1
    step = 1 if f.kind == "integer" else max(abs(bound) * 1e-6, 1e-9)
    return bound - step if below else bound + step


NUMBERS = [f for f in FIELDS if f.kind in ("number", "integer")]


@pytest.mark.parametrize("f", NUMBERS, ids=lambda f: f.path)
def test_the_validator_keeps_each_range_as_the_table_declares_it(f):
    """A closed end is accepted and the nearest value past it refused, with the table's bound in
    the words; an open end is refused itself (a hand check with another range fails one of these)."""
    assert f.lo is not None or f.hi is not None, f.path
    for bound, below in ((f.lo, True), (f.hi, False)):
        if bound is None:
            continue
        is_open = f.lo_open if below else f.hi_open
        if not is_open:
            normalize_project(raw_with(f.path, bound))
        word = (">" if below else "<") + ("" if is_open else "=")
        with pytest.raises(PlaygroundError, match=rf"^{named(f.path)} must be {word} {re.escape(fmt(bound))}, got"):
            normalize_project(raw_with(f.path, _outside(f, bound, below)))


def test_the_hidden_layer_limit_is_the_tables_and_its_message_names_it():
    assert field("network.layers").hi == MAX_LAYERS
    normalize_project(raw_with("network", {"layers": [{"units": 2}] * MAX_LAYERS}))
    with pytest.raises(PlaygroundError, match=f"network.layers may hold at most {MAX_LAYERS} hidden layers, got 17"):
        normalize_project(raw_with("network", {"layers": [{"units": 2}] * (MAX_LAYERS + 1)}))


CHOICES = [f for f in FIELDS if f.kind == "choice"]


@pytest.mark.parametrize("f", CHOICES, ids=lambda f: f.path)
def test_the_validator_offers_each_choice_the_table_declares(f):
    options = list(f.registry.names() if f.registry is not None else f.choices())
    with pytest.raises(PlaygroundError, match=rf"^{named(f.path)} must be one of {', '.join(options)}, got 'bogus'$"):
        normalize_project(raw_with(f.path, "bogus"))
    if f.path == "training.loss":
        return  # a loss must fit the data and output too: engine.core.losses' rule, tested there
    for option in options:
        out = normalize_project(raw_with(f.path, option))
        if "[]" not in f.path:
            assert at(out, f.path) == option, (f.path, option)


def test_the_panels_number_controls_range_as_the_table(qtbot):
    """Every spin box and number field of the data panel, the control bar and the stop settings
    offers what the field table allows (a spin box up to what it holds, 2³¹ − 1)."""
    from playground.panels.controls import ControlBar
    from playground.panels.data_panel import DataPanel
    from playground.run.state import ProjectState

    state = ProjectState()
    state.set("training.optimizer", {"name": "adam"})
    state.set("training.schedule", {"name": "cosine"})
    data, bar = DataPanel(state), ControlBar(state)
    qtbot.addWidget(data)
    qtbot.addWidget(bar)
    spins = {"data.samples": data.samples, "training.batch_size": data.batch, "seed": data.seed,
             "training.epochs": bar.stop.limit, "training.early_stopping.patience": bar.stop.patience}  # fmt: skip
    for path, spin in spins.items():
        f = field(path)
        assert (spin.minimum(), spin.maximum()) == (f.lo, min(f.hi, 2**31 - 1)), path
        assert spin.singleStep() == (f.step or 1), path
    edits = {f"training.optimizer.{k}": w for k, w in bar.opt_fields.items() if hasattr(w, "committed")}
    edits |= {f"training.schedule.{k}": w for k, w in bar.sched_fields.items()}
    edits["training.early_stopping.min_delta"] = bar.stop.min_delta
    assert {"training.optimizer.beta_1", "training.schedule.alpha"} <= set(edits)
    for path, edit in edits.items():
        f = field(path)
        v = edit.validator()
        assert (v.low, v.high) == (f.lo, f.hi), path
    assert [data.problem.itemText(i) for i in range(data.problem.count())] == list(field("data.problem").choices())
    assert not math.isinf(field("data.samples").hi)


def test_a_layer_keys_kind_is_checked_as_the_table_checks_that_kind():
    """The validator reads a layer kind's Keys generically: a kind that declares a true-or-false
    key (or any other kind of key) is checked with no change to the validator."""
    from engine.core.layers.base import Key
    from engine.project.fields import _layer_field

    flag = _layer_field(Key("center", "boolean", "centre", default=True, help="Whether to add β"))
    assert (flag.path, flag.kind, flag.label) == ("network.layers[].center", "boolean", "centre")
    assert flag.check(False, "network.layers[2].center") is False
    with pytest.raises(PlaygroundError, match=r"^network.layers\[2\].center must be true or false, got 'yes'$"):
        flag.check("yes", "network.layers[2].center")
    act = _layer_field(Key("activation", "activation", "activation", default="relu"))
    assert act.check({"name": "LeakyReLU", "alpha": 0.1}, "x") == {"name": "leaky_relu", "alpha": 0.1}
    with pytest.raises(PlaygroundError, match=r"^x.alpha must be <= 1, got 3"):
        act.check({"name": "leaky_relu", "alpha": 3}, "x")

"""The computation-graph examples: the lectures' numbers, and every gradient by central differences."""

import math

import pytest

from engine import PlaygroundError
from engine.teaching.graphs import GATES, GRAPHS, make_graph


def grads(g):
    return {n.name: n.grad for n in g.inputs()}


def test_sum_times_gives_the_lectures_numbers():
    g = make_graph("sum_times")
    assert g.nodes[-1].value == -12
    assert grads(g) == {"x": -4, "y": -4, "z": 3}
    assert g.nodes[g.index("q")].grad == -4  # the multiply gate swaps: ∂f/∂q = z


def test_the_sigmoid_neuron_gives_the_lectures_numbers():
    g = make_graph("sigmoid_neuron")
    assert g.nodes[-1].value == pytest.approx(0.7311, abs=1e-4)
    want = {"w0": -0.197, "x0": 0.393, "w1": -0.393, "x1": -0.590, "w2": 0.197}
    assert grads(g) == pytest.approx(want, abs=1e-3)


def test_the_max_gate_routes():
    g = make_graph("max_gate")
    assert g.nodes[-1].value == -20
    assert grads(g) == {"x": -8, "y": 6, "z": 2, "w": 0}


def test_the_chain_rule_exercise():
    g = make_graph("chain_rule")
    assert g.nodes[-1].value == 1227  # y = 5, z = 25, f = 2·625 − 25 + 2
    assert grads(g)["x"] == (4 * 25 - 1) * (2 * 5) * 2  # df/dz · dz/dy · dy/dx = 1980


def test_logistic_regression_gives_a_minus_y():
    g = make_graph("logistic_regression")
    a = g.nodes[g.index("a")].value
    assert g.nodes[-1].value == pytest.approx(-math.log(a))
    assert g.nodes[g.index("z")].grad == pytest.approx(a - 1)  # ∂L/∂z = a − y
    assert grads(g)["w2"] == pytest.approx((a - 1) * 2.0)


@pytest.mark.parametrize("name", GRAPHS.names())
def test_every_gradient_matches_central_differences(name):
    g = make_graph(name)
    h = 1e-6
    for node in g.inputs():
        if node.name == "y" and name == "logistic_regression":
            continue  # a label, kept at 0 or 1 (its gradient is still the formula's)
        base = node.value
        g.set(node.name, base + h)
        up = g.run()
        g.set(node.name, base - h)
        down = g.run()
        g.set(node.name, base)
        g.run()
        assert node.grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8), node.name


def test_editing_an_input_updates_every_node():
    g = make_graph("sum_times")
    g.set("x", 1)
    assert g.run() == (1 + 5) * -4 and grads(g)["z"] == 6
    with pytest.raises(PlaygroundError, match="computed from its inputs"):
        g.set("q", 3)
    with pytest.raises(PlaygroundError, match="finite"):
        g.set("x", math.inf)


def test_a_value_outside_a_gates_domain_is_named():
    g = make_graph("logistic_regression")
    g.set("w1", 1000.0)
    with pytest.raises(PlaygroundError, match=r"L \(bce\)"):
        g.run()


def test_every_gate_says_its_rule():
    for name in GATES.names():
        assert GATES.get(name).rule
    assert "distributes" in GATES.get("add").rule and "swaps" in GATES.get("mul").rule
    assert "routes" in GATES.get("max").rule


def test_round_off_below_the_inputs_precision_is_written_as_zero():
    """Issue 29, item 10: z = 0.5·1 − 0.3·2 + 0.1 is 2.8e-17 in binary floating point; the app
    writes it as 0, and only values within their inputs' rounding."""
    g = make_graph("logistic_regression")
    z = g.index("z")
    assert g.nodes[z].value != 0 and abs(g.nodes[z].value) < 1e-16  # what floating point computes
    bound = g.error_bound()
    assert abs(g.nodes[z].value) <= bound[z] < 1e-15
    shown = g.shown()
    assert shown[z] == 0.0
    assert all(s == n.value for i, (s, n) in enumerate(zip(shown, g.nodes)) if i != z)
    g.set("b", 0.1 + 1e-12)  # a small value that is not round-off stays as it is
    g.run()
    assert g.shown()[z] == g.nodes[z].value == pytest.approx(1e-12, rel=1e-3)
    g.set("x1", 0.0)
    g.set("x2", 0.0)
    g.set("b", 1e-20)
    g.run()
    assert g.shown()[z] == 1e-20  # exact: a typed 1e-20 plus exact zeros


def test_a_gradient_with_respect_to_an_expression_is_bracketed():
    """Issue 29, item 10: "∂out/∂w1x1 + w2x2" read as (∂out/∂w1x1) + w2x2."""
    g = make_graph("logistic_regression")
    assert g.wrt(g.index("w1x1 + w2x2")) == "∂out/∂(w1x1 + w2x2)"
    assert g.wrt(g.index("w1·x1")) == "∂out/∂(w1·x1)" and g.wrt(g.index("w1")) == "∂out/∂w1"
    g = make_graph("max_gate")
    assert g.wrt(g.index("max(z, w)")) == "∂out/∂max(z, w)"
    g = make_graph("chain_rule")
    assert g.wrt(g.index("2z² − z")) == "∂out/∂(2z² − z)" and g.wrt(g.index("z²")) == "∂out/∂(z²)"

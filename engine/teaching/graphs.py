"""Small computation graphs with their forward values and backward gradients, for the lecture
examples the app draws (CS231n's f = (x + y)·z, a sigmoid neuron, logistic regression's loss,
the chain-rule exercise f = 2z² − z + 2 with z = y², y = 2x + 3).

Each gate is a row of `GATES`: its symbol, its forward value, its local gradient with respect
to each input, and the rule that says how it passes a gradient back (add distributes, multiply
swaps, max routes). `Graph.backward` is the chain rule written once: a node's gradient is the
sum over its consumers of their gradient times their local gradient.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.registry import Registry


@dataclass(frozen=True)
class Gate:
    symbol: str
    forward: Callable[[list[float]], float]
    local: Callable[[list[float], float], list[float]]  # (inputs, output) -> ∂out/∂input per input
    rule: str


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


def _bce(a: float, y: float) -> float:
    return -(y * math.log(a) + (1 - y) * math.log(1 - a))


GATES: Registry[Gate] = Registry(N_("gate"))
#: Each gate in words, for the app: what the lectures call it.
GATE_WORDS = {"input": N_("input"), "const": N_("constant"), "add": N_("add"), "sub": N_("subtract"),
              "mul": N_("multiply"), "max": "max", "exp": "exp", "log": "log", "square": N_("square"),
              "sigmoid": N_("sigmoid"), "bce": N_("binary cross-entropy")}  # fmt: skip
for _name, _gate in {
    "input": Gate("", lambda v: math.nan, lambda v, o: [],
                  N_("an input: its gradient is how much the output moves per unit of it")),
    "const": Gate("", lambda v: math.nan, lambda v, o: [],
                  N_("a constant: it gets a gradient but nothing is learned from it")),
    "add": Gate("+", lambda v: v[0] + v[1], lambda v, o: [1.0, 1.0],
                N_("add distributes: each input gets the upstream gradient unchanged")),
    "sub": Gate("−", lambda v: v[0] - v[1], lambda v, o: [1.0, -1.0],
                N_("subtract: the first input gets the upstream gradient, the second its negative")),
    "mul": Gate("×", lambda v: v[0] * v[1], lambda v, o: [v[1], v[0]],
                N_("multiply swaps: each input gets the upstream gradient times the other input")),
    "max": Gate("max", lambda v: max(v[0], v[1]), lambda v, o: [1.0, 0.0] if v[0] >= v[1] else [0.0, 1.0],
                N_("max routes: the larger input gets the whole upstream gradient, the other none")),
    "exp": Gate("exp", lambda v: math.exp(v[0]), lambda v, o: [o],
                N_("exp: the local gradient is e^x, the output itself")),
    "log": Gate("log", lambda v: math.log(v[0]), lambda v, o: [1 / v[0]], N_("log: the local gradient is 1/x")),
    "square": Gate("x²", lambda v: v[0] * v[0], lambda v, o: [2 * v[0]], N_("square: the local gradient is 2x")),
    "sigmoid": Gate("σ", lambda v: _sigmoid(v[0]), lambda v, o: [o * (1 - o)],
                    N_("sigmoid: the local gradient is σ(x)(1 − σ(x)), from the output alone")),
    "bce": Gate("L", lambda v: _bce(v[0], v[1]), lambda v, o: [(v[0] - v[1]) / (v[0] * (1 - v[0])),
                                                               math.log((1 - v[0]) / v[0])],
                N_("cross-entropy L(a, y) = −(y·log a + (1 − y)·log(1 − a)): ∂L/∂a = (a − y) / (a(1 − a))")),
}.items():  # fmt: skip
    GATES.register(_name, GATE_WORDS[_name])(_gate)


@dataclass
class Node:
    name: str
    gate: str
    inputs: tuple[int, ...] = ()
    value: float = 0.0
    grad: float = 0.0

    @property
    def leaf(self) -> bool:
        return self.gate in ("input", "const")


@dataclass
class Graph:
    """Nodes in an order where every input comes before its consumers; the last is the output."""

    title: str
    formula: str
    nodes: list[Node] = field(default_factory=list)

    def add(self, name: str, gate: str, *inputs: int, value: float = 0.0) -> int:
        GATES.get(gate)
        if any(not 0 <= i < len(self.nodes) for i in inputs):
            raise PlaygroundError(_("node {name!r} takes an input that does not exist yet").format(name=name))
        self.nodes.append(Node(name, gate, tuple(inputs), float(value)))
        return len(self.nodes) - 1

    def index(self, name: str) -> int:
        for i, n in enumerate(self.nodes):
            if n.name == name:
                return i
        raise PlaygroundError(_("{title} has no node {name!r}").format(title=self.title, name=name))

    def inputs(self) -> list[Node]:
        """The values a user may edit."""
        return [n for n in self.nodes if n.gate == "input"]

    def set(self, name: str, value: float) -> None:
        node = self.nodes[self.index(name)]
        if not node.leaf:
            raise PlaygroundError(_("{name} is computed from its inputs; set an input instead").format(name=name))
        if not math.isfinite(value):
            raise PlaygroundError(_("{name} must be a finite number").format(name=name))
        node.value = float(value)

    def local(self, i: int) -> list[float]:
        """∂node_i/∂(each of its inputs) at the current values."""
        n = self.nodes[i]
        return GATES.get(n.gate).local([self.nodes[j].value for j in n.inputs], n.value)

    def error_bound(self) -> list[float]:
        """For each node, how far its computed value may be from the exact one: typed inputs carry
        half an ulp of their decimal, and every gate adds its own rounding to what its inputs bring
        through its local gradients (first order). A value within it is 0 up to round-off."""
        half_ulp = 2.0**-53
        bounds: list[float] = []
        for i, n in enumerate(self.nodes):
            own = half_ulp * abs(n.value)
            if n.leaf:
                bounds.append(own)
                continue
            try:
                local = self.local(i)
            except (ValueError, ZeroDivisionError):
                local = [math.inf] * len(n.inputs)
            bounds.append(own + sum(abs(d) * bounds[j] for j, d in zip(n.inputs, local)))
        return bounds

    def shown(self) -> list[float]:
        """Each node's value as the app writes it: 0 where the value is round-off (0.5 − 0.6 + 0.1
        is 2.8e-17 in binary floating point), else the value."""
        return [0.0 if abs(n.value) <= bound else n.value for n, bound in zip(self.nodes, self.error_bound())]

    def wrt(self, i: int) -> str:
        """"∂out/∂" + node i's name, bracketed when the name is an expression: ∂out/∂(w1x1 + w2x2)."""
        name = self.nodes[i].name.strip()
        plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*|[0-9.]+|[a-z]+\([^()]*\)", name)  # x, w1, 2, max(z, w)
        return f"∂out/∂{name}" if plain else f"∂out/∂({name})"

    def run(self) -> float:
        """Forward then backward; returns the output. Values out of a gate's domain (log of a
        negative) raise a PlaygroundError naming the node."""
        for n in self.nodes:
            if n.leaf:
                continue
            try:
                n.value = float(GATES.get(n.gate).forward([self.nodes[j].value for j in n.inputs]))
            except (ValueError, OverflowError, ZeroDivisionError):
                raise PlaygroundError(_("{name} ({gate}) is not defined at these inputs").format(
                                          name=n.name, gate=n.gate)) from None
        for n in self.nodes:
            n.grad = 0.0
        self.nodes[-1].grad = 1.0
        for i in range(len(self.nodes) - 1, -1, -1):
            n = self.nodes[i]
            if n.leaf:
                continue
            try:
                local = self.local(i)
            except (ValueError, ZeroDivisionError):
                raise PlaygroundError(_("{name} ({gate}) has no gradient at these inputs").format(
                                          name=n.name, gate=n.gate)) from None
            for j, d in zip(n.inputs, local):
                self.nodes[j].grad += n.grad * d  # the chain rule: upstream × local, summed over uses
        return self.nodes[-1].value


GRAPHS: Registry[Callable[[], Graph]] = Registry(N_("computation graph"))


def _graph(name: str) -> Callable[[Callable[[], Graph]], Callable[[], Graph]]:
    """Register a graph's factory under `name`, in the words of the title it builds."""

    def deco(make: Callable[[], Graph]) -> Callable[[], Graph]:
        return GRAPHS.register(name, make().title)(make)

    return deco


@_graph("sum_times")
def sum_times() -> Graph:
    g = Graph("f = (x + y)·z", "q = x + y;  f = q·z")
    x, y, z = g.add("x", "input", value=-2), g.add("y", "input", value=5), g.add("z", "input", value=-4)
    q = g.add("q", "add", x, y)
    g.add("f", "mul", q, z)
    return g


@_graph("max_gate")
def max_gate() -> Graph:
    g = Graph("f = 2·(x·y + max(z, w))", N_("the three gates at once: multiply, max, add"))
    x, y = g.add("x", "input", value=3), g.add("y", "input", value=-4)
    z, w = g.add("z", "input", value=2), g.add("w", "input", value=-1)
    xy, m = g.add("x·y", "mul", x, y), g.add("max(z, w)", "max", z, w)
    s = g.add("sum", "add", xy, m)
    two = g.add("2", "const", value=2)
    g.add("f", "mul", two, s)
    return g


@_graph("sigmoid_neuron")
def sigmoid_neuron() -> Graph:
    g = Graph("f(w, x) = σ(w₀x₀ + w₁x₁ + w₂)", N_("a sigmoid neuron with two inputs"))
    w0, x0 = g.add("w0", "input", value=2), g.add("x0", "input", value=-1)
    w1, x1 = g.add("w1", "input", value=-3), g.add("x1", "input", value=-2)
    w2 = g.add("w2", "input", value=-3)
    a, b = g.add("w0·x0", "mul", w0, x0), g.add("w1·x1", "mul", w1, x1)
    s = g.add("w0x0 + w1x1", "add", a, b)
    z = g.add("z", "add", s, w2)
    g.add("f", "sigmoid", z)
    return g


@_graph("logistic_regression")
def logistic_regression() -> Graph:
    g = Graph("z = wᵀx + b → a = σ(z) → L(a, y)", N_("logistic regression's loss for one example"))
    x1, x2 = g.add("x1", "input", value=1.0), g.add("x2", "input", value=2.0)
    w1, w2 = g.add("w1", "input", value=0.5), g.add("w2", "input", value=-0.3)
    b = g.add("b", "input", value=0.1)
    y = g.add("y", "input", value=1.0)
    p, q = g.add("w1·x1", "mul", w1, x1), g.add("w2·x2", "mul", w2, x2)
    s = g.add("w1x1 + w2x2", "add", p, q)
    z = g.add("z", "add", s, b)
    a = g.add("a", "sigmoid", z)
    g.add("L", "bce", a, y)
    return g


@_graph("chain_rule")
def chain_rule() -> Graph:
    g = Graph("f = 2z² − z + 2,  z = y²,  y = 2x + 3", N_("the chain rule: df/dx = df/dz · dz/dy · dy/dx"))
    x = g.add("x", "input", value=1.0)
    two = g.add("2", "const", value=2)
    tx = g.add("2x", "mul", two, x)
    three = g.add("3", "const", value=3)
    y = g.add("y", "add", tx, three)
    z = g.add("z", "square", y)
    zz = g.add("z²", "square", z)
    two_b = g.add("2 ", "const", value=2)
    t = g.add("2z²", "mul", two_b, zz)
    d = g.add("2z² − z", "sub", t, z)
    two_c = g.add("2  ", "const", value=2)
    g.add("f", "add", d, two_c)
    return g


def make_graph(name: str) -> Graph:
    """A fresh copy of a registered example, run once."""
    g = GRAPHS.get(name)()
    g.run()
    return g

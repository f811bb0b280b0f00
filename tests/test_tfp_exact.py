"""TensorFlow Playground links train exactly as TensorFlow Playground.

`TfpReference` is an independent re-telling of TFP's training loop in plain Python floats, one
node and one link at a time, following its source (github.com/tensorflow/playground):
src/nn.ts (Node, Link, forwardProp, backProp accumulating accInputDer / accErrorDer and
numAccumulatedDers, updateWeights with the regularization half-step and dead links, Errors.SQUARE,
RegularizationFunction.L1 / L2) and src/playground.ts (oneStep: an update when (i + 1) %
batchSize == 0, the accumulators kept between epochs; getLoss: the mean ½(output − label)²).
A project imported from a TFP link is given the same points, in TFP's order, and the same
initial weights, and must follow TFP's training loss epoch by epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from engine.data import Dataset, Normalizer
from engine.project import PreparedData
from engine.project.links import from_tfp
from engine.run.training import Trainer

EPOCHS = 50

#: TFP's activations as nn.ts writes them: (output, derivative of the total input).
ACTIVATIONS = {
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) * math.tanh(x)),
    "relu": (lambda x: max(0.0, x), lambda x: 0.0 if x <= 0 else 1.0),
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)), lambda x: (1 / (1 + math.exp(-x))) * (1 - 1 / (1 + math.exp(-x)))),
    "linear": (lambda x: x, lambda x: 1.0),
}
#: RegularizationFunction.L1 / L2 of nn.ts: (penalty, derivative).
PENALTIES = {
    "L1": (abs, lambda w: -1.0 if w < 0 else (1.0 if w > 0 else 0.0)),
    "L2": (lambda w: 0.5 * w * w, lambda w: w),
}


@dataclass(eq=False)
class Node:
    activation: str
    bias: float
    input_links: list[Link] = field(default_factory=list)
    outputs: list[Link] = field(default_factory=list)
    total_input: float = 0.0
    output: float = 0.0
    output_der: float = 0.0
    input_der: float = 0.0
    acc_input_der: float = 0.0
    num_accumulated_ders: int = 0


@dataclass(eq=False)
class Link:
    source: Node
    dest: Node
    weight: float
    is_dead: bool = False
    error_der: float = 0.0
    acc_error_der: float = 0.0
    num_accumulated_ders: int = 0


class TfpReference:
    """TFP's network (nn.ts buildNetwork with given weights instead of Math.random() − 0.5)."""

    def __init__(self, activation: str, output: str, regularization: str | None, kernels, biases) -> None:
        self.regularization = regularization
        self.layers: list[list[Node]] = [[Node("linear", 0.0) for _ in range(len(kernels[0]))]]
        for w, b in zip(kernels, biases):
            last = len(self.layers) == len(kernels)
            layer = []
            for j in range(len(b)):
                node = Node(output if last else activation, float(b[j]))
                for i, prev in enumerate(self.layers[-1]):
                    link = Link(prev, node, float(w[i][j]))
                    prev.outputs.append(link)
                    node.input_links.append(link)
                layer.append(node)
            self.layers.append(layer)

    def forward(self, inputs) -> float:
        for node, value in zip(self.layers[0], inputs):
            node.output = float(value)
        for layer in self.layers[1:]:
            for node in layer:
                node.total_input = node.bias
                for link in node.input_links:
                    node.total_input += link.weight * link.source.output
                node.output = ACTIVATIONS[node.activation][0](node.total_input)
        return self.layers[-1][0].output

    def back_prop(self, target: float) -> None:
        out = self.layers[-1][0]
        out.output_der = out.output - target  # Errors.SQUARE.der
        for index in range(len(self.layers) - 1, 0, -1):
            layer = self.layers[index]
            for node in layer:
                node.input_der = node.output_der * ACTIVATIONS[node.activation][1](node.total_input)
                node.acc_input_der += node.input_der
                node.num_accumulated_ders += 1
            for node in layer:
                for link in node.input_links:
                    if link.is_dead:
                        continue
                    link.error_der = node.input_der * link.source.output
                    link.acc_error_der += link.error_der
                    link.num_accumulated_ders += 1
            if index == 1:
                continue
            for node in self.layers[index - 1]:
                node.output_der = 0.0
                for link in node.outputs:
                    node.output_der += link.weight * link.dest.input_der

    def update_weights(self, learning_rate: float, regularization_rate: float) -> None:
        for layer in self.layers[1:]:
            for node in layer:
                if node.num_accumulated_ders > 0:
                    node.bias -= learning_rate * node.acc_input_der / node.num_accumulated_ders
                    node.acc_input_der = 0.0
                    node.num_accumulated_ders = 0
                for link in node.input_links:
                    if link.is_dead:
                        continue
                    reg_der = PENALTIES[self.regularization][1](link.weight) if self.regularization else 0.0
                    if link.num_accumulated_ders > 0:
                        link.weight = link.weight - (learning_rate / link.num_accumulated_ders) * link.acc_error_der
                        new_weight = link.weight - (learning_rate * regularization_rate) * reg_der
                        if self.regularization == "L1" and link.weight * new_weight < 0:
                            link.weight = 0.0
                            link.is_dead = True
                        else:
                            link.weight = new_weight
                        link.acc_error_der = 0.0
                        link.num_accumulated_ders = 0

    def get_loss(self, points) -> float:
        loss = 0.0
        for inputs, label in points:
            loss += 0.5 * (self.forward(inputs) - label) ** 2
        return loss / len(points)

    def one_step(self, train, batch_size: int, learning_rate: float, regularization_rate: float) -> float:
        """playground.ts oneStep: one epoch over trainData in its order; the training loss after it."""
        for i, (inputs, label) in enumerate(train):
            self.forward(inputs)
            self.back_prop(label)
            if (i + 1) % batch_size == 0:
                self.update_weights(learning_rate, regularization_rate)
        return self.get_loss(train)

    def _per_link(self, value) -> list[np.ndarray]:
        """A value of every link, as the engine's kernels (in, out) layer by layer."""
        return [np.array([[value(link) for link in node.input_links] for node in layer]).T for layer in self.layers[1:]]

    def kernels(self) -> list[np.ndarray]:
        return self._per_link(lambda link: link.weight)

    def dead(self) -> list[np.ndarray]:
        return self._per_link(lambda link: link.is_dead)


# ----------------------------------------------------------------- the points, TFP's way
def circle_points(n: int, rng: np.random.Generator) -> list[tuple[tuple[float, float], float]]:
    """Points in TFP's circle rule (label +1 inside radius 2.5, −1 in the ring 3.5..5), shuffled."""
    pts = []
    for k in range(n):
        inside = k < n // 2
        r = rng.uniform(0, 2.5) if inside else rng.uniform(3.5, 5.0)
        angle = rng.uniform(0, 2 * math.pi)
        pts.append(((r * math.sin(angle), r * math.cos(angle)), 1.0 if inside else -1.0))
    return [pts[i] for i in rng.permutation(n)]


def xor_points(n: int, rng: np.random.Generator) -> list[tuple[tuple[float, float], float]]:
    pts = []
    for _ in range(n):
        x, y = rng.uniform(-5, 5), rng.uniform(-5, 5)
        pts.append(((x, y), 1.0 if x * y >= 0 else -1.0))
    return pts


def plane_points(n: int, rng: np.random.Generator) -> list[tuple[tuple[float, float], float]]:
    pts = []
    for _ in range(n):
        x, y = rng.uniform(-6, 6), rng.uniform(-6, 6)
        pts.append(((x, y), (x + y) / 12))
    return pts


def prepared(train, test, regression: bool) -> PreparedData:
    """The engine's data holding exactly TFP's trainData and testData, in their order."""
    x = np.array([p for p, _ in train + test], dtype=np.float64)
    labels = np.array([label for _, label in train + test])
    y = labels if regression else (labels > 0).astype(np.intp)
    ds = Dataset(x, y, "regression" if regression else "classification", ["x1", "x2"], 0 if regression else 2)
    n = len(train)
    rows = np.arange(len(train + test))
    return PreparedData(ds, ["x1", "x2"], rows[:n], rows[:0], rows[n:], Normalizer("none").fit(x[:n]),
                        x[:n].copy(), y[:n], x[:0].copy(), y[:0], x[n:].copy(), y[n:])  # fmt: skip


CASES = {
    # name: (link state, points, train count)
    "l1, a partial batch": ("activation=tanh&networkShape=4,2&batchSize=10&learningRate=0.1&regularization=L1"
                            "&regularizationRate=0.01", circle_points, 45),
    "l1 strong, batch 1": ("activation=tanh&networkShape=3&batchSize=1&learningRate=0.03&regularization=L1"
                           "&regularizationRate=0.03", circle_points, 30),
    "l2, a partial batch": ("activation=tanh&networkShape=4,2&batchSize=7&learningRate=0.1&regularization=L2"
                            "&regularizationRate=0.03", circle_points, 40),
    "relu, batch 1": ("activation=relu&networkShape=5,3&batchSize=1&learningRate=0.01", xor_points, 30),
    "sigmoid, full batches": ("activation=sigmoid&networkShape=4&batchSize=5&learningRate=0.3", xor_points, 40),
    "regression, l1, partial": ("problem=regression&activation=tanh&networkShape=3,2&batchSize=8&learningRate=0.03"
                                "&regularization=L1&regularizationRate=0.03", plane_points, 50),
}  # fmt: skip


def _run(state: str, make_points, n_train: int, seed: int = 0):
    project, _notes = from_tfp("https://playground.tensorflow.org/#" + state + "&seed=0.5")
    rng = np.random.default_rng(seed)
    points = make_points(n_train * 2, rng)
    train, test = points[:n_train], points[n_train:]
    regression = project["data"]["problem"] == "regression"
    tr = Trainer(project, data=prepared(train, test, regression))
    weights = []
    for w in tr.network.kernels:
        weights += [rng.uniform(-0.5, 0.5, w.shape), np.full(w.shape[1], 0.1)]  # Math.random() − 0.5; bias 0.1
    tr.network.set_weights(weights)
    t = project["training"]
    reg = {"none": None, "l1": "L1", "l2": "L2"}[t["regularization"]["kind"]]
    tfp_rate = t["regularization"]["rate"] * (2 if reg == "L2" else 1)  # the link's own rate
    acts = {layer["activation"] for layer in project["network"]["layers"]}
    ref = TfpReference(acts.pop(), project["network"]["output_activation"], reg, weights[0::2], weights[1::2])
    return tr, ref, train, t["batch_size"], t["optimizer"]["learning_rate"], tfp_rate


@pytest.mark.parametrize("case", list(CASES))
def test_a_tfp_link_follows_tfps_training_loss_for_50_epochs(case):
    state, make_points, n_train = CASES[case]
    tr, ref, train, batch, lr, rate = _run(state, make_points, n_train)
    expected = [ref.one_step(train, batch, lr, rate) for _ in range(EPOCHS)]
    tr.fit(EPOCHS)
    ours = tr.history["loss"]
    assert len(ours) == EPOCHS
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)
    for got, want in zip(tr.network.kernels, ref.kernels()):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    dead = np.concatenate([d.ravel() for d in ref.dead()])
    if "l1" in case:
        assert dead.any(), "the case should kill links"
        np.testing.assert_array_equal(tr.dead, dead)
        assert np.all(tr.network.params[: tr.network.n_kernel][dead] == 0)
    assert tr.steps == EPOCHS * (n_train // batch)  # TFP's count: the partial batch is no update of its own


def test_each_update_matches_tfps_step_by_step():
    """One update at a time on 25 points at batch 10 with strong L1: the third update averages the
    5 points carried from epoch 1 with 10 of epoch 2, and links die in the first updates."""
    state = ("activation=tanh&networkShape=3,2&batchSize=10&learningRate=0.3&regularization=L1"
             "&regularizationRate=0.1")  # fmt: skip
    tr, ref, train, batch, lr, rate = _run(state, circle_points, 25, seed=2)
    updates = 0
    for _epoch in range(4):
        for i, (inputs, label) in enumerate(train):
            ref.forward(inputs)
            ref.back_prop(label)
            if (i + 1) % batch == 0:
                ref.update_weights(lr, rate)
                updates += 1
                tr.train_batch()
                for got, want in zip(tr.network.kernels, ref.kernels()):
                    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
                biases = [np.array([node.bias for node in layer]) for layer in ref.layers[1:]]
                for got, want in zip(tr.network.biases, biases):
                    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
                dead = np.concatenate([d.ravel() for d in ref.dead()])
                assert (tr.dead is None and not dead.any()) or np.array_equal(tr.dead, dead)
    assert updates == tr.steps == 8 and tr.epoch == 4 and 0 < tr.dead.sum() < tr.dead.size


def test_the_old_rules_would_not_follow_tfp():
    """The test can fail: Keras's rules (reshuffling, the last partial batch as a step, L1 by
    subgradient) drift from TFP's loss by far more than the tolerance within 50 epochs."""
    state, make_points, n_train = CASES["l1, a partial batch"]
    for change in ({"last_batch": "partial"}, {"shuffle": True},
                   {"regularization": {"kind": "l1", "rate": 0.01, "l1_rule": "subgradient"}}):  # fmt: skip
        tr, ref, train, batch, lr, rate = _run(state, make_points, n_train)
        expected = [ref.one_step(train, batch, lr, rate) for _ in range(EPOCHS)]
        tr.project["training"].update(change)
        keras = Trainer(tr.project, data=tr.data)
        keras.network.set_weights(tr.network.get_weights())
        keras.fit(EPOCHS)
        assert np.max(np.abs(np.array(keras.history["loss"]) - expected)) > 1e-6, change


def test_an_imported_link_walks_one_shuffled_order_every_epoch():
    """Its own points (drawn by this app's circle, one class after the other) are shuffled once and
    the first 50% train, in that order: every epoch walks those rows in the same mixed order."""
    project, _ = from_tfp("https://playground.tensorflow.org/#dataset=circle&batchSize=30&seed=0.5")
    tr = Trainer(project)
    assert tr.n_train == 250 and np.any(np.diff(tr.data.train) < 0)  # not in the generator's order
    labels = tr.data.y_train
    assert labels[:125].mean() != 0 and labels[:125].mean() != 1  # the classes mixed, not one then the other
    seen = []
    original = tr.network.loss_and_grad
    tr.network.loss_and_grad = lambda x, *a, **k: (seen.append(x.copy()), original(x, *a, **k))[1]
    tr.train_epoch()
    first = np.concatenate(seen)
    seen.clear()
    tr.train_epoch()
    assert len(seen) == 8 and len(seen[0]) == 40  # the 10 carried rows, then the first 30
    np.testing.assert_array_equal(first, tr.data.x_train[:240])
    np.testing.assert_array_equal(np.concatenate(seen), np.concatenate([tr.data.x_train[240:], tr.data.x_train[:240]]))

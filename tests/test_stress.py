"""Thread stress: ~1,000 random actions on the real window while it trains."""

import random

from PySide6.QtWidgets import QDialog

from engine.optimizers import OPTIMIZERS

SOURCES = ["circle", "xor", "gauss", "spiral", "moons", "blobs", "plane", "multi_gaussian"]
LOSSES = ["binary_crossentropy", "mse", "huber", "categorical_crossentropy", "hinge", "multiclass_hinge", "mae"]


def test_a_thousand_random_actions_while_training(qtbot, window, tmp_path):
    rng = random.Random(1234)
    failures: list[str] = []
    window.session.handle.worker.failed.connect(failures.append)
    view = window.network

    def edit(change):
        try:
            change()
        except Exception as exc:  # an edit the state refuses is fine; anything else is a bug
            from engine import PlaygroundError

            if not isinstance(exc, PlaygroundError):
                raise

    actions = {
        "play": lambda: window.session.set_playing(True),
        "pause": lambda: window.session.set_playing(False),
        "step": lambda: window.session.step(rng.choice(["batch", "epoch"])),
        "reset": window.session.reset,
        "add layer": lambda: view.add_layer.isEnabled() and view.add_layer.click(),
        "remove layer": lambda: view.remove_layer.isEnabled() and view.remove_layer.click(),
        "neuron": lambda: (
            (layers := window.session.state.project["network"]["layers"])
            and view._set_units(rng.randrange(len(layers)), rng.choice([-1, 1]))
        ),
        "dataset": lambda: window.data_panel._choose_source(rng.choice(SOURCES)),
        "optimizer": lambda: edit(
            lambda: window.session.state.set(
                "training.optimizer", {"name": rng.choice(OPTIMIZERS.names()), "learning_rate": 0.01}
            )
        ),
        "loss": lambda: edit(
            lambda: (
                window.controls.loss.setCurrentIndex(window.controls.loss.findData(rng.choice(LOSSES)))
                or window.controls._loss_chosen(0)
            )
        ),
        "learning rate": lambda: edit(
            lambda: window.session.state.set("training.optimizer.learning_rate", rng.choice([0.001, 0.03, 0.3, 3.0]))
        ),
        "regularization": lambda: edit(
            lambda: window.session.state.update(
                {
                    "training.regularization.kind": rng.choice(["none", "l1", "l2"]),
                    "training.regularization.rate": rng.choice([0.0, 0.001, 0.1]),
                }
            )
        ),
        "batch": lambda: window.data_panel.batch.setValue(rng.choice([1, 10, 50, 500])),
        "feature": lambda: view.toggle_feature(rng.choice(["x1", "x2", "x1^2", "x1*x2", "sin(x2)"])),
        "export": lambda: window.files.export_weights(tmp_path / "w.npz"),
        "dialog": lambda: window.tools.show_summary() and [d.close() for d in window.findChildren(QDialog)],
        "events": lambda: qtbot.wait(rng.choice([0, 1, 5, 20])),
    }
    names = list(actions)
    for i in range(1000):
        name = rng.choice(names)
        actions[name]()
        if i % 10 == 0:
            qtbot.wait(1)
    assert not failures, failures[:3]
    # Settle: the engine ends up with exactly the network the builder shows.
    window.session.set_playing(False)

    def settled():
        snap = window.session.snapshot
        layers = [layer["units"] for layer in window.session.state.project["network"]["layers"]]
        return snap is not None and [k.shape[1] for k in snap.weights[0::2]][:-1] == layers

    qtbot.waitUntil(settled, timeout=15_000)
    assert window.session.handle.thread.isRunning()
    qtbot.waitUntil(lambda: len(view.edges) > 0, timeout=15_000)  # the builder draws the engine's weights

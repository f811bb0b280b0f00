"""The training worker's loop, driven on the test's own thread (no QThread) step by step."""

from playground.run.commands import Build, Pause, Play
from playground.run.training_worker import TrainingWorker
from tests.helpers import project


def drawn_at_once() -> tuple[TrainingWorker, list]:
    """A worker and the snapshots it sent to a UI that draws each at once."""
    worker = TrainingWorker()
    sent: list = []

    def ui(snap) -> None:
        sent.append(snap)
        worker.snapshot_consumed()

    worker.snapshot_ready.connect(ui)
    return worker, sent


def test_the_worker_keeps_drawing_through_a_long_epoch_end_evaluation(qapp):
    # An epoch end evaluates every row (half a second on 60,000 images). Between its chunks the
    # worker sends a snapshot when a frame is due, so the views do not freeze meanwhile.
    worker, sent = drawn_at_once()
    spec = project(data={"source": "gauss", "samples": 12_500, "test_fraction": 0.2}, training={"batch_size": 500})
    worker._apply(Build(spec), 1)
    worker._apply(Play(), 2)
    trainer = worker._trainer
    worker._last_emit = 0.0  # long ago: the next chance to draw is taken
    trainer.train_epoch()
    during = [s for s in sent if s.epoch == 1 and len(s.history["loss"]) == 0]
    assert len(during) == 1  # the first gap between chunks; the second is within the same frame
    assert [w.tolist() for w in during[0].weights] == [w.tolist() for w in trainer.network.get_weights()]

    worker._apply(Pause(), 3)
    worker._last_emit = 0.0
    before = len(sent)
    trainer.train_epoch()
    assert len(sent) == before  # paused (stepping by hand): nothing is sent from inside a step


def test_the_confusion_matrix_is_computed_while_the_ui_draws_not_before_a_frame(qapp, monkeypatch):
    import playground.run.worker_loop as worker_module

    monkeypatch.setattr(worker_module, "UI_WAIT", 0.01)
    worker = TrainingWorker()
    sent = []
    worker.snapshot_ready.connect(sent.append)  # a UI that has not finished drawing yet
    spec = project(
        data={"source": "shapes", "normalize": "unit"},
        network={"layers": [], "output_activation": "softmax"},
        training={"loss": "categorical_crossentropy", "batch_size": 32},
    )
    worker._apply(Build(spec), 1)
    worker._apply(Play(), 2)
    trainer = worker._trainer
    worker._image_eval = None
    worker._ui_ready.clear()  # a frame is being drawn
    worker._train_and_report()
    computed = worker._image_eval
    assert computed is not None  # done while the frame was drawn
    worker._ui_ready.set()
    worker._last_emit = 0.0
    worker._train_and_report()  # trains, then sends a snapshot: it reuses that evaluation
    assert sent and sent[-1].image_eval is computed and trainer.steps > computed.steps


def test_a_live_edit_behind_a_failed_build_keeps_the_running_network_and_data(qapp):
    """The session reverts a build the engine refuses, but a live edit made meanwhile was queued
    with the refused project: the trainer takes its training section only, so its project still
    describes its own network (the Model Summary rebuilt from a snapshot used to fail)."""
    from playground.run.commands import SetLive

    worker = TrainingWorker()
    failed = []
    worker.build_failed.connect(lambda seq, why: failed.append(why))
    good = project()
    worker._apply(Build(good), 1)
    trainer = worker._trainer
    bad = project(network={"layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3}]})
    worker._apply(Build(bad), 2)
    assert failed and "need image data" in failed[0] and worker._trainer is trainer
    edited = {**bad, "training": {**bad["training"], "batch_size": 7}}
    worker._apply(SetLive((("training.batch_size", 7),), edited), 3)
    assert trainer.project["network"] == good["network"] and trainer.project["data"] == good["data"]
    assert trainer.project["training"]["batch_size"] == 7 and trainer.batch_size == 7


def test_a_cnn_confusion_matrix_takes_2000_test_images_and_lets_frames_out_between_chunks():
    from engine.run.training import Trainer
    from playground.run.snapshot import IMAGE_EVAL_CONV_ROWS, image_eval

    spec = project(data={"source": "shapes", "classes": 4, "samples": 9_000, "normalize": "unit", "features": None},
                   network={"layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3}],
                            "output_activation": "softmax"},
                   training={"loss": "categorical_crossentropy"})  # fmt: skip
    tr = Trainer(spec)
    assert tr.data.test.size > IMAGE_EVAL_CONV_ROWS
    calls = []
    ev = image_eval(tr, lambda: calls.append(1))
    assert ev.indices.size == IMAGE_EVAL_CONV_ROWS and int(ev.confusion.sum()) == IMAGE_EVAL_CONV_ROWS
    assert len(calls) == -(-IMAGE_EVAL_CONV_ROWS // tr.network.inference_chunk) - 1
    x = tr.data.x_test[:IMAGE_EVAL_CONV_ROWS]
    assert (ev.predicted == tr.network.predict(x).argmax(axis=1)).all()


def test_every_live_field_of_the_table_has_one_setter_and_nothing_else_does():
    """The worker dispatches a live edit from the field table's declaration: each LIVE entry
    belongs to a setting with a setter, and a path of any other effect is refused, not ignored."""
    import pytest

    from engine.core.errors import PlaygroundError
    from engine.project.fields import FIELDS, Effect
    from playground.run.live_settings import SETTERS, live_setting

    live = [f.path for f in FIELDS if f.effect == Effect.LIVE]
    assert {live_setting(p) for p in live} == set(SETTERS)
    assert live_setting("training.regularization.rate") == "training.regularization"
    assert live_setting("training.schedule.decay_steps") == "training.schedule"
    assert live_setting("training.early_stopping.patience") == "training.early_stopping"
    assert live_setting("training.optimizer.beta_1") == "training.optimizer.*"
    for path in ("training.loss", "training.optimizer.name", "data.noise", "network.layers.0.units"):
        with pytest.raises(PlaygroundError, match="not a setting the running trainer takes"):
            live_setting(path)


def test_a_live_edit_calls_each_setter_once_and_each_hyperparameter_on_its_own(qapp, monkeypatch):
    from engine.run.training import Trainer
    from playground.run.live_settings import apply_live

    tr = Trainer(project(training={"optimizer": {"name": "adam", "learning_rate": 0.01}}))
    calls = []
    for name in ("set_regularization", "set_optimizer_param", "set_epoch_limit", "set_batch_size"):
        real = getattr(tr, name)
        monkeypatch.setattr(tr, name, lambda *a, real=real, name=name, **k: (calls.append((name, a, k)), real(*a, **k)))
    edited = project(training={"optimizer": {"name": "adam", "learning_rate": 0.05, "beta_1": 0.8}, "batch_size": 9,
                               "regularization": {"kind": "l2", "rate": 0.003}, "epochs": 7},
                     app={"epoch_limit": True})  # fmt: skip
    changes = (("training.regularization.kind", "l2"), ("training.regularization.rate", 0.003),
               ("training.optimizer.learning_rate", 0.05), ("training.optimizer.beta_1", 0.8),
               ("training.batch_size", 9), ("training.epochs", 7), ("app.epoch_limit", True))  # fmt: skip
    apply_live(tr, changes, edited)
    assert [c[0] for c in calls] == ["set_regularization", "set_optimizer_param", "set_optimizer_param",
                                     "set_batch_size", "set_epoch_limit"]  # fmt: skip
    assert tr.regularizer.kind == "l2" and tr.regularizer.rate == 0.003
    assert tr.optimizer.hp["learning_rate"] == 0.05 and tr.optimizer.hp["beta_1"] == 0.8
    assert tr.batch_size == 9 and tr.epoch_limit == 7


def test_the_thread_worker_and_the_process_proxy_have_the_one_declared_signal_list(qapp):
    from playground.run.training_worker import TrainingWorker
    from playground.run.worker_loop import SIGNALS
    from playground.run.worker_process import FORWARDED, ProcessWorker

    assert SIGNALS == ("snapshot_ready", "failed", "build_failed", "data_probed", "traced", "probe_progress",
                       "finished")  # fmt: skip
    assert FORWARDED == ("failed", "build_failed", "data_probed", "traced", "probe_progress")
    for worker in (TrainingWorker(), ProcessWorker()):
        got = []
        for name in SIGNALS:
            getattr(worker, name).connect(lambda *args, name=name, got=got: got.append(name))
        worker.finished.emit()
        worker.failed.emit("why")
        assert got == ["finished", "failed"]


def test_a_new_runs_first_snapshot_goes_out_before_its_predictions_which_come_next(qapp):
    """A structural edit on image data answers at once: evaluating the held-out images (60 ms at
    MNIST size) waits for the next snapshot, which the paused worker sends once the first is drawn."""
    worker, sent = drawn_at_once()
    spec = project(
        data={"source": "shapes", "normalize": "unit"},
        network={"layers": [{"units": 4}], "output_activation": "softmax"},
        training={"loss": "categorical_crossentropy", "batch_size": 32},
    )
    worker._apply(Build(spec), 1)
    worker._emit()
    assert sent[-1].image_eval is None and worker._dirty  # the new network is shown; its predictions are owed
    worker._train_and_report()  # paused: sends what is owed
    assert sent[-1].image_eval is not None and sent[-1].image_eval.steps == 0 and not worker._dirty
    worker._apply(Build(spec), 2)
    worker._emit()
    assert sent[-1].image_eval is None  # each new run alike

"""The GUI monkey's short form in the suite (benchmarks/monkey.py runs the long one): random
actions while training, under a watchdog that fails on an uncaught exception, an event-loop
stall over 2 s, a thread left behind or memory growth over 50 MB. The trainer runs in its own
process, as users run it."""

from monkey import run_monkey

from engine.project import build_network
from playground.run.worker_thread import _WorkerThread

ACTIONS = 600


def test_random_actions_while_training_under_a_watchdog(qtbot, process_window, tmp_path):
    window = process_window
    report = run_monkey(window, ACTIONS, seed=1234, tmp=tmp_path, wait=qtbot.wait)
    assert not report.exceptions, report.exceptions[:3]
    assert not report.failures, report.failures[:3]
    assert report.longest_stall < 2.0, f"the event loop stalled {report.longest_stall:.2f} s"
    assert report.rss_growth_mb < 50, f"memory grew {report.rss_growth_mb:.0f} MB"
    for kind in ("add layer", "neuron", "travel", "race", "preset", "dataset", "stop/resume trainer"):
        assert report.counts[kind] > 0, kind
    # No race thread is left behind; the app's own trainer runs on.
    running = [t for t in list(_WorkerThread.started_threads) if t.isRunning()]
    assert running == [] and window.session.handle.process.is_alive(), running
    # Settle: the engine ends up with exactly the network the builder shows.
    window.session.set_playing(False)

    def settled():
        snap = window.session.snapshot
        if snap is None or snap.project != window.session.state.project:
            return False
        ds = snap.data.dataset
        built = build_network(snap.project, snap.data.n_inputs, ds.classes, ds.image_shape)
        return [w.shape for w in snap.weights] == [w.shape for w in built.get_weights()]

    qtbot.waitUntil(settled, timeout=15_000)
    qtbot.waitUntil(lambda: len(window.network.edges) > 0 or not window.network.isVisible(), timeout=15_000)

"""Every preset is a valid project that trains without diverging."""

import functools
import json

import pytest

from engine.core.i18n import pick
from engine.project.files import load_project
from engine.run.training import Trainer
from playground.resources import PRESETS

PRESET_FILES = sorted(PRESETS.glob("*.json"))


def test_there_is_a_preset_for_each_idea_of_a_first_course():
    titles = " ".join(pick(json.loads(p.read_text())["app"]["title"]).lower() for p in PRESET_FILES)  # English
    for idea in (
        "logistic regression",
        "xor",
        "relu",
        "tanh",
        "sigmoid",
        "overfitting",
        "l2",
        "optimizer",
        "softmax",
        "image",
        "deep",
    ):
        assert idea in titles, idea


@pytest.mark.parametrize("path", PRESET_FILES, ids=[p.stem for p in PRESET_FILES])
def test_preset_trains(path):
    project = load_project(path)
    assert project["app"]["note"]
    tr = Trainer(project)
    tr.fit(2)
    assert tr.epoch >= 1 and tr.history["loss"][-1] is not None


def _test_accuracy(name: str, epochs: int | None = None) -> tuple[float, int]:
    tr = Trainer(load_project(PRESETS / f"{name}.json"))
    tr.fit(epochs)  # None: the project's epochs (or until early stopping)
    return tr.evaluate_split(*tr.data.split("test"))[1], tr.network.count_params()


def test_the_cnn_presets_beat_the_dense_ones_with_fewer_parameters():
    """What their notes promise: the shapes CNN passes the dense net's best after 6 epochs; the
    digits CNN beats the dense preset trained just as long."""
    dense, dense_params = _test_accuracy("10-image-shapes")
    cnn, cnn_params = _test_accuracy("18-cnn-shapes", epochs=6)
    assert cnn > dense + 0.05 and cnn_params < dense_params, (cnn, dense)
    dense, dense_params = _test_accuracy("13-real-digits")
    cnn, cnn_params = _test_accuracy("19-cnn-digits")
    assert cnn > dense and cnn_params < dense_params, (cnn, dense)


def _note(name: str) -> str:
    return pick(json.loads((PRESETS / f"{name}.json").read_text())["app"]["note"])  # English


def test_the_wide_vs_deep_note_counts_parameters_as_the_model_summary_does():
    """Issue 29, item 1: the note said three layers of 6 had fewer parameters than one of 24 (109
    against 97). Every "N units/layers of W (P parameters" in the note is built and summarised."""
    import re

    note = _note("11-wide-vs-deep")
    claims = re.findall(r"(single|three) layers? of (\d+)\D*?\((\d+) parameters(, fewer)?", note)
    assert len(claims) == 2, note
    counts = {}
    for how_many, width, params, fewer in claims:
        project = load_project(PRESETS / "11-wide-vs-deep.json")
        depth = 1 if how_many == "single" else 3
        project["network"]["layers"] = [{"units": int(width), "activation": "tanh", "dropout": 0.0}] * depth
        summary = Trainer(project).network.summary()
        assert f"Total params: {int(params):,} " in summary, (how_many, width, summary)
        counts[how_many] = (int(params), bool(fewer))
    assert counts["three"][1] and counts["three"][0] < counts["single"][0]


def test_the_overfitting_note_says_what_l2_and_dropout_do():
    """Issue 29, item 2: the note offered L2 0.003 or dropout 0.3 as fixes; dropout 0.3 only
    delays the climb. Checked on the preset's seed (what the user sees) and the next (each
    changes the data and the initial weights): without a penalty the test loss ends at least
    twice its lowest; L2 0.01 ends below 0.4 of that and within 1.8x of its own lowest; dropout
    0.3 is lower at epoch 50 and still ends at least twice its lowest. With each consumer's own
    random stream (issue 29) these held on 17 of seeds 0-19; the exceptions: seed 0, where
    dropout's test loss hovered near its lowest (it ended 1.46x that), seed 2 (dropout's loss at
    epoch 50 0.184 against 0.178) and seed 4 (L2 ended 2.04x its lowest). The preset's seed was
    0, the exception: it is 8 now."""
    note = _note("06-overfitting")
    assert "L2 to 0.01" in note and "Dropout 0.3" in note and "only delays" in note

    def curve(seed: int, l2: float = 0.0, dropout: float = 0.0) -> list[float]:
        project = load_project(PRESETS / "06-overfitting.json")
        project["seed"] = seed
        if l2:
            project["training"]["regularization"] = {"kind": "l2", "rate": l2}
        for layer in project["network"]["layers"]:
            layer["dropout"] = dropout
        tr = Trainer(project)
        losses = []
        for epoch in range(1, 301):
            tr.train_epoch()
            if epoch % 10 == 0:
                losses.append(tr.evaluate_split(*tr.data.split("test"))[0])
        return losses  # epochs 10, 20, ..., 300

    first = load_project(PRESETS / "06-overfitting.json")["seed"]
    for seed in (first, first + 1):
        plain, l2, drop = curve(seed), curve(seed, l2=0.01), curve(seed, dropout=0.3)
        assert plain[-1] > 2 * min(plain), (seed, plain)  # overfitting: the test loss turns up
        assert l2[-1] < 0.4 * plain[-1] and l2[-1] < 1.8 * min(l2), (seed, l2, plain)
        assert drop[4] < plain[4], (seed, drop, plain)  # epoch 50: delayed
        assert drop[-1] > 2 * min(drop), (seed, drop)  # but it climbs as well


def test_the_l2_and_early_stopping_note_says_what_its_run_does():
    """Issue 29: preset 06's seed became 8 and every random stream changed, so the note's 'levels
    off near 0.2, where the overfitting preset's climbs past 1' no longer held (0.09 on seed 0,
    and 06's test loss passes 1 only at epoch 434). Preset 07 is on 06's seed, so 'the same 80
    points' is true, and every number of its note is what the engine does."""
    import re

    import numpy as np

    note = _note("07-overfitting-fixed-l2")
    fixed, over = load_project(PRESETS / "07-overfitting-fixed-l2.json"), load_project(PRESETS / "06-overfitting.json")
    assert fixed["seed"] == over["seed"] and f"The same 80 points (seed {over['seed']})" in note
    assert fixed["data"]["validation_fraction"] == 0.2 and "a fifth of the points now held out" in note
    tr, plain = Trainer(fixed), Trainer(over)
    np.testing.assert_array_equal(tr.data.dataset.x, plain.data.dataset.x)
    tr.fit(1000)
    stop, best = map(int, re.search(r"stops at epoch (\d+) with epoch (\d+)'s weights", note).groups())
    assert tr.epoch == stop and f"best at epoch {best} (its weights restored)" in tr.stop_reason
    test = np.array(tr.history.values["test_loss"])
    assert "stays near 0.1" in note and np.all((test > 0.05) & (test < 0.15)), test
    assert 0.08 < tr.evaluate_split(*tr.data.split("test"))[0] < 0.12  # the weights it ends with
    (a, e1), (b, e2) = [(float(x), int(e)) for x, e in re.findall(r"past ([\d.]+) by epoch (\d+)", note)]
    for _ in range(e2):
        plain.train_epoch()
        if plain.epoch == 100:
            rms_plain = float(np.sqrt(np.mean(plain.network.kernel_params**2)))
    climb = np.array(plain.history.values["test_loss"])
    assert climb[e1 - 1] > a and climb[e2 - 1] > b and climb.max() < 1, climb[[e1 - 1, e2 - 1]]
    assert float(np.sqrt(np.mean(tr.network.kernel_params**2))) < 0.5 * rms_plain  # L2 keeps the weights small


def test_the_overfitting_lesson_says_what_each_step_shows_and_only_l2_meets_its_goal():
    """Issue 29: the lesson (on seed 0) suggested L2 '0.003 to 0.03' for a test loss below 0.25
    after epoch 150, which seed 0 met with no L2 at all (0.14 at epoch 150). On 06's seed and data
    (seed 8), step 1 shows what it says, no L2 never meets the goal, every rate it suggests meets it
    at every epoch from 150 to 300, and the rate it calls too weak does not."""
    import re

    import numpy as np

    from engine.project.lessons import check_goal

    project = load_project(PRESETS / "17-lesson-overfitting-and-l2.json")
    over = load_project(PRESETS / "06-overfitting.json")
    assert {k: v for k, v in project.items() if k != "app"} == {k: v for k, v in over.items() if k != "app"}
    first, second = ({**s, "text": pick(s["text"])} for s in project["app"]["lesson"]["steps"])  # English
    goal = second["goal"]
    assert goal == {"metric": "test_loss", "below": 0.25, "after_epoch": 150}
    assert f"stays below {goal['below']}" in second["text"]

    def run(l2: float) -> tuple[np.ndarray, np.ndarray, Trainer]:
        p = load_project(PRESETS / "17-lesson-overfitting-and-l2.json")
        if l2:
            p["training"]["regularization"] = {"kind": "l2", "rate": l2}
        tr = Trainer(p)
        tr.fit(300)
        return np.array(tr.history.values["test_loss"]), np.array(tr.history.values["loss"]), tr

    def met(test: np.ndarray) -> list[bool]:
        return [check_goal(goal, project, {"test_loss": float(test[e - 1])}, e)[0] for e in range(150, 301)]

    test, train, tr = run(0.0)
    assert tr.n_train == 40 and "its 40 points" in first["text"]
    assert "test loss is lowest after the first epoch" in first["text"] and int(np.argmin(test)) == 0
    assert "to about 0.8 by epoch 150" in first["text"] and abs(test[149] - 0.8) < 0.1
    assert "training loss keeps falling towards 0" in first["text"]
    assert train[149] < 0.001 and train[149] < train[49] < train[9]
    assert not any(met(test))  # without L2 the goal is never met
    lo, hi = map(float, re.search(r"a rate from ([\d.]+) to ([\d.]+)", second["text"]).groups())
    for rate in (lo, (lo + hi) / 2, hi):
        assert all(met(run(rate)[0])), rate
    weak = float(re.search(r"at ([\d.]+) the penalty is too weak", second["text"]).group(1))
    assert weak < lo and not all(met(run(weak)[0])) and "drifts back above 0.25" in second["text"]


@functools.cache
def _recurrent_run(name: str, kind: str | None, epochs: int) -> tuple[list[float], list[float], Trainer]:
    """Test loss and step 50's over step 1's gradient through time after each epoch, of a preset
    whose layer 1 becomes `kind` (None: as it is), as its note tells a user to switch. Cached:
    the adding problem's runs are the suite's slowest and the note's test and the lesson's read
    the same ones (tests/conftest.py hands this file out first, in one piece to one xdist worker).
    A caller must not train the returned Trainer on."""
    from playground.run.sequence_probe import TimeProbe

    project = load_project(PRESETS / f"{name}.json")
    if kind is not None:
        project["network"]["layers"][0]["type"] = kind
    tr, probe = Trainer(project), TimeProbe()
    losses, ratios = [], []
    for _ in range(epochs):
        tr.train_epoch()
        losses.append(tr.evaluate_split(*tr.data.split("test"))[0])
        norms = probe.measure(tr).layers[0].norms
        ratios.append(float(norms[-1] / norms[0]))
    return losses, ratios, tr


def test_the_adding_problem_note_says_what_a_simple_rnn_and_an_lstm_do():
    """Issue 30: the SimpleRNN stays near the trivial loss, the LSTM solves it; every number of
    the note is measured here (test loss and step 1's share of step 50's gradient, epoch by epoch)."""
    import numpy as np

    note = _note("22-adding-problem-simplernn-vs-lstm")
    project = load_project(PRESETS / "22-adding-problem-simplernn-vs-lstm.json")
    assert project["data"]["sequence_length"] == 50 and project["network"]["layers"][0] == {
        "type": "simple_rnn", "units": 16, "activation": "tanh", "return_sequences": False}  # fmt: skip
    tr = Trainer(project)
    assert "(0.171 on this test split)" in note and abs(np.var(tr.data.y_test) - 0.171) < 5e-4
    losses, ratios, _ = _recurrent_run("22-adding-problem-simplernn-vs-lstm", None, 20)
    assert "stays between 0.16 and 0.19 for 20 epochs (1,000 steps)" in note
    assert all(0.16 < v < 0.19 for v in losses), losses
    assert "mostly between 1/10,000 and 1/10,000,000" in note
    assert np.mean([1e4 <= r <= 1e7 for r in ratios]) > 0.5 and min(ratios) > 100, ratios
    losses, ratios, _ = _recurrent_run("22-adding-problem-simplernn-vs-lstm", "lstm", 10)
    assert "sits near 0.17 for 7 epochs, then learns (test loss 0.0075 at epoch 10)" in note
    assert all(v > 0.16 for v in losses[:7]) and round(losses[9], 4) == 0.0075, losses
    assert "from about 1/100,000 to about 1/10" in note
    assert all(3e4 < r < 1e6 for r in ratios[:6]) and 5 < ratios[9] < 20, ratios


def test_the_sine_note_says_what_the_lstm_and_its_continuation_do():
    import re

    import numpy as np

    from playground.run.sequence_probe import sequence_picture

    note = _note("23-continue-a-sine-wave")
    tr = Trainer(load_project(PRESETS / "23-continue-a-sine-wave.json"))
    assert "Always answering 0 scores an MSE of about 0.5" in note and abs(np.mean(tr.data.y_test**2) - 0.5) < 0.05
    losses, _ratios, tr = _recurrent_run("23-continue-a-sine-wave", None, 10)
    assert "its test loss is 0.0043 at epoch 4 and 0.0009 at epoch 10" in note
    assert round(losses[3], 4) == 0.0043 and round(losses[9], 4) == 0.0009, losses
    errors = np.mean([np.abs(p.continuation - p.truth) for p in (sequence_picture(tr, int(row))
                                                                   for row in tr.data.test[:50])], axis=0)  # fmt: skip
    first, sixth, last = map(float, re.search(r"([\d.]+) off on average at the first step it continues, ([\d.]+) by "
                                               r"the sixth, ([\d.]+) by the twentieth", note).groups())  # fmt: skip
    assert (round(errors[0], 2), round(errors[5], 1), round(errors[19], 1)) == (first, sixth, last), errors
    assert "A SimpleRNN learns this short memory too" in note and "0.0019 at epoch 10" in note
    losses, _ratios, _ = _recurrent_run("23-continue-a-sine-wave", "simple_rnn", 10)
    assert round(losses[9], 4) == 0.0019, losses


def test_the_adding_lesson_is_the_adding_preset_and_its_goals_tell_the_two_apart():
    """The lesson's network and data are preset 21's; its first goal (the SimpleRNN stuck above
    0.15 from epoch 5) is met by the SimpleRNN, its third (test loss below 0.05) only by the LSTM."""
    from engine.project.lessons import check_goal

    lesson = load_project(PRESETS / "24-lesson-adding-problem.json")
    preset = load_project(PRESETS / "22-adding-problem-simplernn-vs-lstm.json")
    assert {k: v for k, v in lesson.items() if k != "app"} == {k: v for k, v in preset.items() if k != "app"}
    steps = [{**s, "text": pick(s["text"])} for s in lesson["app"]["lesson"]["steps"]]  # English
    stuck, learns = steps[0]["goal"], steps[2]["goal"]
    assert "change layer 1's type to LSTM" in steps[2]["text"] and "about a tenth" in steps[3]["text"]
    # The first 10 epochs of the note's 20-epoch run: the same seed, the same steps.
    losses, _ratios, tr = _recurrent_run("22-adding-problem-simplernn-vs-lstm", None, 20)
    losses, train = losses[:10], list(tr.history.values["loss"])[:10]
    assert len(train) == 10 and all(check_goal(stuck, lesson, {"loss": train[e - 1]}, e)[0] for e in range(5, 11))
    assert not any(check_goal(learns, lesson, {"test_loss": v}, e + 1)[0] for e, v in enumerate(losses))
    losses, _ratios, _ = _recurrent_run("22-adding-problem-simplernn-vs-lstm", "lstm", 10)
    assert check_goal(learns, lesson, {"test_loss": losses[9]}, 10)[0]


@pytest.mark.parametrize("path", PRESET_FILES, ids=[p.stem for p in PRESET_FILES])
def test_every_preset_and_lesson_is_bilingual(path):
    """Issue 34: a preset's title, note and lesson steps are in English and Korean; the Korean keeps
    the English's numbers (a translation that drops or changes a figure is caught here)."""
    import re

    app = load_project(path)["app"]
    texts = [app["title"], app["note"], *(s["text"] for s in app.get("lesson", {}).get("steps", []))]
    for text in texts:
        assert isinstance(text, dict) and set(text) == {"en", "ko"}, text
        assert re.search(r"[\uac00-\ud7a3]", text["ko"]) and not re.search(r"[\uac00-\ud7a3]", text["en"]), text
        figures = lambda s: sorted(re.findall(r"\d[\d,.]*\d|\d", s))  # noqa: E731
        korean = re.sub(r"\d+분의 1", "", text["ko"])  # "a fifth" is written 5분의 1
        assert figures(korean) == figures(text["en"]), (figures(text["en"]), figures(korean))

"""The catalog (issue 34): the language the environment gives, the Korean catalog complete and
current for every message marked so far, placeholders and menu accelerators kept, the glossary's
terms used, the CLI in Korean, and project texts in several languages."""

import gettext
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.core import i18n
from engine.core.i18n import _, ngettext, pick, term

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
#: The markers Babel extracts (dev.py's KEYWORDS, as babel.messages.extract takes them).
KEYWORDS = {"_": None, "N_": None, "term": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:![rsa])?(?::[^{}]*)?\}")  # a named field: {name!r:,}


@pytest.fixture
def korean():
    """The catalog in Korean for one test, English again after it."""
    i18n.install("ko", english_terms=False)
    yield
    i18n.install("en", english_terms=False)


def extracted() -> dict[str | tuple[str, str], None]:
    """Every message marked in engine/ and playground/, as Babel extracts it (python3 dev.py i18n)."""
    from babel.messages.extract import extract_from_dir

    found: dict[str | tuple[str, str], None] = {}
    for folder in ("engine", "playground"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found[message] = None
    return found


def korean_catalog():
    from babel.messages.pofile import read_po

    with (I18N / "ko.po").open("rb") as f:
        return read_po(f, locale="ko")


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "ko_KR.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),  # LC_ALL overrides LANG, as gettext reads it
        ({"LANG": "C", "LC_MESSAGES": "ko_KR.UTF-8"}, "ko"),
        ({"LANGUAGE": "ko:en", "LANG": "C"}, "ko"),
    ],
)
def test_the_language_follows_the_environment(env, lang):
    assert i18n.language_from_env(env) == lang


def test_korean_messages_plurals_and_terms(korean):
    assert i18n.language() == "ko" and _("&File") == "파일(&F)"
    assert _("a message no catalog has") == "a message no catalog has"  # falls back to English
    one = ngettext("{count} row saved to {path}", "{count} rows saved to {path}", 1).format(count=1, path="a.csv")
    many = ngettext("{count} row saved to {path}", "{count} rows saved to {path}", 5).format(count=5, path="a.csv")
    assert one == "1개 행을 a.csv에 저장했습니다" and many == "5개 행을 a.csv에 저장했습니다"
    assert term("learning rate") == "학습률"
    i18n.install("ko", english_terms=True)
    assert term("learning rate") == "학습률 (learning rate)" and i18n.english_terms()
    assert _("learning rate") == "학습률"  # a sentence never gets the English beside it, only a term
    i18n.install("en")
    assert term("learning rate") == "learning rate"  # nothing to add in English
    one = ngettext("{count} row saved to {path}", "{count} rows saved to {path}", 1).format(count=1, path="a.csv")
    assert one == "1 row saved to a.csv"


def test_the_pseudo_locale_wraps_every_marked_message():
    try:
        assert i18n.install("pseudo") == "pseudo"
        assert _("&File") == "⟦&File⟧" and term("learning rate") == "⟦learning rate⟧"
        assert _("not marked anywhere") == "not marked anywhere"  # what the window check catches
        assert ngettext("{epochs} epoch, {steps} steps in {seconds}s", "{epochs} epochs, {steps} steps in {seconds}s",
                        2) == "⟦{epochs} epochs, {steps} steps in {seconds}s⟧"  # fmt: skip
    finally:
        i18n.install("en")


def test_a_project_text_in_several_languages(korean):
    assert pick({"en": "Spiral", "ko": "나선"}) == "나선"
    assert pick({"en": "Spiral"}) == "Spiral"  # no Korean: English
    assert pick({"fr": "Spirale"}) == "Spirale" and pick("Spiral") == "Spiral" and pick(3) == "3"
    i18n.install("en")
    assert pick({"en": "Spiral", "ko": "나선"}) == "Spiral"


def test_the_korean_catalog_has_every_marked_message_translated_and_nothing_stale():
    found = extracted()
    catalog = korean_catalog()
    entries = {m.id: m for m in catalog if m.id}
    untranslated = [m.id for m in entries.values() if not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in entries.values() if m.fuzzy]
    missing = [k for k in found if k not in entries]
    stale = [k for k in entries if k not in found]
    assert not missing, f"marked but not in ko.po (run python3 dev.py i18n, then translate): {missing}"
    assert not untranslated, f"untranslated in ko.po: {untranslated}"
    assert not fuzzy, f"fuzzy (check and clear the flag): {fuzzy}"
    assert not stale, f"in ko.po but no longer in the code (run python3 dev.py i18n): {stale}"
    assert catalog.plural_forms == "nplurals=1; plural=0;"


def template(message: str, names: list[str]) -> bool:
    """Whether `message` is formatted with its named fields (a formula's braces, Σ_{j ≠ y_i}, are not)."""
    try:
        message.format(**dict.fromkeys(names, 1))
    except (KeyError, IndexError, ValueError):
        return False
    return bool(names)


def test_translations_keep_placeholders_and_accelerators():
    for m in korean_catalog():
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = sorted(set(PLACEHOLDER.findall(ids[-1])))
        for text in strings:
            assert sorted(set(PLACEHOLDER.findall(text))) == wanted, (m.id, text)
            if template(ids[-1], wanted):  # the translation formats too (a stray brace would raise)
                text.format(**dict.fromkeys(wanted, 1))
            if re.search(r"&\w", ids[0]):  # a menu's accelerator: exactly one, a letter in brackets
                assert len(re.findall(r"&\w", text)) == 1 and re.search(r"\(&[A-Z]\)", text), (m.id, text)


def test_the_compiled_catalogs_are_current():
    """ko.mo holds exactly ko.po's translations, and pseudo.mo wraps every message (python3 dev.py i18n)."""
    catalog = korean_catalog()
    with (I18N / "ko.mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    with (I18N / "pseudo.mo").open("rb") as f:
        pseudo = gettext.GNUTranslations(f)
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            assert mo.ngettext(*m.id, 2) == m.string[0]
            assert pseudo.ngettext(*m.id, 1) == f"⟦{m.id[0]}⟧" and pseudo.ngettext(*m.id, 2) == f"⟦{m.id[1]}⟧"
        else:
            assert mo.gettext(m.id) == m.string, m.id
            assert pseudo.gettext(m.id) == f"⟦{m.id}⟧"
    assert len(mo._catalog) == len([m for m in catalog if m.id]) + 1  # + the header


def test_the_glossary_terms_are_the_ones_translated():
    """A message that is a glossary term on its own is translated as the glossary says (case aside)."""
    rows = [line.split("\t") for line in (I18N / "glossary.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    glossary = {english.lower(): korean for english, korean, *_rest in rows}
    assert len(glossary) == len(rows) >= 50 and all(glossary.values())
    checked = 0
    for m in korean_catalog():
        if isinstance(m.id, str) and m.id.lower() in glossary:
            assert m.string == glossary[m.id.lower()], (m.id, m.string, glossary[m.id.lower()])
            checked += 1
    assert checked >= 10


def _cli(*args: str, lang: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANGUAGE"))}
    env.update(LANG=lang, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)  # fmt: skip


def test_the_cli_follows_lang(tmp_path):
    missing = str(tmp_path / "missing.json")
    korean = _cli("train", missing, lang="ko_KR.UTF-8")
    assert korean.returncode == 2 and korean.stderr.strip() == f"nn-playground: {missing}: 그런 파일이 없습니다"
    english = _cli("train", missing, lang="C.UTF-8")
    assert english.returncode == 2 and english.stderr.strip() == f"nn-playground: {missing}: no such file"
    helped = _cli("train", "--help", lang="ko_KR.UTF-8")
    assert helped.returncode == 0 and helped.stdout.startswith("사용법: nn-playground train")
    assert "학습할 에폭 수" in helped.stdout and "옵션:" in helped.stdout
    bad = _cli("train", "01-logistic-regression", "--epochs", "-1", lang="ko_KR.UTF-8")
    assert bad.returncode == 2 and "--epochs는 0부터" in bad.stderr


def test_project_texts_in_several_languages_are_validated(tmp_path):
    from engine import PlaygroundError
    from engine.project import normalize_project

    base = {"format": "nn-playground/1"}
    project = normalize_project({**base, "app": {"title": {"en": "Spiral", "ko": "나선"}, "note": "Plain."}})
    assert project["app"]["title"] == {"en": "Spiral", "ko": "나선"} and project["app"]["note"] == "Plain."
    lesson = {"steps": [{"text": {"en": "Press play.", "ko": "재생을 누르세요."}}]}
    assert normalize_project({**base, "app": {"lesson": lesson}})["app"]["lesson"]["steps"][0]["text"]["ko"]
    for app, words in [
        ({"title": {}}, "app.title must be a text or an object of languages"),
        ({"title": {"en": 3}}, "app.title.en must be a text"),
        ({"note": {"english": "x"}}, "'english' is not a language code"),
        ({"lesson": {"steps": [{"text": {"ko": " "}}]}}, "app.lesson.steps[0].text.ko must be a text"),
    ]:
        with pytest.raises(PlaygroundError, match=re.escape(words)):
            normalize_project({**base, "app": app})


def registry_texts() -> dict[str, str]:
    """Every text the engine's tables give the user to read, by where it comes from: each data set's
    name and note, the downloadable sets' names, the normalisation and split words, each field's
    label, help and choice words, each layer key's label, help and control words."""
    from engine.core.layers import LAYERS
    from engine.data import DATASETS
    from engine.data.dataset import SPLITS
    from engine.data.downloads import REMOTE_SETS
    from engine.data.features import NORMALIZATION_WORDS
    from engine.data.folders import COLOR_WORDS
    from engine.project.fields import FIELDS

    texts = {}
    for name in DATASETS.names():
        info = DATASETS.get(name)
        texts |= {f"data set {name} title": info.title, f"data set {name} note": info.note}
    texts |= {f"remote set {name}": REMOTE_SETS.get(name).title for name in REMOTE_SETS.names()}
    texts |= {f"normalisation {k}": v for k, v in NORMALIZATION_WORDS.items()}
    texts |= {f"split {k}": v for k, v in SPLITS.items()} | {f"colour {k}": v for k, v in COLOR_WORDS.items()}
    for f in FIELDS:
        if not f.path.startswith(("training.optimizer.", "training.schedule.")) or f.name in ("name", "*"):
            texts[f"{f.path} label"] = f.label  # an optimizer's or schedule's own keys are their registries'
        texts |= {f"{f.path} help": f.help} if f.help else {}
        texts |= {f"{f.path} choice {choice}": words for choice, words in f.names}
    for kind in LAYERS.names():
        for key in LAYERS.get(kind).keys:
            texts |= {f"{kind}.{key.name} label": key.label, f"{kind}.{key.name} help": key.help}
            texts |= {f"{kind}.{key.name} shown": key.shown} if re.search("[a-z]{2}", key.shown) else {}
    return texts


def test_the_engines_tables_give_only_texts_the_catalog_has():
    """A data set, field or layer key added with its words not marked (N_) shows English in a Korean
    window and CLI: every text of the engine's tables must be an extracted message."""
    messages = extracted()
    texts = registry_texts()
    assert len(texts) > 120
    missing = [f"{where}: {text!r}" for where, text in texts.items() if text not in messages]
    assert not missing, "\n".join(missing)


def test_the_engines_texts_in_korean(korean):
    from engine.data import DATASETS
    from engine.data.features import scale_advice
    from engine.project.fields import humanize, label

    assert DATASETS.words("spiral") == "나선"
    assert _(DATASETS.get("spiral").note) == "서로 맞물린 나선 팔 (클래스 2~6개)."
    assert label("network.layers.1.units") == "2번 층의 뉴런 수"
    assert label("network.layers[].dropout") == "모든 층의 드롭아웃"
    assert label("data.noise") == "잡음" and label("network.layers.0") == "은닉층"
    assert humanize("network.layers[0].units must be >= 1") == "1번 층의 뉴런 수 must be >= 1"  # the path, in words
    advice = scale_advice(np.column_stack([np.linspace(0, 1000, 50), np.linspace(0, 1, 50)]), ["proline", "hue"])
    assert advice.startswith("입력 열들의 크기 차이가 큽니다: 'proline'은(는) 0부터 1,000까지인데 'hue'은(는) "
                             "0에서 1 사이")


def test_the_engines_texts_in_english():
    """English, the default, reads as it always did (the words are the catalog's message ids)."""
    from engine.project.fields import humanize, label

    assert label("network.layers.1.units") == "layer 2 neurons" and label("network.layers[].dropout") == (
        "every layer's dropout")
    assert humanize("network.layers[0].units must be >= 1") == "layer 1 neurons must be >= 1"


def test_the_model_summary_in_korean_lines_up(tmp_path):
    """`nn-playground summary` under LANG=ko_KR.UTF-8: Keras's headings and totals in Korean, the
    columns still lined up in a terminal (a Hangul letter takes two columns)."""
    from engine.core.numbers import cells

    done = _cli("summary", "19-cnn-digits", lang="ko_KR.UTF-8")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    head = next(line for line in lines if line.startswith("층 (종류)"))
    row = next(line for line in lines if line.startswith("output (Dense, softmax)"))
    assert "출력 형태" in head and head.endswith("파라미터 수") and "전체 파라미터: 1,370 (10.70 KB)" in lines
    assert cells(head) == cells(row) == len(lines[1])  # the params column ends where the rule does
    assert cells(head[: head.index("출력 형태")]) == row.index("(None, 10)")
    assert "Layer (type)" in _cli("summary", "19-cnn-digits", lang="C.UTF-8").stdout


def test_the_backprop_walks_words_in_korean(korean):
    """A layer's own account of its backward pass (the walk's panel) and a weight's two notations read
    in Korean; the numbers and formulas in them stay as they are."""
    from engine.core.layers import MaxPooling2D
    from engine.core.notation import weight_names

    pool = MaxPooling2D(pool_size=2)
    pool.forward(np.arange(16.0).reshape(1, 4, 4, 1))
    step = pool.trace(np.ones((2, 2, 1)), 0, None)
    words = MaxPooling2D.routing_words(step, 0)
    assert words[0].startswith("최대 풀링 2×2, 맵 1: 각 출력은 자기 2×2 윈도우에서 가장 큰 값입니다.")
    assert words[1] == "  출력 (0, 0) = max[0, 1, 4, 5] = 입력 (1, 1)의 5: 그곳의 ∂L/∂x = δ 1, 나머지 3개는 0"
    assert weight_names(1, 0, 1) == "Keras: kernel[0, 1] (0부터: 행 = 입력, 열 = 유닛) · Ng: W[1] 2행 1열"


def test_the_gradient_check_table_in_korean_lines_up(korean):
    """The gradient check's table (the dialog's, a terminal's): Korean headings and array names, the
    numbers still ending under their headings although a Hangul letter takes two columns."""
    from engine import check_gradients, get_loss
    from engine.core.model import build_model
    from engine.core.numbers import cells

    net = build_model((2,), [{"units": 3, "activation": "tanh"}], 1, "sigmoid", seed=0)
    rng = np.random.default_rng(0)
    report = check_gradients(net, rng.normal(size=(4, 2)), np.array([0, 1, 1, 0]), get_loss("binary_crossentropy"))
    head, *rows = report.table().splitlines()
    assert head.startswith("배열") and "최대 상대 오차" in head and head.endswith("검사한 수")
    assert "‖a−n‖/(‖a‖+‖n‖)" in head  # the formula stays a formula
    assert [r.split("  ")[0].strip() for r in rows] == ["층 1 kernel", "층 1 bias", "출력층 kernel", "출력층 bias"]
    ends = [cells(head[: head.index(h) + len(h)]) for h in ("최대 상대 오차", "‖a−n‖/(‖a‖+‖n‖)")]
    assert ends == [34, 54]
    for row, a in zip(rows, report.arrays):
        max_text, norm_text = row.split()[-3:-1]
        assert cells(row[: row.index(max_text) + len(max_text)]) == ends[0], row
        assert cells(row[: row.rindex(norm_text) + len(norm_text)]) == ends[1], row
        assert row.endswith(f"{a.checked}/{a.size}")
    i18n.install("en")  # English: the table as it always was, to the character
    head, *rows = report.table().splitlines()
    assert head == f"{'array':<18}{'max rel. error':>16}{'‖a−n‖/(‖a‖+‖n‖)':>20}{'checked':>12}"
    assert rows[2].startswith(f"{'output kernel':<18}")


def test_a_divergence_and_the_race_lane_say_it_in_korean(korean):
    """Training's divergence in Korean with the optimizer named as the control bar names it (모멘텀, not
    "Momentum"), and a race lane's status is the same headline (once cut at the English ". The last")."""
    from helpers import project

    from engine.run.training import Diverged, Trainer
    from engine.teaching.race import Race

    p = project(data={"source": "plane", "problem": "regression"},
                network={"layers": [{"units": 8, "activation": "relu"}], "output_activation": "linear"},
                training={"loss": "mse", "optimizer": {"name": "momentum", "learning_rate": 100}})  # fmt: skip
    trainer = Trainer(p)
    with pytest.raises(Diverged) as caught:
        for __ in range(50):
            trainer.train_batch()
    headline = "에폭 1, 스텝 5에서 학습이 발산했습니다: 손실이 무한대가 되었습니다"
    assert caught.value.headline == headline and str(caught.value) == trainer.diverged
    assert str(caught.value) == (f"{headline}. 마지막 유한한 가중치를 남겼습니다. 이 문제에서 학습률 100은(는) "
                                 "모멘텀에 너무 큽니다. 10 이하로 해 보세요.")
    race = Race(p, [{"name": "momentum", "learning_rate": 100}, {"name": "adam"}])
    for __ in range(10):
        race.step()
    assert race.lanes[0].message == headline and race.lanes[1].running


def test_the_engines_other_messages_in_korean(korean, tmp_path):
    """Messages once glued from English words: a data file or folder not found, a registry's kind,
    a link too long, a text in another language than the user's (a bilingual lesson's step)."""
    from engine import PlaygroundError
    from engine.project.links import _too_long
    from engine.run.build import resolve_path
    from engine.teaching.surfaces import SURFACES

    with pytest.raises(PlaygroundError, match="^데이터 파일 'nope.csv'를 찾지 못했습니다"):
        resolve_path("nope.csv", tmp_path)
    with pytest.raises(PlaygroundError, match="^데이터 폴더 'nope'를 찾지 못했습니다"):
        resolve_path("nope", tmp_path, folder=True)
    with pytest.raises(PlaygroundError, match=r"^알 수 없는 곡면 'nowhere'\. "):
        SURFACES.get("nowhere")
    project = {"data": {"source": "spiral"}}
    assert _too_long(project, 9000, more=True).startswith("이 프로젝트는 링크로 만들기에 너무 큽니다: 9,000자가 넘는데")
    assert i18n.in_language("Step {number}", "en") == "Step {number}"
    assert i18n.in_language("Step {number}", "ko") == "{number}단계" == _("Step {number}")
    i18n.install("en")
    assert i18n.in_language("Step {number}", "ko") == "{number}단계" and _("Step {number}") == "Step {number}"
    assert _too_long(project, 9000, more=True).startswith("this project is too big for a link: it would be more than "
                                                          "9,000 characters")


def test_the_cli_says_a_missing_data_file_and_a_divergence_in_korean(tmp_path):
    """`LANG=ko_KR.UTF-8 nn-playground train` on a project whose data file is missing, and on one that
    diverges: the user's language from the first word to the last."""
    (tmp_path / "nodata.json").write_text('{"format": "nn-playground/1", "data": {"source": {"csv": "nope.csv"}}}')
    done = _cli("train", str(tmp_path / "nodata.json"), lang="ko_KR.UTF-8")
    assert done.returncode == 2 and "데이터 파일 'nope.csv'를 찾지 못했습니다" in done.stderr, done.stderr
    assert "data file" not in done.stderr
    diverging = {"format": "nn-playground/1", "data": {"source": "plane", "problem": "regression"},
                 "network": {"layers": [{"units": 8, "activation": "relu"}], "output_activation": "linear"},
                 "training": {"loss": "mse", "epochs": 3, "optimizer": {"name": "momentum", "learning_rate": 100}}}
    (tmp_path / "fast.json").write_text(json.dumps(diverging))
    done = _cli("train", str(tmp_path / "fast.json"), lang="ko_KR.UTF-8")
    assert done.returncode == 1, done.stderr
    assert "학습이 발산했습니다: 손실이 무한대가 되었습니다. 마지막 유한한 가중치를 남겼습니다." in done.stderr
    assert "학습률 100은(는) 모멘텀에 너무 큽니다" in done.stderr and "Training" not in done.stderr


def test_what_shows_only_while_training_is_korean(korean):
    """Texts the pseudo-locale check cannot see on a still window: the output legend's colour names,
    the gradient-through-time verdict, a run's label and summary, the batch-size tip."""
    import numpy as np

    from playground.colors import class_color_name, color_name, layer_color
    from playground.panels.output_view import plane_rgb
    from playground.run.batch_rules import control_tip
    from playground.run.runs import Run
    from playground.run.sequence_probe import LayerGradient, TimeGradient

    assert [class_color_name(c, 2) for c in (0, 1)] == ["주황", "파랑"] and color_name(layer_color(6)) == "청록"
    legend = plane_rgb(np.zeros((3, 3, 1)), "classification", 0.5, "sigmoid")[1]
    assert legend == "주황: 클래스 0 · 파랑: 클래스 1 · 진하기: 확신도"
    forgets = LayerGradient(0, "층 1", "SimpleRNN", "simple_rnn", np.array([1e-4, 1e-2, 1.0]))
    assert TimeGradient((forgets,), 8, 10).verdict() == ("스텝 1은 스텝 3 기울기의 1/10,000를 받습니다: SimpleRNN은 "
                                                         "잊어버립니다. LSTM(또는 GRU)을 써 보세요.")  # fmt: skip
    project = {"training": {"optimizer": {"name": "sgd", "learning_rate": 0.1}, "loss": "mse",
                            "regularization": {"kind": "none", "rate": 0}},
               "network": {"layers": []}, "data": {"source": {"csv": "my.csv"}}}  # fmt: skip
    run = Run(3, project, "12:00", 1)
    assert run.label == "실행 3" and "은닉층 없음" in run.summary() and "csv 파일" in run.summary()
    assert control_tip(4, "BN") == " 여기서는 4 이상이어야 합니다: BN." and control_tip(1, "") == ""
    i18n.install("en")
    assert class_color_name(0, 2) == "orange" and Run(3, project, "12:00", 1).label == "Run 3"
    assert TimeGradient((forgets,), 8, 10).verdict().startswith("Step 1 gets 1/10,000 of step 3's gradient")


def test_the_window_commands_help_and_hints_follow_lang():
    """render's and record's help, the window command's usage and an unknown command's hint in Korean."""
    render = _cli("render", "--help", lang="ko_KR.UTF-8")
    assert render.returncode == 0 and render.stdout.startswith("사용법: nn-playground render"), render.stdout
    assert "창의 뷰 하나를 화면 밖에서" in render.stdout and "OUT.png 또는 OUT.svg" in render.stdout
    usage = _cli("--help", lang="ko_KR.UTF-8")
    assert usage.returncode == 0 and usage.stdout.startswith("사용법: nn-playground [PROJECT.json | PRESET] [--play]")
    assert "창 없이 뷰 하나를 PNG 또는 SVG 그림으로" in usage.stdout  # render's line in the commands' list
    typo = _cli("rendr", lang="ko_KR.UTF-8")
    assert typo.returncode == 2 and typo.stderr.strip() == ("nn-playground: 알 수 없는 명령 'rendr'입니다. "
                                                            "'render'을(를) 말씀하셨나요?")  # fmt: skip
    bad = _cli("render", "01-logistic-regression", "--view", "outptu", "--out", "x.png", lang="ko_KR.UTF-8")
    assert bad.returncode == 2 and "'outptu'(이)라는 뷰는 없습니다. 'output'을(를) 말씀하셨나요?" in bad.stderr
    english = _cli("rendr", lang="C.UTF-8")
    assert english.stderr.strip() == "nn-playground: unknown command 'rendr'; did you mean 'render'?"

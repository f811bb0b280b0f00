"""Image folders as data (one subfolder per class, as Keras's image_dataset_from_directory reads
them): the bundled digits written as PNG files train exactly as the bundled set; bad files are left
out and named, a mostly bad folder is refused; every budget refuses before decoding."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from folder_images import header_only_png, stripes, write_classes, write_png
from helpers import project
from PIL import Image

from engine import PlaygroundError
from engine.data import folders, loaders
from engine.data.folders import MAX_IMAGE_PIXELS, list_image_folder, load_image_folder
from engine.project import load_dataset, normalize_project
from engine.project.links import data_files
from engine.run.training import Trainer

ROOT = Path(__file__).resolve().parents[1]


def _folder_source(path, size=(8, 8), color="grayscale"):
    return {"folder": str(path), "size": list(size), "color": color}


# ----------------------------------------------------------------- the bundled digits as PNG files
@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """The bundled digits (in the order the project's seed draws them) as 8-bit PNGs in one folder
    per digit. Pixels 0..16 are written ×15 (0..240): exact in 8 bits, and v·15/240 is v/16 to the
    last bit, so 'unit' normalisation gives the bundled set's very inputs."""
    bundled = project(
        seed=3,
        data={"source": "digits", "normalize": "unit", "test_fraction": 0.5},
        network={"layers": [{"units": 16, "activation": "relu"}], "output_activation": "softmax"},
        training={"loss": "categorical_crossentropy", "optimizer": {"name": "adam", "learning_rate": 0.01},
                  "batch_size": 2000},
    )
    ds = load_dataset(bundled)
    root = tmp_path_factory.mktemp("digits") / "digits"
    names = write_classes(root, (ds.x.reshape(-1, 8, 8) * 15).astype(np.uint8), ds.y)
    from_folder = copy.deepcopy(bundled)
    from_folder["data"]["source"] = _folder_source(root)
    return bundled, normalize_project(from_folder), ds, root, names


def test_the_digits_read_back_exactly_with_keras_class_names_and_file_names(digits):
    _bundled, from_folder, ds, _root, names = digits
    got = load_dataset(from_folder)
    assert got.class_names == [str(d) for d in range(10)] and got.classes == 10
    assert got.image_shape == (8, 8) and got.name == "digits"
    assert got.sample_names == sorted(names)  # class by class, then by file name (Keras's order)
    rows = np.array([int(n.split("/")[1][:5]) for n in got.sample_names])
    np.testing.assert_array_equal(got.x, ds.x[rows] * 15)
    np.testing.assert_array_equal(got.y, ds.y[rows])
    assert got.notes == ["digits: 1,797 images in 10 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9) read as 8×8 grayscale"]


def test_the_digits_folder_trains_as_the_bundled_set_with_the_same_split_and_seed(digits):
    """The same seed puts the same images in each split (the split draws per class, and each class
    keeps the bundled order) and gives the same initial weights. Full-batch steps make the file
    order matter only to rounding (the folder lists rows class by class, the bundled set draws them
    in a random order), so the losses agree to 1e-9 and the accuracies exactly. With mini-batches
    the two orders make different batches: equally good, not equal."""
    bundled, from_folder, _ds, _root, _names = digits
    a, b = Trainer(bundled), Trainer(from_folder)
    rows = np.array([int(n.split("/")[1][:5]) for n in b.data.dataset.sample_names])
    for split in ("train", "test"):
        assert sorted(rows[getattr(b.data, split)]) == sorted(getattr(a.data, split))
    np.testing.assert_array_equal(np.sort(a.data.x_test, axis=0), np.sort(b.data.x_test, axis=0))
    assert b.data.normalizer.scale == 240 and a.data.normalizer.scale == 16
    np.testing.assert_array_equal(a.network.get_weights()[0], b.network.get_weights()[0])
    a.fit(40)
    b.fit(40)
    ra, rb = a.evaluate(), b.evaluate()
    assert ra["test"]["accuracy"] > 0.85
    assert ra["test"]["accuracy"] == rb["test"]["accuracy"]
    assert ra["train"]["accuracy"] == rb["train"]["accuracy"]
    assert abs(ra["test"]["loss"] - rb["test"]["loss"]) < 1e-9
    bundled, from_folder = copy.deepcopy(bundled), copy.deepcopy(from_folder)
    for p in (bundled, from_folder):
        p["training"]["batch_size"] = 32
    a, b = Trainer(bundled), Trainer(from_folder)
    a.fit(15)
    b.fit(15)
    acc_a, acc_b = a.evaluate()["test"]["accuracy"], b.evaluate()["test"]["accuracy"]
    assert acc_a > 0.9 and acc_b > 0.9 and abs(acc_a - acc_b) < 0.03


def test_the_cli_trains_on_a_folder_named_relative_to_the_project_file(digits, tmp_path):
    bundled, _from_folder, _ds, root, _names = digits
    raw = json.loads(json.dumps(bundled))
    raw["data"]["source"] = {"folder": "../" + root.name, "size": [8, 8], "color": "grayscale"}
    work = root.parent / "projects"
    work.mkdir(exist_ok=True)
    (work / "digits.json").write_text(json.dumps(raw))
    done = subprocess.run([sys.executable, "-m", "playground", "train", str(work / "digits.json"), "--epochs", "3"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "note: digits: 1,797 images in 10 classes" in done.stdout
    assert "3 epochs" in done.stdout and "test" in done.stdout
    # A folder that is not there is named with where it was looked for.
    raw["data"]["source"]["folder"] = "missing"
    (work / "missing.json").write_text(json.dumps(raw))
    done = subprocess.run([sys.executable, "-m", "playground", "train", str(work / "missing.json")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode != 0 and f"data folder 'missing' not found (looked at {work / 'missing'})" in done.stderr


# ----------------------------------------------------------------- bad files
def test_bad_files_are_left_out_and_named_and_the_rest_is_read(tmp_path):
    root = tmp_path / "pets"
    images, labels = stripes(16, 2)
    write_classes(root, images, labels, ["cats", "dogs"])
    write_png(root / "cats" / "indoor" / "sofa.png", images[0])  # nested: read, as Keras does
    good = (root / "dogs" / "00001.png").read_bytes()
    (root / "dogs" / "broken.png").write_bytes(good[: len(good) // 2])  # cut short
    (root / "dogs" / "fake.jpg").write_text("not a picture")
    header_only_png(root / "cats" / "huge.png", 20_000, 20_000)  # Pillow's own bomb check refuses it
    header_only_png(root / "cats" / "large.png", 9_000, 8_000)  # under Pillow's limit, over ours
    (root / "cats" / "notes.txt").write_text("a cat")
    (root / "cats" / ".DS_Store").write_bytes(b"\0")
    (root / "labels.csv").write_text("x")  # beside the class folders
    (root / "birds").mkdir()  # an empty class
    ds = load_image_folder(root, (8, 8), "grayscale")
    assert ds.class_names == ["cats", "dogs"] and ds.n == 17
    # Keras's order: a class folder's own files by name, then each subfolder's.
    assert ds.sample_names[:9] == [f"cats/{i:05d}.png" for i in range(0, 16, 2)] + ["cats/indoor/sofa.png"]
    assert "dogs/broken.png" not in ds.sample_names
    np.testing.assert_array_equal(ds.x[ds.sample_names.index("cats/indoor/sofa.png")], images[0].ravel())
    summary, bad, empty, others = ds.notes
    assert summary.startswith("pets: 17 images in 2 classes (cats, dogs)")
    assert bad.startswith("pets: 4 image files could not be read and were left out: ")
    assert "cats/huge.png (its header claims 400,000,000 pixels, more than the 67,108,864" in bad
    assert f"cats/large.png (its header claims 9,000×8,000 pixels, more than the {MAX_IMAGE_PIXELS:,}" in bad
    assert "dogs/broken.png (the image is cut short (truncated))" in bad
    assert "dogs/fake.jpg (not a PNG, JPEG, BMP, GIF or WebP image)" in bad
    assert empty == "pets: class folders with no images that can be read were left out: birds"
    assert others.startswith("pets: 2 files left out (not an image, or beside the class folders): cats/notes.txt, "
                             "labels.csv")  # fmt: skip
    assert ".DS_Store" not in " ".join(ds.notes)


def test_a_folder_that_is_mostly_bad_is_refused_naming_the_first_files(tmp_path):
    root = tmp_path / "damaged"
    images, labels = stripes(4, 2)
    write_classes(root, images, labels)
    for k in range(2):
        (root / str(k) / f"bad{k}.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(PlaygroundError, match=r"damaged: more than a quarter of the images cannot be read \(2 of 6 "
                       r"so far\), so the folder was not opened: 0/bad0.png \(.*\), 1/bad1.png"):  # fmt: skip
        load_image_folder(root, (8, 8), "grayscale")


def test_a_class_whose_every_file_is_bad_is_left_out_like_an_empty_one(tmp_path):
    root = tmp_path / "set"
    images, labels = stripes(30, 3)
    write_classes(root, images, labels, ["a", "b", "c"])
    for f in (root / "c").iterdir():
        f.write_bytes(b"junk")
    with pytest.raises(PlaygroundError, match="more than a quarter"):  # 10 of 30 are bad
        load_image_folder(root, (8, 8), "grayscale")
    for f in list((root / "c").iterdir())[1:]:
        f.unlink()
    ds = load_image_folder(root, (8, 8), "grayscale")
    assert ds.class_names == ["a", "b"] and ds.n == 20 and set(ds.y.tolist()) == {0, 1}
    assert "class folders with no images that can be read were left out: c" in ds.notes[2]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_named_like_an_image_is_never_opened(tmp_path):
    root = tmp_path / "pipes"
    images, labels = stripes(8, 2)
    write_classes(root, images, labels)
    os.mkfifo(root / "0" / "stream.png")  # opening it would wait for a writer for ever
    ds = load_image_folder(root, (8, 8), "grayscale")
    assert ds.n == 8 and "0/stream.png (not a regular file)" in ds.notes[1]


def test_what_is_not_an_image_folder_is_refused_in_the_users_words(tmp_path):
    flat = tmp_path / "flat"
    write_png(flat / "a.png", np.zeros((4, 4)))
    with pytest.raises(PlaygroundError, match=r"flat: an image folder holds one subfolder of images per class "
                       r"\(flat/cats/1.png, flat/dogs/2.png\); flat holds 1 image and no class folders"):  # fmt: skip
        load_image_folder(flat, (8, 8))
    write_png(flat / "cats" / "b.png", np.zeros((4, 4)))
    (flat / "dogs").mkdir()
    with pytest.raises(PlaygroundError, match=r"at least two class folders with images; only cats has any \(empty: "
                       r"dogs\)"):  # fmt: skip
        load_image_folder(flat, (8, 8))
    with pytest.raises(PlaygroundError, match="must be classification"):
        load_image_folder(flat, (8, 8), problem="regression")


# ----------------------------------------------------------------- budgets, before any decoding
def _junk_folder(root: Path, n: int) -> Path:
    """n files named like images that hold no image: a budget that reads them would find them bad."""
    for i in range(n):
        (root / f"c{i % 2}").mkdir(parents=True, exist_ok=True)
        (root / f"c{i % 2}" / f"{i}.png").write_bytes(b"x")
    return root


def test_too_many_files_are_refused_while_listing(tmp_path, monkeypatch):
    monkeypatch.setattr(folders, "MAX_FILES", 10)
    with pytest.raises(PlaygroundError, match="many: more than 10 images \\(the limit for an image folder\\)"):
        load_image_folder(_junk_folder(tmp_path / "many", 11), (8, 8))
    monkeypatch.setattr(folders, "MAX_ENTRIES", 5)
    with pytest.raises(PlaygroundError, match="more than 5 files and folders"):
        list_image_folder(tmp_path / "many")


def test_the_values_budget_and_the_bytes_budget_refuse_before_decoding(tmp_path, monkeypatch):
    root = _junk_folder(tmp_path / "big", 4)
    monkeypatch.setattr(folders, "MAX_DATA_VALUES", 1_000_000)
    with pytest.raises(PlaygroundError, match=r"big: 4 images of 512×512 RGB make 3,145,728 values; the limit is "
                       "1,000,000"):  # fmt: skip
        load_image_folder(root, (512, 512), "rgb")
    monkeypatch.setattr(folders, "MAX_BYTES", 3)
    with pytest.raises(PlaygroundError, match="big: the images take 4 bytes; the limit is 3"):
        load_image_folder(root, (8, 8))
    # Within the budgets the same files are read, found bad, and the folder refused for that.
    monkeypatch.undo()
    with pytest.raises(PlaygroundError, match="more than a quarter"):
        load_image_folder(root, (8, 8))


def test_progress_counts_the_files_bytes_and_cancel_stops_the_read(tmp_path):
    root = tmp_path / "p"
    images, labels = stripes(40, 2)
    write_classes(root, images, labels)
    total = sum(f.stat().st_size for f in root.rglob("*.png"))
    seen = []
    loaders.PROGRESS["hook"] = lambda done, whole: seen.append((done, whole))
    try:
        load_image_folder(root, (8, 8), "grayscale")

        def cancel(done, whole):
            if done:
                raise PlaygroundError("reading the file was cancelled; nothing changed")

        loaders.PROGRESS["hook"] = cancel
        with pytest.raises(PlaygroundError, match="cancelled"):
            load_image_folder(root, (8, 8), "grayscale")
    finally:
        loaders.PROGRESS.pop("hook", None)
    assert seen[-1] == (total, total) and all(w == total for _d, w in seen)
    assert [d for d, _w in seen] == sorted(d for d, _w in seen) and len(seen) >= 3


# ----------------------------------------------------------------- decoding
def test_colours_sizes_and_formats_are_converted_as_documented(tmp_path):
    root = tmp_path / "mixed"
    red = np.zeros((4, 6, 3), np.uint8)
    red[..., 0] = 255
    write_png(root / "a" / "red.png", red)
    Image.fromarray(np.full((4, 6), 200, np.uint16) * 257).save(root / "a" / "deep.png")  # 16-bit grey
    pal = Image.fromarray(np.full((4, 6), 90, np.uint8)).convert("P", palette=Image.Palette.ADAPTIVE)
    pal.save(root / "a" / "palette.png", transparency=b"\0" * 256)  # in bytes: Pillow warns unless read via RGBA
    (root / "b").mkdir()
    Image.fromarray(np.full((3, 3), 77, np.uint8)).save(root / "b" / "grey.bmp")
    frames = [Image.fromarray(np.full((4, 6), v, np.uint8)) for v in (30, 250)]
    frames[0].save(root / "b" / "anim.gif", save_all=True, append_images=frames[1:])
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(root / "b" / "photo.jpg", quality=95)
    ds = load_image_folder(root, (2, 3), "grayscale")
    px = dict(zip(ds.sample_names, ds.x))
    assert px["a/red.png"].tolist() == [76.0] * 6  # ITU-R 601-2 luma: 255 · 299/1000
    assert px["a/deep.png"].tolist() == [200.0] * 6  # 16-bit scaled by 1/257, not clipped at 255
    assert px["a/palette.png"].tolist() == [90.0] * 6
    assert px["b/grey.bmp"].tolist() == [77.0] * 6
    assert px["b/anim.gif"].tolist() == [30.0] * 6  # the first frame
    assert np.all(np.abs(px["b/photo.jpg"] - 128) <= 2)  # JPEG is lossy
    assert ds.notes[0].endswith("read as 2×3 grayscale; 6 resized (bilinear, aspect ratio not kept)")
    rgb = load_image_folder(root, (4, 6), "rgb")
    assert rgb.image_shape == (4, 6, 3)
    red_rgb = rgb.x[rgb.sample_names.index("a/red.png")].reshape(4, 6, 3)
    assert np.all(red_rgb == [255, 0, 0])
    grey_rgb = rgb.x[rgb.sample_names.index("a/deep.png")].reshape(4, 6, 3)
    assert np.all(grey_rgb == 200)
    assert rgb.notes[0].endswith("read as 4×6 rgb; 2 resized (bilinear, aspect ratio not kept)")


def test_resizing_is_pillows_bilinear_without_keeping_the_aspect_ratio(tmp_path):
    wide = np.tile(np.arange(0, 240, 30, dtype=np.uint8), (2, 1))  # 2×8: a ramp left to right
    write_png(tmp_path / "r" / "a" / "ramp.png", wide)
    write_png(tmp_path / "r" / "b" / "flat.png", np.zeros((5, 5)))
    ds = load_image_folder(tmp_path / "r", (4, 4), "grayscale")
    expected = np.asarray(Image.fromarray(wide).resize((4, 4), Image.Resampling.BILINEAR), dtype=float)
    np.testing.assert_array_equal(ds.x[0].reshape(4, 4), expected)
    assert np.all(np.diff(expected, axis=1) > 0) and np.all(expected[0] == expected[3])  # stretched, not cropped


# ----------------------------------------------------------------- the project file
def test_the_project_file_validates_a_folder_source(tmp_path):
    def data(source, **more):
        return {"format": "nn-playground/1", "data": {"source": source, **more}}

    p = normalize_project(data({"size": [28, 28], "folder": "pets"}))
    assert p["data"]["source"] == {"folder": "pets", "size": [28, 28], "color": "rgb"}  # Keras's default colour
    assert data_files(p) == ("pets",)  # a link naming a folder asks before reading it, as for files
    bad = [
        ({"folder": "pets"}, "data.source.size must be [height, width] in pixels, each 1 to 512"),
        ({"folder": "pets", "size": [0, 8]}, "data.source.size[0] must be >= 1, got 0"),
        ({"folder": "pets", "size": [8, 513]}, "data.source.size[1] must be <= 512, got 513"),
        ({"folder": "pets", "size": [8.5, 8]}, "data.source.size[0] must be a whole number"),
        ({"folder": "pets", "size": [8, 8], "color": "cmyk"}, "data.source.color must be one of grayscale, rgb"),
        ({"folder": "pets", "size": [8, 8], "label": 1}, "data.source.label is not a known key"),
        ({"folder": 3, "size": [8, 8]}, "data.source.folder must be a folder path"),
        ({"folder": "p", "csv": "a.csv"}, 'or one of {"csv": path}'),
    ]
    for source, message in bad:
        with pytest.raises(PlaygroundError, match=message.replace("[", r"\[").replace("{", r"\{")):
            normalize_project(data(source))
    with pytest.raises(PlaygroundError, match="data.problem must be classification for an image folder"):
        normalize_project(data({"folder": "pets", "size": [8, 8]}, problem="regression"))
    (tmp_path / "file.png").write_bytes(b"x")
    p = normalize_project(data({"folder": "file.png", "size": [8, 8]}))
    with pytest.raises(PlaygroundError, match="data folder 'file.png' is not a folder"):
        load_dataset(p, tmp_path)

"""nn-playground's benchmarks: one table of medians and ratios measured in the same run.

    .venv/bin/python benchmarks/bench.py [--quick] [--skip-app] [--engine] [--conv] [--record] [--race]

1. engine training steps/s against PyTorch CPU (one thread; skipped with a note without torch),
1b. convolutions (LeNet-like) and 1c. recurrent layers (LSTM on the adding problem) against PyTorch,
2. grid forward with per-neuron outputs,
2b. reading an image folder: 10,000 PNG files of 28×28 (time and peak memory, in a fresh process),
3. the app end to end, offscreen: epochs/s while every view redraws, redraws/s and UI
   event-loop latency,
3d. the optimizer race's epochs/s against the main window's on the same net (--race: only this),
4. start-up time to the main window shown,
5. resident memory after 1k and 100k training steps in the app,
6. with --long: 10^6 steps in the app, memory and Qt object counts along the way,
7. `nn-playground record` of 300 epochs: time and size of the GIF and the APNG.

Timings are medians over repeats; these machines are shared, so read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from engine import build_model, get_loss  # noqa: E402
from engine.core.optimizers import make_optimizer  # noqa: E402
from engine.data import apply_features  # noqa: E402

TFP_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]


@dataclass
class Row:
    section: str
    what: str
    value: str
    target: str = ""
    met: bool | None = None


ROWS: list[Row] = []


def row(section: str, what: str, value: str, target: str = "", met: bool | None = None) -> None:
    ROWS.append(Row(section, what, value, target, met))
    print(f"  {what}: {value}" + (f"  [{target}: {'met' if met else 'NOT met'}]" if target else ""), flush=True)


def median_rate(fn, steps: int, repeats: int) -> float:
    """Median of steps/second over `repeats` timed runs of `fn(steps)` (after one warm-up)."""
    fn(max(10, steps // 10))
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(steps)
        rates.append(steps / (time.perf_counter() - t0))
    return statistics.median(rates)


# ----------------------------------------------------------------- 1. engine vs PyTorch
@dataclass
class Config:
    name: str
    inputs: int
    hidden: list[int]
    activation: str
    outputs: int
    loss: str
    optimizer: dict
    batch: int


CONFIGS = [
    Config(
        "2-8-8-1 tanh, BCE, SGD, batch 10",
        2,
        [8, 8],
        "tanh",
        1,
        "binary_crossentropy",
        {"name": "sgd", "learning_rate": 0.03},
        10,
    ),
    Config(
        "TFP largest: 7-8x6-1 tanh, batch 10",
        7,
        [8] * 6,
        "tanh",
        1,
        "binary_crossentropy",
        {"name": "sgd", "learning_rate": 0.03},
        10,
    ),
    Config(
        "784-128-10 ReLU, softmax CE, Adam, batch 64",
        784,
        [128],
        "relu",
        10,
        "categorical_crossentropy",
        {"name": "adam", "learning_rate": 0.001},
        64,
    ),
]


def make_data(cfg: Config, n: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, cfg.inputs))
    y = rng.integers(0, 2 if cfg.outputs == 1 else cfg.outputs, n)
    return x, y


def engine_runner(cfg: Config, dtype, batch_norm: bool = False):
    """`run(k)`: k training steps of the engine on this configuration (`batch_norm`: every hidden
    layer's z batch-normalised before its activation)."""
    out_act = "sigmoid" if cfg.outputs == 1 else "softmax"
    hidden = [{"units": u, "activation": cfg.activation, "batch_norm": batch_norm} for u in cfg.hidden]
    net = build_model((cfg.inputs,), hidden, cfg.outputs, out_act, dtype=dtype)
    loss = get_loss(cfg.loss)
    opt = make_optimizer(cfg.optimizer)
    x, y = make_data(cfg)
    from engine.core.losses import as_targets

    x = x.astype(dtype)
    t = as_targets(y, cfg.outputs, dtype)
    n_batches = x.shape[0] // cfg.batch

    def run(k: int) -> None:
        for i in range(k):
            j = (i % n_batches) * cfg.batch
            net.loss_and_grad(x[j : j + cfg.batch], t[j : j + cfg.batch], loss)
            opt.step(net.trainable_params, net.trainable_grads, net.n_kernel)

    return run


def torch_runner(cfg: Config, dtype):
    """`run(k)`: k training steps of the same network in PyTorch; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[cfg.activation]
    layers, width = [], cfg.inputs
    for units in cfg.hidden:
        layers += [torch.nn.Linear(width, units), act()]
        width = units
    layers.append(torch.nn.Linear(width, cfg.outputs))
    model = torch.nn.Sequential(*layers).to(tdtype)
    if cfg.outputs == 1:
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
    opt_cfg = cfg.optimizer
    if opt_cfg["name"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=opt_cfg["learning_rate"], eps=1e-7)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=opt_cfg["learning_rate"])
    x, y = make_data(cfg)
    xt = torch.tensor(x, dtype=tdtype)
    yt = torch.tensor(y, dtype=tdtype).reshape(-1, 1) if cfg.outputs == 1 else torch.tensor(y, dtype=torch.long)
    n_batches = x.shape[0] // cfg.batch

    def run(k: int) -> None:
        for i in range(k):
            j = (i % n_batches) * cfg.batch
            opt.zero_grad()
            loss_fn(model(xt[j : j + cfg.batch]), yt[j : j + cfg.batch]).backward()
            opt.step()

    return run


def paired_rates(ours, theirs, steps: int, repeats: int) -> tuple[float, float, float]:
    """Medians of both steps/s and of their ratio, timing the two in turns (ours, theirs, ours,
    ...) so a slow stretch of this shared machine hits both sides of a ratio alike."""
    ours(max(10, steps // 10))
    theirs(max(10, steps // 10))
    a, b = [], []
    for _ in range(repeats):
        for fn, rates in ((ours, a), (theirs, b)):
            t0 = time.perf_counter()
            fn(steps)
            rates.append(steps / (time.perf_counter() - t0))
    ratio = statistics.median(x / y for x, y in zip(a, b))
    return statistics.median(a), statistics.median(b), ratio


def bench_engine(quick: bool) -> None:
    print("1. engine training steps/s vs PyTorch CPU (1 thread)", flush=True)
    repeats = 5 if quick else 7  # five even when quick: a ratio from three turns swings with a neighbour's load
    for cfg in CONFIGS:
        big = cfg.inputs > 100
        steps = (1000 if big else 2000) if quick else (1000 if big else 6000)  # 300 big steps: ~0.2 s a turn, too short
        for dtype in (np.float64, np.float32):
            label = f"{cfg.name}, {np.dtype(dtype).name}"
            torch_run = torch_runner(cfg, dtype)
            if torch_run is None:
                ours = median_rate(engine_runner(cfg, dtype), steps, repeats)
                row("engine", label, f"{ours:,.0f} steps/s (torch not installed: no ratio)")
                continue
            ours, theirs, ratio = paired_rates(engine_runner(cfg, dtype), torch_run, steps, repeats)
            goal = (2.0 if dtype == np.float32 else 1.5) if big else 8.0
            row(
                "engine",
                label,
                f"{ours:,.0f} vs torch {theirs:,.0f} steps/s = {ratio:.2f}x",
                f">= {goal}x",
                ratio >= goal,
            )


def bench_batchnorm(quick: bool) -> None:
    """What batch normalization on the hidden layer costs the 784-128-10 net: the same steps
    (an epoch is a fixed number of them) timed with and without it, in turns."""
    print("1a. batch normalization's cost per epoch (784-128-10, BN on the hidden layer)", flush=True)
    cfg = next(c for c in CONFIGS if c.inputs == 784)
    steps, repeats = (300, 3) if quick else (1000, 7)
    for dtype in (np.float64, np.float32):
        with_bn, without, ratio = paired_rates(engine_runner(cfg, dtype, True), engine_runner(cfg, dtype), steps,
                                               repeats)  # fmt: skip
        cost = 1 / ratio
        value = f"{with_bn:,.0f} vs {without:,.0f} steps/s: {cost:.2f}x the time per epoch"
        row("engine", f"784-128-10 with BN vs without, {np.dtype(dtype).name}", value, "<= 1.3x", cost <= 1.3)


# ----------------------------------------------------------------- 1b. convolutions vs PyTorch
def lenet(dtype):
    """The issue's LeNet-like net on 28×28: conv 6@5×5, pool, conv 16@5×5, pool, dense 120, 84, 10."""
    from engine.core.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from engine.core.model import LayerStack

    return LayerStack((28, 28, 1), [Conv2D(6, 5, activation="relu"), MaxPooling2D(2), Conv2D(16, 5, activation="relu"),
                                    MaxPooling2D(2), Flatten(), Dense(120, "relu"), Dense(84, "relu"),
                                    Dense(10, "softmax")], dtype)  # fmt: skip


def torch_stepper(model, x: np.ndarray, y: np.ndarray, batch: int, opt_spec: dict):
    """`run(k)`: k training steps of a torch model (NCHW) on images x (N, H, W, C) and labels y,
    cycling through their batches, with the optimizer `opt_spec` names (torch's rules)."""
    import torch

    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(y.astype(np.int64))
    model(tx[:batch])  # a LazyLinear learns its width
    lr = opt_spec.get("learning_rate", 0.01 if opt_spec["name"] == "sgd" else 0.001)
    if opt_spec["name"] == "adam":
        topt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    else:
        topt = torch.optim.SGD(model.parameters(), lr=lr)
    lossf = torch.nn.CrossEntropyLoss()
    model.train()
    n = x.shape[0] // batch

    def theirs(steps: int) -> None:
        for k in range(steps):
            i = (k % n) * batch
            topt.zero_grad()
            lossf(model(tx[i : i + batch]), ty[i : i + batch]).backward()
            topt.step()

    return theirs


def torch_cnn(layers: list[dict], channels: int, classes: int, tdtype):
    """The torch model of a project's layers (convolutions, pooling, flatten, dense with dropout;
    'same' padding as torch's symmetric padding, which it is for odd kernels at stride 1)."""
    import torch

    nn, mods = torch.nn, []
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
    for entry in layers:
        kind = entry.get("type", "dense")
        if kind == "conv2d":
            k, s = entry["kernel_size"], entry.get("strides", 1)
            pad = (k - 1) // 2 if entry.get("padding") == "same" else 0
            mods += [nn.Conv2d(channels, entry["filters"], k, stride=s, padding=pad), act[entry["activation"]]()]
            channels = entry["filters"]
        elif kind == "max_pooling2d":
            mods.append(nn.MaxPool2d(entry.get("pool_size", 2)))
        elif kind == "flatten":
            mods.append(nn.Flatten())
        else:
            mods += [nn.LazyLinear(entry["units"]), act[entry["activation"]]()]
            if entry.get("dropout"):
                mods.append(nn.Dropout(entry["dropout"]))
    mods.append(nn.LazyLinear(classes))
    return nn.Sequential(*mods).to(tdtype)


def conv_runners(dtype, batch: int = 64):
    from engine.core.losses import get_loss
    from engine.core.optimizers import make_optimizer

    rng = np.random.default_rng(0)
    x = rng.random((batch * 8, 28, 28, 1)).astype(dtype)
    y = rng.integers(0, 10, batch * 8)
    net, loss, opt = lenet(dtype), get_loss("categorical_crossentropy"), make_optimizer({"name": "sgd"})

    def ours(steps: int) -> None:
        for k in range(steps):
            i = (k % 8) * batch
            net.loss_and_grad(x[i : i + batch], y[i : i + batch], loss)
            opt.step(net.trainable_params, net.trainable_grads, net.n_kernel)

    try:
        import torch
    except ImportError:
        return ours, None
    torch.set_num_threads(1)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(256, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84),
        torch.nn.ReLU(), torch.nn.Linear(84, 10),
    ).to(tdtype)  # fmt: skip
    return ours, torch_stepper(model, x, y, batch, {"name": "sgd"})


CNN_PRESETS = ["18-cnn-shapes", "19-cnn-digits"]


def preset_runners(name: str, dtype):
    """The engine and torch training one of the CNN presets' networks with its optimizer and batch
    size on its own data (the training split, 8 batches in turn), dropout drawn in both."""
    from engine.project.files import load_project
    from engine.run.training import Trainer

    project = load_project(ROOT / "resources" / "presets" / f"{name}.json")
    project["network"]["dtype"] = np.dtype(dtype).name
    tr = Trainer(project)
    net, t = tr.network, project["training"]
    batch = t["batch_size"]
    x, y = tr.data.x_train[: batch * 8].reshape(-1, *net.input_shape), tr.data.y_train[: batch * 8].astype(np.intp)
    gen = np.random.default_rng(0)

    def ours(steps: int) -> None:
        for k in range(steps):
            i = (k % 8) * batch
            net.loss_and_grad(x[i : i + batch], y[i : i + batch], tr.loss, tr.regularizer, True, gen)
            tr.optimizer.step(net.trainable_params, net.trainable_grads, net.n_kernel)

    try:
        import torch
    except ImportError:
        return ours, None
    torch.set_num_threads(1)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    model = torch_cnn(project["network"]["layers"], net.input_shape[2], net.n_outputs, tdtype)
    return ours, torch_stepper(model, x, y, batch, t["optimizer"])


def bench_conv(quick: bool) -> None:
    print("1b. convolutions: steps/s vs PyTorch CPU (1 thread): LeNet-like on 28×28 at batch 64, the CNN presets' "
          "nets", flush=True)  # fmt: skip
    repeats = 3 if quick else 5
    cases = [("LeNet-like", conv_runners, 40)] + [(name, lambda d, n=name: preset_runners(n, d), 100)
                                                   for name in CNN_PRESETS]  # fmt: skip
    for name, runners, steps in cases:
        for dtype in (np.float32, np.float64):
            ours, theirs = runners(dtype)
            label = f"{name}, {np.dtype(dtype).name}"
            n = steps // 4 if quick else steps
            if theirs is None:
                rate = median_rate(ours, n, repeats)
                row("conv", label, f"{rate:,.1f} steps/s (torch not installed: no ratio)")
                continue
            a, b, ratio = paired_rates(ours, theirs, n, repeats)
            row("conv", label, f"{a:,.1f} vs torch {b:,.1f} steps/s = {ratio:.2f}x", ">= 1.0x", ratio >= 1.0)


# ----------------------------------------------------------------- 1c. recurrent layers vs PyTorch
def lstm_runners(dtype, units: int = 32, steps_t: int = 50, batch: int = 32):
    """`run(k)`: k training steps of LSTM(units) and a linear output on the adding problem
    (T = steps_t), MSE and Adam, in the engine and in PyTorch (None without torch)."""
    from engine.core.losses import get_loss
    from engine.core.optimizers import make_optimizer
    from engine.data import generate

    ds = generate("adding", samples=batch * 8, seed=0, sequence_length=steps_t)
    x, y = ds.x.astype(dtype), ds.y.astype(dtype)
    net = build_model((steps_t, 2), [{"type": "lstm", "units": units}], 1, "linear", dtype=dtype, sequence=True)
    loss, opt = get_loss("mse"), make_optimizer({"name": "adam", "learning_rate": 0.001})

    def ours(steps: int) -> None:
        for k in range(steps):
            i = (k % 8) * batch
            net.loss_and_grad(x[i : i + batch], y[i : i + batch], loss)
            opt.step(net.trainable_params, net.trainable_grads, net.n_kernel)

    try:
        import torch
    except ImportError:
        return ours, None
    torch.set_num_threads(1)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    lstm, head = torch.nn.LSTM(2, units, batch_first=True).to(tdtype), torch.nn.Linear(units, 1).to(tdtype)
    tx, ty = torch.from_numpy(x.reshape(-1, steps_t, 2).copy()), torch.from_numpy(y.reshape(-1, 1).copy())
    topt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=0.001, eps=1e-7)
    lossf = torch.nn.MSELoss()

    def theirs(steps: int) -> None:
        for k in range(steps):
            i = (k % 8) * batch
            topt.zero_grad()
            lossf(head(lstm(tx[i : i + batch])[0][:, -1]), ty[i : i + batch]).backward()
            topt.step()

    return ours, theirs


def bench_recurrent(quick: bool) -> None:
    print("1c. recurrent: LSTM(32) on the adding problem, T = 50, batch 32, steps/s vs PyTorch CPU (1 thread)",
          flush=True)  # fmt: skip
    steps, repeats = (20, 3) if quick else (60, 7)
    for dtype in (np.float32, np.float64):
        ours, theirs = lstm_runners(dtype)
        label = f"LSTM(32), adding T = 50, {np.dtype(dtype).name}"
        if theirs is None:
            row("recurrent", label, f"{median_rate(ours, steps, repeats):,.1f} steps/s (torch not installed: no ratio)")
            continue
        a, b, ratio = paired_rates(ours, theirs, steps, repeats)
        row("recurrent", label, f"{a:,.1f} vs torch {b:,.1f} steps/s = {ratio:.2f}x", ">= 0.5x", ratio >= 0.5)


LENET_LAYERS = [
    {"type": "conv2d", "filters": 6, "kernel_size": 5, "activation": "relu"}, {"type": "max_pooling2d"},
    {"type": "conv2d", "filters": 16, "kernel_size": 5, "activation": "relu"}, {"type": "max_pooling2d"},
    {"type": "flatten"}, {"units": 120, "activation": "relu"}, {"units": 84, "activation": "relu"},
]  # fmt: skip


def bench_conv_app(quick: bool) -> None:
    """The app training the LeNet-like net with its layer view open (filters and the feature maps
    of one image every frame), against the engine alone, in turns (engine, app, engine)."""
    import tempfile

    print("1c. convolutions in the app: LeNet-like on 6,000 28×28 images, Layers view open", flush=True)
    seconds = 6 if quick else 12
    with tempfile.TemporaryDirectory() as folder:
        project = mnist_sized_project(Path(folder), 6_000, LENET_LAYERS)
        r, engine, ratio, p95 = app_against_engine(project, seconds)
    row("conv app", "LeNet-like: app / engine steps/s", f"{r['steps_per_s']:,.0f} / {engine:,.0f} = {ratio:.2f}",
        ">= 0.7", ratio >= 0.7)  # fmt: skip
    row("conv app", "LeNet-like: redraws/s, lateness p95", f"{r['redraws_per_s']:.1f}, {p95:.1f} ms",
        ">= 30", r["redraws_per_s"] >= 30)  # fmt: skip
    paints = " · ".join(f"{k} {v:.2f}" for k, v in sorted(r["paint"].items()))
    row("conv app", "LeNet-like: UI ms per frame by view (median)", paints or "—")
    row("conv app", "LeNet-like: layer maps in the snapshots", "yes" if r.get("maps") else "**no**")


# ----------------------------------------------------------------- 2. grid forward
def bench_grid(quick: bool) -> None:
    print("2. grid forward with per-neuron outputs (TFP largest network, 7 features)", flush=True)
    net = build_model((7,), [{"units": 8, "activation": "tanh"}] * 6, 1, "sigmoid")
    for n in (100, 200):
        xs = np.linspace(-6, 6, n)
        gx, gy = np.meshgrid(xs, xs)
        raw = np.column_stack([gx.ravel(), gy.ravel()])
        times = []
        for _ in range(5 if quick else 15):
            t0 = time.perf_counter()
            net.neuron_outputs(apply_features(raw, TFP_FEATURES))
            times.append(time.perf_counter() - t0)
        row("grid", f"{n}x{n} grid, all neurons", f"{statistics.median(times) * 1000:.2f} ms")


# ----------------------------------------------------------------- 2b. image folders
FOLDER_CHILD = """
import sys, time
from engine.data import load_image_folder
def peak():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))
before = peak()
t0 = time.perf_counter()
ds = load_image_folder(sys.argv[1], (28, 28), "grayscale")
print(time.perf_counter() - t0, before, peak(), ds.n, ds.x.nbytes / 2**20)
"""


def bench_folder(quick: bool) -> None:
    """An image folder read as the worker reads it (list, check budgets, decode each PNG with
    Pillow, stack): 10,000 28×28 grey PNGs in 10 class folders, timed in a fresh process whose
    peak resident memory (VmHWM) is read before and after."""
    import tempfile

    from PIL import Image

    n = 2_000 if quick else 10_000
    print(f"2b. image folder: {n:,} PNG files of 28×28 in 10 classes", flush=True)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        for i in range(n):
            d = Path(folder) / f"class{i % 10}"
            d.mkdir(exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(d / f"{i:05d}.png")
        times, peaks = [], []
        for _ in range(1 if quick else 3):
            out = subprocess.run([sys.executable, "-c", FOLDER_CHILD, folder], capture_output=True, text=True,
                                 env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=600)  # fmt: skip
            if out.returncode:
                row("folder", f"read {n:,} PNGs", f"failed: {out.stderr.strip().splitlines()[-1:]}")
                return
            seconds, before, after, count, mb = (float(v) for v in out.stdout.split())
            if int(count) != n:
                row("folder", f"read {n:,} PNGs", f"**read {int(count):,} images, not {n:,}**")
                return
            times.append(seconds)
            peaks.append(after - before)
    med = statistics.median(times)
    row("folder", f"read {n:,} PNGs of 28×28 into a data set", f"{med:.2f} s ({n / med:,.0f} files/s)")
    row("folder", "peak memory added by the read", f"{statistics.median(peaks):.0f} MB (the data set: {mb:.0f} MB "
        "of float64)")  # fmt: skip


# ----------------------------------------------------------------- 3 and 5. the app
def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def app_project(largest: bool) -> dict:
    from engine.project import normalize_project

    if largest:
        network = {"layers": [{"units": 8, "activation": "tanh"}] * 6}
        features = TFP_FEATURES
        source = "spiral"
    else:
        network = {"layers": [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}]}
        features = ["x1", "x2"]
        source = "circle"
    return normalize_project(
        {
            "format": "nn-playground/1",
            "data": {"source": source, "samples": 500, "test_fraction": 0.5, "features": features},
            "network": network,
            "training": {"optimizer": {"name": "sgd", "learning_rate": 0.03}, "batch_size": 10},
        }
    )


def run_app(project: dict, seconds: float, until_steps: list[int] | None = None) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from playground.app import make_app
    from playground.main_window import MainWindow

    app = make_app()
    settings = QSettings(str(Path("/tmp") / f"nnp-bench-{os.getpid()}.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1600, 1000)
    win.show()
    win.session.state.replace(project)
    deadline = time.perf_counter() + 120  # big data sets load on the worker first
    while time.perf_counter() < deadline and (win.session.snapshot is None or win.session.snapshot.project != project):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    loop = QEventLoop()
    QTimer.singleShot(500, loop.quit)
    loop.exec()
    frames = [0]

    def counting(original):
        def count(snap):
            frames[0] += 1
            original(snap)

        return count

    win.output.set_snapshot = counting(win.output.set_snapshot)
    win.images.set_snapshot = counting(win.images.set_snapshot)  # image data draw here instead
    # Each view's UI time per frame: its set_snapshot (colour mapping, setData) and, for the
    # network view, its Python paintEvent.
    paint: dict[str, list[float]] = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                paint.setdefault(name, []).append((time.perf_counter() - t) * 1e3)

        return wrapper

    for name in ("network", "layers", "output", "images", "curves", "histograms", "gradients"):
        view = getattr(win, name)
        view.set_snapshot = timed(name, view.set_snapshot)
    win.network.paintEvent = timed("network paint", win.network.paintEvent)
    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]
    tick = QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.setInterval(5)

    def on_tick() -> None:
        now = clock.nsecsElapsed()
        lateness.append(max(0.0, (now - last[0]) / 1e6 - 5.0))
        last[0] = now

    tick.timeout.connect(on_tick)
    rss_at: dict[int, float] = {}
    objects_at: dict[int, tuple[int, int]] = {}
    kept_at: dict[int, tuple[float, float]] = {}  # MB held on purpose: time-travel buffer, history
    marks = sorted(until_steps or [])

    def watch() -> None:
        snap = win.session.snapshot
        while marks and snap is not None and snap.steps >= marks[0]:
            mark = marks.pop(0)
            rss_at[mark] = rss_mb()
            objects_at[mark] = (len(win.findChildren(QObject)), len(QApplication.allWidgets()))
            history_bytes = sum(8 * len(v) for v in snap.history.values())
            kept_at[mark] = (win.session.timeline.nbytes / 2**20, history_bytes / 2**20)
        if not marks and until_steps:
            loop.quit()

    watcher = QTimer()
    watcher.setInterval(50)
    watcher.timeout.connect(watch)
    start_epoch, start_steps = win.session.snapshot.epoch, win.session.snapshot.steps
    t0 = time.perf_counter()
    win.session.set_playing(True)
    tick.start()
    watcher.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    elapsed = time.perf_counter() - t0
    tick.stop()
    watcher.stop()
    snap = win.session.snapshot
    result = {
        "epochs_per_s": (snap.epoch - start_epoch) / elapsed,
        "steps_per_s": (snap.steps - start_steps) / elapsed,
        "redraws_per_s": frames[0] / elapsed,
        "lateness": lateness,
        "rss": rss_at,
        "objects": objects_at,
        "kept": kept_at,
        "steps": snap.steps,
        "paint": {k: float(np.median(v)) for k, v in paint.items() if v},
        "thinned": snap.thinned,
        "maps": snap.layer_maps is not None,
    }
    win.session.state.set_dirty(False)
    win.close()
    app.processEvents()
    Path(settings.fileName()).unlink(missing_ok=True)
    return result


def app_run(project: dict, seconds: float, until_steps: list[int] | None = None) -> dict:
    """`run_app` in a fresh process, so no row inherits another's windows, caches or memory."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "project.json"
        path.write_text(json.dumps(project))
        marks = ",".join(str(m) for m in until_steps or [])
        script = Path(__file__)
        cmd = [sys.executable, str(script.resolve()), "--child", str(path), str(seconds), marks]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"the app run failed:\n{out.stderr[-3000:]}")
    r = json.loads(lines[-1])
    for key in ("rss", "objects", "kept"):
        r[key] = {int(k): v for k, v in r[key].items()}
    return r


def child(project_path: str, seconds: str, marks: str) -> int:
    """The other end of `app_run`: one app run, its result as a JSON line."""
    import json

    project = json.loads(Path(project_path).read_text())
    r = run_app(project, float(seconds), [int(m) for m in marks.split(",") if m])
    print(json.dumps(r), flush=True)
    return 0


def bench_app(quick: bool) -> None:
    print("3. the app end to end (offscreen, every view redrawing)", flush=True)
    seconds = 4 if quick else 10
    for largest, goal in ((False, 300), (True, 100)):
        label = "TFP largest network" if largest else "TFP default (2 features, [4, 2] tanh, 250 points, batch 10)"
        r = app_run(app_project(largest), seconds)
        row(
            "app",
            f"{label}: epochs/s",
            f"{r['epochs_per_s']:,.0f} ({r['steps_per_s']:,.0f} steps/s)",
            f">= {goal}",
            r["epochs_per_s"] >= goal,
        )
        row("app", f"{label}: redraws/s", f"{r['redraws_per_s']:.1f}", ">= 30", r["redraws_per_s"] >= 30)
        lat = np.array(r["lateness"]) if r["lateness"] else np.array([np.nan])
        p50, p95, p99 = np.percentile(lat, [50, 95, 99])
        row(
            "app",
            f"{label}: event-loop lateness p50/p95/p99",
            f"{p50:.1f} / {p95:.1f} / {p99:.1f} ms",
            "p95 <= 25 ms",
            p95 <= 25,
        )


def run_race(project: dict, seconds: float) -> dict:
    """The main window and the optimizer race on the same project, in turns (main, race, main) in
    one process, each one's epochs/s while it plays with every view redrawing; then both at once
    (the race's thread shares the window's process, its trainer has its own)."""
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer

    from playground.app import make_app
    from playground.main_window import MainWindow

    app = make_app()
    settings = QSettings(str(Path("/tmp") / f"nnp-bench-race-{os.getpid()}.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1600, 1000)
    win.show()
    win.session.state.replace(project)

    def wait(condition, timeout: float = 60.0) -> None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and not condition():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def run_for(secs: float) -> float:
        """Run the event loop for `secs`; the 95th percentile of a 5-ms timer's lateness, in ms."""
        late, last = [], [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            late.append(max(0.0, (now - last[0]) * 1e3 - 5.0))
            last[0] = now

        ticker = QTimer()
        ticker.setTimerType(Qt.TimerType.PreciseTimer)
        ticker.setInterval(5)
        ticker.timeout.connect(tick)
        ticker.start()
        loop = QEventLoop()
        QTimer.singleShot(int(secs * 1000), loop.quit)
        loop.exec()
        ticker.stop()
        return float(np.percentile(late, 95)) if late else float("nan")

    wait(lambda: win.session.snapshot is not None and win.session.snapshot.project == project)

    def main_rate() -> float:
        start = win.session.snapshot.epoch
        t0 = time.perf_counter()
        win.session.set_playing(True)
        run_for(seconds)
        rate = (win.session.snapshot.epoch - start) / (time.perf_counter() - t0)
        win.session.set_playing(False)
        wait(lambda: not win.session.snapshot.playing)
        return rate

    def race_rate(with_main: bool) -> tuple[float, float, int, float]:
        race = win.tools.open_race()
        wait(lambda: race.snapshot is not None and len(race.thumbs) == len(race.snapshot.lanes))
        start = win.session.snapshot.epoch
        t0 = time.perf_counter()
        if with_main:
            win.session.set_playing(True)
        race.play.setChecked(True)
        late = run_for(seconds)
        elapsed = time.perf_counter() - t0
        rates = (max(lane.epoch for lane in race.snapshot.lanes) / elapsed,
                 (win.session.snapshot.epoch - start) / elapsed, len(race.snapshot.lanes), late)  # fmt: skip
        win.session.set_playing(False)
        race.close()
        wait(race.handle.thread.isFinished)
        wait(lambda: not win.session.snapshot.playing)
        return rates

    main = [main_rate()]
    race, _, lanes, late = race_rate(False)
    main.append(main_rate())
    race_both, main_both, _, late_both = race_rate(True)
    win.session.state.set_dirty(False)
    win.close()
    app.processEvents()
    Path(settings.fileName()).unlink(missing_ok=True)
    return {"main": statistics.median(main), "race": race, "lanes": lanes, "race_both": race_both,
            "main_both": main_both, "late": late, "late_both": late_both}  # fmt: skip


def bench_race(quick: bool) -> None:
    """Item 11 of issue 31: the race's lanes against the main window on the same net, in one run."""
    import json
    import tempfile

    print("3d. the optimizer race against the main window (same net, timed in turns)", flush=True)
    project_path = ROOT / "resources" / "presets" / "03-spiral-relu.json"
    seconds = 4 if quick else 8
    with tempfile.TemporaryDirectory() as folder:
        from engine.project import normalize_project

        path = Path(folder) / "project.json"
        path.write_text(json.dumps(normalize_project(json.loads(project_path.read_text()))))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--race-child", str(path), str(seconds)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        row("race", "race against main window", f"failed: {out.stderr.strip()[-300:]}")
        return
    r = json.loads(lines[-1])
    ratio = r["race"] / r["main"] if r["main"] else float("nan")
    work = ratio * r["lanes"]
    row("race", f"03-spiral-relu (177 parameters), {r['lanes']} lanes: race / main window epochs/s, in turns",
        f"{r['race']:.1f} / {r['main']:.1f} = {ratio:.2f}; × {r['lanes']} lanes = {work:.2f}",
        "× lanes >= 0.5", work >= 0.5)  # fmt: skip
    both = r["race_both"] / r["main"] * r["lanes"] if r["main"] else float("nan")
    row("race", "both playing at once: race / main window epochs/s (race × lanes / main alone)",
        f"{r['race_both']:.1f} / {r['main_both']:.1f} ({both:.2f})", "race × lanes / main alone >= 0.25",
        both >= 0.25)  # fmt: skip
    row("race", "event-loop lateness p95: the race alone, both playing (two windows drawing on two cores)",
        f"{r['late']:.1f} ms, {r['late_both']:.1f} ms", "race alone <= 25 ms", r["late"] <= 25)  # fmt: skip


def budget_projects() -> list[tuple[str, dict]]:
    """The set-ups of the frame-budget table: TensorFlow Playground's default and largest, a
    deep wide ReLU net (where drawing used to cost the most)."""
    from engine.project import normalize_project

    deep = normalize_project({
        "format": "nn-playground/1",
        "data": {"source": "spiral", "samples": 500, "test_fraction": 0.5},
        "network": {"layers": [{"units": 64, "activation": "relu"}] * 8, "output_activation": "sigmoid",
                    "initializer": "he_uniform"},
        "training": {"optimizer": {"name": "adam", "learning_rate": 0.001}, "batch_size": 10},
    })  # fmt: skip
    return [("TFP default", app_project(False)), ("TFP largest", app_project(True)), ("8 × 64 ReLU, spiral", deep)]


def engine_alone(project: dict, seconds: float) -> float:
    """Steps/s of the trainer by itself, epoch ends included (what `nn-playground train` does)."""
    from engine.run.training import Trainer

    tr = Trainer(project)
    tr.train_epoch()  # warm up
    t0, s0 = time.perf_counter(), tr.steps
    while time.perf_counter() - t0 < seconds:
        tr.train_epoch()
    return (tr.steps - s0) / (time.perf_counter() - t0)


def app_against_engine(project: dict, seconds: float) -> tuple[dict, float, float, float]:
    """The app run, the engine alone timed before and after it (in turns: this machine drifts),
    their ratio and the event loop's lateness p95: (app result, engine steps/s, ratio, p95 ms)."""
    before = engine_alone(project, seconds / 2)
    r = app_run(project, seconds)
    after = engine_alone(project, seconds / 2)
    engine = statistics.median([before, after])
    ratio = r["steps_per_s"] / engine if engine else float("nan")
    p95 = float(np.percentile(np.array(r["lateness"] or [np.nan]), 95))
    return r, engine, ratio, p95


def bench_budget(quick: bool, images: dict | None = None) -> None:
    """The app against its own engine, timed in turns (engine, app, engine) in one run."""
    import tempfile

    print("3b. the app against the engine alone (frame budget)", flush=True)
    seconds = 4 if quick else 8
    folder = tempfile.TemporaryDirectory()  # the MNIST-size files, for the last row
    images = images or mnist_sized_project(Path(folder.name))
    cases = [*budget_projects(), ("MNIST-size images (784-128-10)", images)]
    for label, project in cases:
        r, engine, ratio, p95 = app_against_engine(project, seconds)
        row("budget", f"{label}: app / engine steps/s", f"{r['steps_per_s']:,.0f} / {engine:,.0f} = {ratio:.2f}",
            ">= 0.5", ratio >= 0.5)  # fmt: skip
        row("budget", f"{label}: redraws/s, lateness p95", f"{r['redraws_per_s']:.1f}, {p95:.1f} ms",
            ">= 30, <= 25 ms", r["redraws_per_s"] >= 30 and p95 <= 25)  # fmt: skip
        paints = " · ".join(f"{k} {v:.2f}" for k, v in sorted(r["paint"].items()))
        row("budget", f"{label}: UI ms per frame by view (median)", paints or "—")
        if r.get("thinned"):
            row("budget", f"{label}: views held to the budget", r["thinned"])
    folder.cleanup()


def mnist_sized_project(folder: Path, n: int = 60_000, layers: list | None = None) -> dict:
    """n synthetic 28×28 digits-like images (10 classes, a bar per class plus noise) written
    as IDX files, and MNIST's classic 784-128-10 ReLU/softmax network (or `layers`) with Adam at batch 64."""
    from engine.data.loaders import write_idx
    from engine.project import normalize_project

    rng = np.random.default_rng(0)
    labels = (np.arange(n) % 10).astype(np.uint8)
    images = rng.integers(0, 90, (n, 28, 28), dtype=np.uint8)
    for c in range(10):
        images[labels == c, 2 + 2 * c : 4 + 2 * c, 4:24] = 230
    (folder / "images.idx").write_bytes(write_idx(images))
    (folder / "labels.idx").write_bytes(write_idx(labels))
    return normalize_project(
        {
            "format": "nn-playground/1",
            "data": {
                "source": {"idx": {"images": str(folder / "images.idx"), "labels": str(folder / "labels.idx")}},
                "classes": 10,
                "normalize": "unit",
                "test_fraction": 1 / 6,
                "validation_fraction": 0.0,
            },
            "network": {"layers": layers or [{"units": 128, "activation": "relu"}], "output_activation": "softmax"},
            "training": {"loss": "categorical_crossentropy", "optimizer": {"name": "adam"}, "batch_size": 64},
        }
    )


def bench_images(quick: bool) -> None:
    """Image data at MNIST size: the app keeps drawing and answering while it trains."""
    import tempfile

    from engine.run.training import Trainer
    from playground.run.snapshot import image_eval

    print("3b. image data at MNIST size (60,000 × 784)", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        project = mnist_sized_project(Path(folder))
        t0 = time.perf_counter()
        trainer = Trainer(project)
        load = time.perf_counter() - t0
        row("images", "load and prepare 60,000 × 784 (IDX)", f"{load:.2f} s")
        steps = 100 if quick else 300
        t0 = time.perf_counter()
        for _ in range(steps):
            trainer.train_batch()
        engine = steps / (time.perf_counter() - t0)
        row("images", "engine alone: 784-128-10 Adam, batch 64", f"{engine:,.0f} steps/s")
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            image_eval(trainer)
            times.append(time.perf_counter() - t0)
        row("images", "confusion matrix on the 10,000 test images", f"{np.median(times) * 1e3:.0f} ms (≤ 1/s)")
        del trainer  # the app run gets its own process; free this copy of the images first
        edit, load_in_worker = structural_edit_times(project)
        row("images", "worker: first build (reads and prepares the data)", f"{load_in_worker:.2f} s")
        row(
            "images",
            "worker: a structural edit (add a neuron) to its first snapshot",
            f"{edit * 1e3:.0f} ms = {edit / load_in_worker:.3f} of the load",
            "< 0.1 of the load",
            edit < 0.1 * load_in_worker,
        )
        r = app_run(project, 4 if quick else 10)
        row(
            "images",
            "app: steps/s while the image views redraw",
            f"{r['steps_per_s']:,.0f} ({r['steps_per_s'] / engine:.0%} of the engine alone)",
        )
        row("images", "app: redraws/s", f"{r['redraws_per_s']:.1f}", ">= 30", r["redraws_per_s"] >= 30)
        lat = np.array(r["lateness"]) if r["lateness"] else np.array([np.nan])
        p50, p95, p99 = np.percentile(lat, [50, 95, 99])
        row(
            "images",
            "app: event-loop lateness p50/p95/p99",
            f"{p50:.1f} / {p95:.1f} / {p99:.1f} ms",
            "p95 <= 25 ms",
            p95 <= 25,
        )


def structural_edit_times(project: dict) -> tuple[float, float]:
    """(an added neuron's rebuild to its first snapshot, the first build) through the worker's own
    command path: the second build reuses the prepared data (kept by data section)."""
    import copy

    from playground.run.commands import Build
    from playground.run.training_worker import TrainingWorker

    worker = TrainingWorker()
    sent = []
    worker.snapshot_ready.connect(sent.append)
    t0 = time.perf_counter()
    worker._apply(Build(project), 1)
    load = time.perf_counter() - t0
    edited = copy.deepcopy(project)
    edited["network"]["layers"][0]["units"] += 1
    t0 = time.perf_counter()
    worker._apply(Build(edited), 2)
    worker._emit()
    edit = time.perf_counter() - t0
    assert sent and worker.data_loads == 1
    return edit, load


def bench_session(quick: bool) -> None:
    """One edit, one command: validating an edit with 10,000 drawn points."""
    from playground.run.state import ProjectState

    print("3c. edits with 10,000 drawn points", flush=True)
    rng = np.random.default_rng(0)
    state = ProjectState()
    points = {"x": rng.uniform(-5, 5, (10_000, 2)).tolist(), "y": [int(v) for v in rng.integers(0, 2, 10_000)]}
    state.set("data.source", {"points": points})
    lr, draw = [], []
    for i in range(10 if quick else 30):
        t0 = time.perf_counter()
        state.set("training.optimizer.learning_rate", 0.01 + 0.001 * i)
        lr.append(time.perf_counter() - t0)
        xs = state.project["data"]["source"]["points"]["x"] + [[0.1 * i, 0.2]]
        ys = state.project["data"]["source"]["points"]["y"] + [1]
        t0 = time.perf_counter()
        state.set("data.source", {"points": {"x": xs, "y": ys}})
        draw.append(time.perf_counter() - t0)
    ms = np.median(lr) * 1e3
    row("session", "validate a learning-rate edit (10,000 drawn points)", f"{ms:.2f} ms", "< 10 ms", ms < 10)
    ms = np.median(draw) * 1e3
    row("session", "validate a drawn point (10,001 points)", f"{ms:.1f} ms", "< 10 ms", ms < 10)


def bench_memory(quick: bool) -> None:
    print("5. resident memory in the app", flush=True)
    marks = [1_000, 10_000] if quick else [1_000, 100_000]
    r = app_run(app_project(False), 600, until_steps=marks)
    if len(r["rss"]) < len(marks):
        row("memory", "RSS", f"only reached {r['steps']:,} steps")
        return
    a, b = (r["rss"][m] for m in marks)
    row(
        "memory",
        f"RSS after {marks[0]:,} / {marks[1]:,} steps",
        f"{a:.0f} MB / {b:.0f} MB (+{b - a:.1f} MB)",
        "growth <= 10 MB",
        b - a <= 10,
    )


def bench_long() -> None:
    print("6. long run: 10^6 training steps in the app (about 2-3 minutes)", flush=True)
    marks = [10_000, 100_000, 250_000, 500_000, 1_000_000]
    r = app_run(app_project(False), 1800, until_steps=marks)
    if len(r["rss"]) < len(marks):
        row("long run", "10^6 steps", f"only reached {r['steps']:,} steps")
        return
    rss = [r["rss"][m] for m in marks]
    objs = [r["objects"][m] for m in marks]
    kept = [r["kept"][m] for m in marks]
    # The first 100k steps fill the bounded time-travel buffer; after that only the per-epoch
    # history (48 bytes an epoch) may grow.
    row(
        "long run",
        "RSS at 10k / 100k / 250k / 500k / 1M steps",
        " / ".join(f"{v:.0f} MB" for v in rss) + f" (+{rss[-1] - rss[1]:.1f} MB after 100k)",
        "flat: growth after 100k <= 10 MB",
        rss[-1] - rss[1] <= 10,
    )
    row(
        "long run",
        "held on purpose at the same marks: time-travel buffer + metrics history",
        " / ".join(f"{a:.1f} + {b:.1f} MB" for a, b in kept),
    )
    row(
        "long run",
        "Qt objects (window children, widgets) at the same marks",
        " / ".join(f"{a:,}, {b:,}" for a, b in objs),
        "no growth",
        # A frame's one-shot timer may be in flight at a mark: allow that one object.
        all(o[0] <= objs[0][0] + 1 and o[1] <= objs[0][1] for o in objs),
    )


# ----------------------------------------------------------------- 3d. every preset
STALL_MS = 150.0  # an event-loop stall a user feels
SAMPLE_AFTER_MS = 100.0  # the UI thread away this long: its stack is sampled (the longest stall's names its cause)


def _stall_cause(frame) -> str:
    """Where the UI thread was: its innermost Python frames past this script's own (the app's,
    pyqtgraph's, NumPy's), innermost last; none means Qt's C++ (painting, layout) or a thread the
    system did not run."""
    import traceback

    stack = [f for f in traceback.extract_stack(frame) if Path(f.filename).resolve() != Path(__file__).resolve()]
    if not stack:
        return "Qt's event loop (C++: painting, layout), or the system not running the UI thread"
    return " > ".join(f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack[-3:])


def _play_measured(win, seconds: float, wait) -> dict:
    """Play the window's project `seconds`: the event loop's lateness (a 5 ms precise timer) and,
    from a thread of its own, the UI thread's stack while the loop is away over SAMPLE_AFTER_MS."""
    import threading

    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    ui = threading.main_thread().ident
    clock = QElapsedTimer()
    clock.start()
    beat = [time.perf_counter()]
    last = [clock.nsecsElapsed()]
    late: list[float] = []
    worst = {"ms": 0.0, "cause": ""}  # the longest stall seen by the sampler, and where the UI thread was
    stop = threading.Event()

    def on_tick() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - 5.0))
        last[0] = now
        beat[0] = time.perf_counter()

    def sample() -> None:
        while not stop.wait(0.01):
            away = (time.perf_counter() - beat[0]) * 1e3
            if away > SAMPLE_AFTER_MS and away > worst["ms"]:
                frame = sys._current_frames().get(ui)
                if frame is not None:
                    worst["ms"], worst["cause"] = away, _stall_cause(frame)

    tick = QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.setInterval(5)
    tick.timeout.connect(on_tick)
    start = win.session.snapshot.steps
    win.session.set_playing(True)
    tick.start()
    sampler = threading.Thread(target=sample, name="stall-sampler", daemon=True)
    sampler.start()
    wait(int(seconds * 1000))
    tick.stop()
    stop.set()
    sampler.join()
    win.session.set_playing(False)
    arr = np.array(late or [0.0])
    return {"p99": float(np.percentile(arr, 99)), "max": float(arr.max()), "stalls": int((arr > STALL_MS).sum()),
            "cause": worst["cause"], "cause_ms": worst["ms"], "steps": win.session.snapshot.steps - start}


def run_presets(seconds: float) -> list[dict]:
    """Every preset opened in turn in one window (as a user would: its own views on screen), played
    `seconds`, with the event loop's lateness measured by a 5 ms timer and the UI thread's stack
    sampled by a thread of its own whenever the loop has been away over SAMPLE_AFTER_MS."""
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from playground.app import make_app
    from playground.main_window import MainWindow
    from playground.resources import PRESETS
    from playground.widgets import plain

    app = make_app()
    plain.ask = lambda *a, **k: plain.QMessageBox.StandardButton.Discard  # opening the next one discards, no dialog
    settings = QSettings(str(Path("/tmp") / f"nnp-bench-{os.getpid()}.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1600, 1000)
    win.show()
    out = []

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    for path in sorted(PRESETS.glob("*.json")):
        win.session.state.set_dirty(False)
        win.files.open_project(path, preset=True)
        project = win.session.state.project
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and (win.session.snapshot is None
                                                  or win.session.snapshot.project != project):  # fmt: skip
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        wait(300)
        out.append({"preset": path.stem, **_play_measured(win, seconds, wait)})
        print(json.dumps(out[-1]), flush=True)
    win.session.state.set_dirty(False)
    win.close()
    Path(settings.fileName()).unlink(missing_ok=True)
    return out


def bench_presets(seconds: float) -> None:
    """Each preset played `seconds` in turn (one window, in its own process): lateness p99 and stalls."""
    print(f"3d. every preset in turn, played {seconds:g} s each with its views: the event loop's lateness", flush=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--presets-child", str(seconds)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    rows = [json.loads(ln) for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not rows:
        row("presets", "every preset played", f"failed: {done.stderr.strip()[-300:]}")
        return
    for r in rows:
        ok = r["p99"] <= 50 and r["max"] <= STALL_MS
        cause = f"; longest stall {r['cause_ms']:.0f} ms in {r['cause']}" if r["cause"] and not ok else ""
        row("presets", f"{r['preset']}: lateness p99, longest (stalls > {STALL_MS:.0f} ms)",
            f"{r['p99']:.1f} ms, {r['max']:.0f} ms ({r['stalls']}){cause}", "<= 50 ms, <= 150 ms", ok)  # fmt: skip


# ----------------------------------------------------------------- 4. start-up
# `nn-playground` as a user starts it (playground/__main__.py), timed from the process's start to
# the main window shown and to the first snapshot drawn (the frame's paint runs before a 1 ms timer).
STARTUP = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

show = QMainWindow.show


def shown(self):
    show(self)
    print("shown", time.time(), flush=True)

    def drawn(snap, new_run):
        self.session.frame.disconnect(drawn)
        QTimer.singleShot(1, lambda: (print("drawn", time.time(), flush=True), close()))

    def close():
        self.session.state.set_dirty(False)
        self.close()
        QApplication.instance().quit()

    self.session.frame.connect(drawn)


QMainWindow.show = shown
from playground.__main__ import main
sys.exit(main([]))
"""


def bench_startup(quick: bool) -> None:
    import tempfile

    print("4. start-up: process start to the main window shown, and to its first frame drawn", flush=True)
    shown, drawn = [], []
    with tempfile.TemporaryDirectory() as home:  # a first run's settings: no autosave to offer
        # Compiled bytecode as an installed app has it (kept apart from the tree, and written by
        # the first run, which is not counted), even where PYTHONDONTWRITEBYTECODE is set.
        env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=home, XDG_DATA_HOME=home,
                   PYTHONPYCACHEPREFIX=str(Path(home) / "pycache"))  # fmt: skip
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for i in range(1 + (3 if quick else 5)):
            t0 = time.time()
            out = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, env=env,
                                 timeout=60)  # fmt: skip
            marks = dict(line.split() for line in out.stdout.splitlines() if line.startswith(("shown", "drawn")))
            if i and "shown" in marks and "drawn" in marks:
                shown.append(float(marks["shown"]) - t0)
                drawn.append(float(marks["drawn"]) - t0)
    if shown:
        med = statistics.median(shown)
        row("start-up", "to main window shown", f"{med:.2f} s", "<= 1.5 s", med <= 1.5)
        first = statistics.median(drawn)
        row("start-up", "to the first frame drawn", f"{first:.2f} s (+{first - med:.2f} s)", "<= 2.0 s", first <= 2.0)
    else:
        row("start-up", "to main window shown", f"failed: {out.stderr.strip()[-200:]}")


def bench_record(quick: bool) -> None:
    """`nn-playground record` of 300 epochs as a user runs it (its own process, no display):
    time and file size for each format, printed, not held to a target."""
    import tempfile

    print("7. record: 300 epochs of the spiral, a frame every 10 (31 frames, 1920×1080)", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".gif",) if quick else (".gif", ".apng"):
            out = Path(folder) / f"run{suffix}"
            t0 = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "playground", "record", "03-spiral-relu", "--epochs", "300", "--every", "10",
                 "--out", str(out)], capture_output=True, text=True, env=env, timeout=600,
            )  # fmt: skip
            took = time.perf_counter() - t0
            if done.returncode != 0:
                row("record", f"300 epochs to {suffix}", f"failed: {done.stderr.strip()[-200:]}")
                continue
            row("record", f"300 epochs to {suffix} (31 frames)", f"{took:.1f} s, {out.stat().st_size / 1e6:.2f} MB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and shorter runs")
    ap.add_argument("--skip-app", action="store_true", help="engine and grid only (no Qt)")
    ap.add_argument("--long", action="store_true", help="also the 10^6-step long run (minutes)")
    ap.add_argument("--budget", action="store_true", help="only the frame-budget table (app against engine)")
    ap.add_argument("--conv", action="store_true", help="only the convolution rows (engine against PyTorch)")
    ap.add_argument("--recurrent", action="store_true", help="only the recurrent rows (engine against PyTorch)")
    ap.add_argument("--engine", action="store_true", help="only the engine against PyTorch (dense and conv)")
    ap.add_argument("--folder", action="store_true", help="only the image-folder rows (10,000 PNG files)")
    ap.add_argument("--record", action="store_true", help="only the record rows (300 epochs to GIF and APNG)")
    ap.add_argument("--batchnorm", action="store_true", help="only batch normalization's cost (784-128-10)")
    ap.add_argument("--race", action="store_true", help="only the race row (its lanes against the main window)")
    ap.add_argument("--startup", action="store_true", help="only the start-up rows (window shown, first frame)")
    ap.add_argument("--presets", action="store_true", help="only the every-preset lateness rows")
    ap.add_argument("--preset-seconds", type=float, default=10.0, help="how long each preset plays (default 10)")
    ap.add_argument("--presets-child", help=argparse.SUPPRESS)  # the preset rows' run in its own process
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # one app run in its own process
    ap.add_argument("--race-child", nargs=2, help=argparse.SUPPRESS)  # the race row's run in its own process
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    if args.presets_child:
        run_presets(float(args.presets_child))
        return 0
    if args.race_child:
        import json

        r = run_race(json.loads(Path(args.race_child[0]).read_text()), float(args.race_child[1]))
        print(json.dumps(r), flush=True)
        return 0
    print(f"nn-playground benchmarks on {os.cpu_count()} cores, numpy {np.__version__}", flush=True)
    if args.budget:
        bench_budget(args.quick)
        return print_table()
    if args.engine:
        bench_engine(args.quick)
        bench_conv(args.quick)
        return print_table()
    if args.conv:
        bench_conv(args.quick)
        bench_conv_app(args.quick)
        return print_table()
    if args.recurrent:
        bench_recurrent(args.quick)
        return print_table()
    if args.folder:
        bench_folder(args.quick)
        return print_table()
    if args.record:
        bench_record(args.quick)
        return print_table()
    if args.batchnorm:
        bench_batchnorm(args.quick)
        return print_table()
    if args.race:
        bench_race(args.quick)
        return print_table()
    if args.startup:
        bench_startup(args.quick)
        return print_table()
    if args.presets:
        bench_presets(args.preset_seconds)
        return print_table()
    bench_engine(args.quick)
    bench_batchnorm(args.quick)
    bench_conv(args.quick)
    bench_recurrent(args.quick)
    if not args.skip_app:
        bench_conv_app(args.quick)
    bench_grid(args.quick)
    bench_folder(args.quick)
    if not args.skip_app:
        bench_app(args.quick)
        bench_budget(args.quick)
        bench_presets(args.preset_seconds)
        bench_race(args.quick)
        bench_session(args.quick)
        bench_startup(args.quick)
        bench_memory(args.quick)
        bench_images(args.quick)  # last: its 60,000 images would weigh on the RSS rows
        bench_record(args.quick)  # its own processes: the RSS rows are already taken
        if args.long:
            bench_long()
    return print_table()


def print_table() -> int:
    print("\n| section | measure | result | target | met |\n| --- | --- | --- | --- | --- |")
    for r in ROWS:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        print(f"| {r.section} | {r.what} | {r.value} | {r.target} | {met} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

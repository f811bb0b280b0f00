"""Each consumer of the project's seed draws from its own stream, spawned with a fixed key."""

import numpy as np
import pytest

from engine import PlaygroundError
from engine.core.initializers import INITIALIZERS
from engine.core.streams import STREAMS, stream
from engine.data import generate, split_indices
from engine.project import load_dataset, prepare_data
from engine.run.training import Trainer
from tests.helpers import project


def _spawned(seed: int, key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(5)[key])


def test_each_consumer_draws_from_its_own_spawned_stream():
    """NumPy's spawning by hand: SeedSequence(seed).spawn(5)[k] for data 0, split 1, weights 2,
    shuffle 3, dropout 4; the keys are fixed, so a consumer added later changes none of these."""
    assert STREAMS == {"data": 0, "split": 1, "weights": 2, "shuffle": 3, "dropout": 4}
    seed = 12345
    p = project(seed=seed, data={"source": "xor", "samples": 60, "noise": 0.2, "test_fraction": 0.25},
                network={"layers": [{"units": 5, "activation": "tanh", "dropout": 0.5}],
                         "initializer": "tfp_uniform"},
                training={"batch_size": 44})  # fmt: skip
    ds = load_dataset(p)
    expected = generate("xor", 60, 0.2, seed=_spawned(seed, 0))
    np.testing.assert_array_equal(ds.x, expected.x)
    data = prepare_data(p, ds)
    train, _val, test = split_indices(ds.y, "classification", 0.0, 0.25, _spawned(seed, 1))
    np.testing.assert_array_equal(data.train, train)
    np.testing.assert_array_equal(data.test, test)
    tr = Trainer(p, data=data)
    weights = _spawned(seed, 2)
    for w in tr.network.kernels:
        np.testing.assert_array_equal(w, INITIALIZERS.get("tfp_uniform")(w.shape, weights))
    tr.train_batch()  # 44 of the 45 training rows: the epoch's order is still there
    n = data.train.size
    shuffle = _spawned(seed, 3)
    np.testing.assert_array_equal(tr._order, shuffle.permutation(n))
    dropout = _spawned(seed, 4)
    mask = dropout.random((44, 5)) >= 0.5
    np.testing.assert_array_equal(tr.network.layers[1].mask > 0, mask)
    with pytest.raises(PlaygroundError, match="no random stream called 'labels'"):
        stream(seed, "labels")


def test_the_first_weights_are_not_the_first_data_points():
    """With one default_rng(seed) for both, the first kernel's uniform draws were the xor data's:
    W[0, :] × 10 gave the first x coordinates (before their 0.3 padding)."""
    p = project(seed=3, data={"source": "xor", "samples": 40}, network={"layers": [{"units": 8}],
                                                                         "initializer": "tfp_uniform"})  # fmt: skip
    tr = Trainer(p)
    x = tr.data.dataset.x[:8, 0]
    unpadded = x - np.where(x > 0, 0.3, -0.3)
    shared = np.random.default_rng(3).uniform(-0.5, 0.5, 8) * 10  # what a shared stream gave both
    assert not np.allclose(unpadded, shared) and not np.allclose(tr.network.kernels[0][0] * 10, unpadded)


def test_one_consumer_changing_leaves_the_others_draws_alone():
    """Dropout added to a layer used to shift the shuffling (both drew from one generator); more
    samples drawn do not change the initial weights, nor another split the points."""

    def run(dropout=0.0, samples=100, test_fraction=0.5):
        p = project(seed=7, data={"source": "circle", "samples": samples, "test_fraction": test_fraction},
                    network={"layers": [{"units": 4, "dropout": dropout}]}, training={"batch_size": 5})  # fmt: skip
        tr = Trainer(p)
        orders = []
        for _ in range(3):  # each epoch draws its order, then its batches draw dropout masks
            tr.train_batch()
            orders.append(tr._order.copy())
            tr.train_epoch()
        return tr, orders

    plain, plain_orders = run()
    _dropped, dropped_orders = run(dropout=0.5)
    assert all(np.array_equal(a, b) for a, b in zip(plain_orders, dropped_orders))  # the same three orders
    more, _ = run(samples=300)
    np.testing.assert_array_equal(Trainer(more.project).network.params, Trainer(plain.project).network.params)
    other_split, _ = run(test_fraction=0.3)
    np.testing.assert_array_equal(other_split.data.dataset.x, plain.data.dataset.x)

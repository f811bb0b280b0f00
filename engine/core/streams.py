"""One independent random stream per consumer of the project's seed.

The data, the split, the initial weights, the shuffling and the dropout masks each draw from
their own generator, spawned from the seed with a fixed key (NumPy's SeedSequence spawning):
the first layer's weights are no longer the same uniform draws as the first data points, and a
consumer added later (a new key) changes none of the others. The same seed gives the same
streams, so runs stay bitwise reproducible.
"""

from __future__ import annotations

import numpy as np

from .errors import PlaygroundError
from .i18n import _

#: Each consumer's spawn key. Never renumber one: a project's numbers depend on its key.
STREAMS = {"data": 0, "split": 1, "weights": 2, "shuffle": 3, "dropout": 4}


def stream(seed: int, consumer: str) -> np.random.Generator:
    """The generator `consumer` draws from for this seed: SeedSequence(seed).spawn(...)[key]."""
    if consumer not in STREAMS:
        raise PlaygroundError(_("no random stream called {consumer!r}; the streams are {streams}").format(
                                  consumer=consumer, streams=', '.join(STREAMS)))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[consumer],)))

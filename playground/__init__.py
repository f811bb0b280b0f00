"""nn-playground's Qt desktop app, a client of `engine`.

NumPy's BLAS is held to one thread before NumPy loads: on a 2-core machine the other core
belongs to the UI.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.2.0"  # the one place the version is written (pyproject.toml reads it)

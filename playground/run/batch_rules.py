"""The smallest mini-batch a project's layers can train on, known in the window before the trainer
refuses one: batch normalization per unit normalises a batch of one example to 0 (every value is
its own mean), so it needs two. The data panel's batch size starts there, and an edit that would
leave the batch too small (BN turned on at a batch size of 1) is taken back with the reason in
the banner instead of reaching the trainer.
"""

from __future__ import annotations

from typing import Any

from engine import PlaygroundError
from engine.core.i18n import _
from engine.core.layers import min_batch


def input_shape(dataset: Any, n_inputs: int | None = None) -> tuple[tuple[int, ...], bool]:
    """(the shape one example reaches the first layer in, whether it is a sequence) for a data set:
    its images, its sequences, else its row of `n_inputs` features (its columns when not given)."""
    if dataset.sequence_shape is not None:
        return tuple(dataset.sequence_shape), True
    if dataset.image_shape is not None:
        return tuple(dataset.image_shape), False
    return (int(n_inputs or dataset.x.shape[1]),), False


def needed(project: dict[str, Any], dataset: Any, n_inputs: int | None = None) -> tuple[int, str]:
    """The fewest examples a training batch of `project`'s layers needs on `dataset`, and why
    (engine.core.layers.min_batch); (1, "") when it cannot be told (no data yet, layers that do not fit
    them: the trainer names that itself)."""
    if dataset is None:
        return 1, ""
    shape, sequence = input_shape(dataset, n_inputs)
    network = project["network"]
    try:
        return min_batch(shape, network["layers"], max(int(dataset.classes), 1), network["output_activation"],
                         sequence=sequence)  # fmt: skip
    except PlaygroundError:
        return 1, ""


def too_small(project: dict[str, Any], dataset: Any, n_inputs: int | None = None) -> str:
    """The banner's words when `project`'s batch size is below what its layers need (why, and what
    to do), else ""."""
    need, why = needed(project, dataset, n_inputs)
    size = int(project["training"]["batch_size"])
    if size >= need:
        return ""
    return _("Batch normalization needs at least {need} examples in each training batch, and the batch size is "
             "{size}: {why}. Set Batch size (left panel) to {need} or more first; this change was not made.").format(
        need=need, size=size, why=why)


def control_tip(need: int, why: str) -> str:
    """What the batch-size control adds to its tooltip when the layers need more than one example."""
    return " " + _("At least {need} here: {why}.").format(need=need, why=why) if need > 1 else ""

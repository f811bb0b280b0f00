"""What the running trainer does with each live setting of the field table.

The field table (engine/project/fields.py) declares which settings are LIVE; an edit of them reaches the
trainer as (path, value) pairs in a SetLive. The setting a path belongs to is read from the table:
its entry's outermost enclosing LIVE entry (`training.regularization` for
`training.regularization.rate`), and each setting has one setter here. An edit calls each setter
once, however many of its paths changed; an optimizer's hyperparameters (`training.optimizer.*`)
are set one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.core.errors import PlaygroundError
from engine.core.i18n import _
from engine.project.fields import Effect, field
from engine.run.training import Trainer

#: (trainer, the path edited, its value, the edited project)
Setter = Callable[[Trainer, str, Any, dict[str, Any]], None]


def epoch_limit(project: dict[str, Any]) -> int | None:
    """The app stops at training.epochs only when the project asks (app.epoch_limit): Keras's
    fit() always stops there, TensorFlow Playground never does."""
    return int(project["training"]["epochs"]) if project.get("app", {}).get("epoch_limit") else None


def _hyperparameter(trainer: Trainer, path: str, value: Any, _project: dict[str, Any]) -> None:
    trainer.set_optimizer_param(path.rpartition(".")[2], value)


def _regularization(trainer: Trainer, _path: str, _value: Any, project: dict[str, Any]) -> None:
    trainer.set_regularization(**project["training"]["regularization"])


def _schedule(trainer: Trainer, _path: str, _value: Any, project: dict[str, Any]) -> None:
    trainer.set_schedule(project["training"]["schedule"])


def _batch_size(trainer: Trainer, _path: str, value: Any, _project: dict[str, Any]) -> None:
    trainer.set_batch_size(int(value))


def _last_batch(trainer: Trainer, _path: str, value: Any, _project: dict[str, Any]) -> None:
    trainer.set_last_batch(value)


def _early_stopping(trainer: Trainer, _path: str, _value: Any, project: dict[str, Any]) -> None:
    trainer.set_early_stopping(project["training"]["early_stopping"])


def _epoch_limit(trainer: Trainer, _path: str, _value: Any, project: dict[str, Any]) -> None:
    trainer.set_epoch_limit(epoch_limit(project))


#: The setter of each live setting, by its field-table entry (tests/test_worker.py checks that
#: every LIVE entry of the table has one).
SETTERS: dict[str, Setter] = {
    "training.optimizer.*": _hyperparameter,
    "training.regularization": _regularization,
    "training.schedule": _schedule,
    "training.batch_size": _batch_size,
    "training.last_batch": _last_batch,
    "training.early_stopping": _early_stopping,
    "training.epochs": _epoch_limit,
    "app.epoch_limit": _epoch_limit,
}


def live_setting(path: str) -> str:
    """The field-table entry whose setter takes an edit of `path`: the outermost LIVE entry
    that holds its own entry ("training.early_stopping.patience" → "training.early_stopping"),
    where an entry of a key its object's registry knows counts as its `*` entry
    ("training.optimizer.beta_1" → "training.optimizer.*")."""
    entry = field(path)
    if entry.effect != Effect.LIVE:
        raise PlaygroundError(_("{path} is not a setting the running trainer takes").format(path=path))
    setting = entry.path
    head = setting.rpartition(".")[0]
    if head and field(f"{head}.*").path == f"{head}.*":  # an optimizer's hyperparameter
        setting = f"{head}.*"
    while head and field(head).effect == Effect.LIVE:
        setting, head = head, head.rpartition(".")[0]
    return setting


def apply_live(trainer: Trainer, changes: tuple[tuple[str, Any], ...], project: dict[str, Any]) -> None:
    """The edited live settings into the running trainer: each setter once (a hyperparameter
    once each), in the order of the changes."""
    done: set[tuple[Setter, str]] = set()
    for path, value in changes:
        setting = live_setting(path)
        setter = SETTERS[setting]
        once = (setter, path if setting.endswith(".*") else "")
        if once not in done:
            done.add(once)
            setter(trainer, path, value, project)


def live_sections(running: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """The running project with the edit's training and app sections (every live setting lives
    there). The rest stays the trainer's own: a live edit queued behind a build that failed
    carries that build's network and data, which this trainer never had."""
    return {**running, "training": edited["training"], "app": edited.get("app", running.get("app", {}))}

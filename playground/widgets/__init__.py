"""Small reusable widgets."""

from .common import (
    Caption,
    Deferred,
    FitCombo,
    NumberEdit,
    OnScreen,
    Steady,
    add_words,
    captioned,
    choose_data,
    compact_words,
    fit_to_screen,
    guarded,
    name_widget,
    to_qimage,
    wrapped,
)
from .plain import Counter, Label, ask, menu_text, message_box, plain_tip

__all__ = [
    "Caption",
    "Counter",
    "Deferred",
    "FitCombo",
    "Label",
    "NumberEdit",
    "OnScreen",
    "Steady",
    "add_words",
    "ask",
    "captioned",
    "choose_data",
    "compact_words",
    "fit_to_screen",
    "guarded",
    "menu_text",
    "message_box",
    "name_widget",
    "plain_tip",
    "to_qimage",
    "wrapped",
]

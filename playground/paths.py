"""Where the app's data files live (the repository's resources/ folder)."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
PRESETS = RESOURCES / "presets"
STYLE = RESOURCES / "styles" / "app.qss"
ICON = RESOURCES / "icons" / "app.svg"

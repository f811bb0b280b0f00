"""The app's side of the language (engine/core/i18n.py holds the catalogs): which language a user
gets (their choice in the settings, else the system locale), Qt's own translations for its
standard dialogs and buttons (qtbase_ko.qm, shipped with PySide6), and the bundled Hangul font,
loaded as Qt's fallback for Korean so Hangul renders on a system with no Korean font."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QSettings, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication

from engine.core import i18n

from .resources import RESOURCES

#: The bundled Hangul font: NanumGothic (SIL OFL 1.1) subset and renamed "NNP Hangul" to the syllables the app needs
#: (resources/fonts/README.md says which and how it is made).
HANGUL_FONT = RESOURCES / "fonts" / "nnp-hangul.ttf"
LANGUAGE_KEY, TERMS_KEY = "language", "englishTerms"
if (RESOURCES / "i18n") not in i18n.CATALOG_DIRS:  # the catalogs, wherever the app is installed
    i18n.CATALOG_DIRS.append(RESOURCES / "i18n")

_qt_translator: QTranslator | None = None
_hangul_family: str | None = None


def hangul_family() -> str | None:
    """Load the bundled Hangul font once and make it Qt's fallback for Hangul; its family name
    (None when the file is missing or Qt cannot read it)."""
    global _hangul_family
    if _hangul_family is None and HANGUL_FONT.is_file():
        font_id = QFontDatabase.addApplicationFont(str(HANGUL_FONT))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if families:
            _hangul_family = families[0]
    return _hangul_family


def use_hangul_fallback(app: QApplication) -> None:
    """Load the bundled Hangul font and make it the substitute of the app's font families, so a
    Korean character in any label falls back to it (PySide6 binds no per-script fallback API)."""
    family = hangul_family()
    if family is None:
        return
    # Only families that exist: a generic name ("Sans Serif") would resolve to the substitute for all text.
    real = set(QFontDatabase.families())
    for name in {QFontInfo(app.font()).family(), QFontInfo(QFont(QFont().defaultFamily())).family()} & real:
        if name != family and family not in QFont.substitutes(name):
            QFont.insertSubstitutions(name, [*QFont.substitutes(name), family])


def chosen_language(settings: QSettings) -> str:
    """The user's language: the one chosen in View → Language, else the system locale's."""
    value = settings.value(LANGUAGE_KEY)
    return str(value) if value in i18n.LANGUAGES else i18n.language_from_env()


def english_terms(settings: QSettings) -> bool:
    """Whether "Show English terms" is on (off until a user switches it on)."""
    return str(settings.value(TERMS_KEY, "false")).lower() in ("true", "1")


def install(lang: str, show_english_terms: bool = False) -> str:
    """Make `lang` the language of the app's messages and of Qt's own (standard buttons, file
    dialogs); returns the language in use. Call before the window is built."""
    global _qt_translator
    used = i18n.install(lang, show_english_terms)
    app = QCoreApplication.instance()
    if app is None:
        return used
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if used not in ("en", i18n.PSEUDO):
        translator = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(f"qtbase_{used}", folder):
            app.installTranslator(translator)
            _qt_translator = translator
    return used


def install_from_settings(settings: QSettings) -> str:
    """At start: the language and "Show English terms" the settings (or the system) give."""
    return install(chosen_language(settings), english_terms(settings))


def qt_catalog(lang: str) -> Path | None:
    """Qt's own catalog for `lang` (qtbase_ko.qm), where PySide6 ships it; None if absent."""
    path = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)) / f"qtbase_{lang}.qm"
    return path if path.is_file() else None

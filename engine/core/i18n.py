"""The user's language for every message the engine and the app show: one gettext catalog per
language (resources/i18n/<lang>.po, compiled to <lang>.mo), read with the standard library's
gettext, so neither the engine nor the CLI needs Qt or any package at run time.

Use `_("Learning rate")` for a message, `ngettext("{count} layer", "{count} layers", n)
.format(count=n)` for one that depends on a count (Korean has one form, English two: the catalog's
plural rule decides), `term("learning rate")` for a word a learner meets in English material too
(with "Show English terms" on, Korean shows "학습률 (learning rate)"), and `N_("...")` to mark a
message kept as a constant and translated where it is shown (`_(CONSTANT)`, `term(CONSTANT)`).
Messages are whole sentences with named placeholders: never glue translated fragments.

The language is English until `install()` picks another: the app installs the user's choice at
start, the CLI the one `LANG` gives (`language_from_env`). "pseudo" is a catalog made by `python3
dev.py i18n` that gives every extracted message as ⟦message⟧, so a window in it shows which of its
visible texts bypassed the catalog (a text not marked, or marked in a way Babel cannot extract).
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

#: The languages the app offers: code -> the language's name in itself (what the menu shows).
LANGUAGES: dict[str, str] = {"en": "English", "ko": "한국어"}
#: The pseudo-locale: every message the catalog gives comes back between these marks.
PSEUDO = "pseudo"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"

_CLONE = Path(__file__).resolve().parents[2] / "resources" / "i18n"
#: Folders holding the compiled catalogs (<lang>.mo): the clone's, and the one the app adds when
#: installed from a wheel (the engine knows no app folders).
CATALOG_DIRS: list[Path] = [_CLONE] if _CLONE.is_dir() else []


_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
_english_terms = False


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for, as gettext reads it (LANGUAGE, LC_ALL, LC_MESSAGES,
    then LANG; the first one set decides): "ko" for a Korean locale (ko_KR.UTF-8), else "en"."""
    env = os.environ if environ is None else environ
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key, "")
        if value:
            first = value.split(":")[0].lower()  # LANGUAGE may list several: the first one leads
            return "ko" if first.startswith("ko") else "en"
    return "en"


def catalog_file(lang: str) -> Path | None:
    """The compiled catalog of `lang` from the first folder of CATALOG_DIRS that has it."""
    for folder in CATALOG_DIRS:
        if (folder / f"{lang}.mo").is_file():
            return folder / f"{lang}.mo"
    return None


def install(lang: str, english_terms: bool | None = None) -> str:
    """Make `lang` ("en", "ko" or "pseudo") the language of every message from now on; a
    language with no catalog falls back to English. Returns the language in use.
    `english_terms` (when given) switches "Show English terms" on or off."""
    global _translations, _language, _english_terms
    if english_terms is not None:
        _english_terms = bool(english_terms)
    path = catalog_file(lang) if lang != "en" else None
    if path is None:
        _translations, _language = gettext.NullTranslations(), "en"
        return _language
    with path.open("rb") as f:
        _translations = gettext.GNUTranslations(f)
    _language = lang
    return _language


def language() -> str:
    """The language in use: "en", "ko" or "pseudo"."""
    return _language


def english_terms() -> bool:
    """Whether "Show English terms" is on (it changes nothing in English)."""
    return _english_terms


def _(message: str) -> str:
    """`message` in the user's language (English when the catalog has no translation)."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count `n` by the language's plural rule; format its named
    placeholders afterwards: ngettext("{count} layer", "{count} layers", n).format(count=n)."""
    return _translations.ngettext(singular, plural, n)


def term(english: str) -> str:
    """A term of the field ("learning rate") in the user's language, followed by the English term
    in brackets when "Show English terms" is on and the translation differs: "학습률 (learning rate)"."""
    shown = _translations.gettext(english)
    if _english_terms and _language not in ("en", PSEUDO) and shown != english:
        return f"{shown} ({english})"
    return shown


_other_catalogs: dict[str, gettext.NullTranslations] = {}


def in_language(message: str, lang: str) -> str:
    """`message` in the language `lang`, whatever the user's is: for a text a project carries in each of
    its languages ({"en": "Step 2", "ko": "2단계"}). English when `lang` has no catalog."""
    if lang == _language:
        return _translations.gettext(message)
    if lang not in _other_catalogs:
        path = catalog_file(lang) if lang not in ("en", PSEUDO) else None
        if path is None:
            _other_catalogs[lang] = gettext.NullTranslations()
        else:
            with path.open("rb") as f:
                _other_catalogs[lang] = gettext.GNUTranslations(f)
    return _other_catalogs[lang].gettext(message)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it now: a constant translated where shown."""
    return message


def pick(text: object) -> str:
    """A text a project carries, as a string or one per language ({"en": "...", "ko": "..."}): the
    user's language, else English, else the first one given (anything else as str() says it)."""
    if not isinstance(text, Mapping):
        return str(text)
    lang = "en" if _language == PSEUDO else _language
    for key in (lang, "en"):
        if isinstance(text.get(key), str):
            return text[key]
    return next((v for v in text.values() if isinstance(v, str)), "")

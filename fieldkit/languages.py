"""The language registry: every UI language FieldKit ships, in one place.

``status`` is ``reviewed`` once a native speaker has checked the catalog, else ``draft``;
the language picker shows it honestly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    endonym: str
    english: str
    formatting: str
    fallbacks: tuple[str, ...] = ("en",)
    direction: str = "ltr"
    status: str = "draft"


LANGUAGES = (
    Language("en", "English", "English", "en", fallbacks=(), status="reviewed"),
    Language("fr", "Français", "French", "fr", status="draft"),
)

BY_CODE = {language.code: language for language in LANGUAGES}
CODES = tuple(BY_CODE)

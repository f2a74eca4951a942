"""The language registry: every UI language FieldKit ships, in one place.

Per language: its code, its name in itself (endonym, shown in the picker), its English
name, the CLDR locale its dates and numbers start from (the device's country is added at
run time: ``en`` + ``KE`` → ``en_KE``), the catalogs to fall back on, the text direction,
and a starting review status (what ``fieldkit translations status`` prints). The picker does
not read it: it shows a language as reviewed once every text of it has been reviewed on the
Translate page (``local_catalog.languages_with_status``), else honestly as "Wolof — draft".

``fieldkit translations add CODE`` appends a row above the marker line in ``LANGUAGES``.
This module also validates the language tags that record text carries (BCP 47).
"""

from __future__ import annotations

import re
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

    @property
    def reviewed(self) -> bool:
        return self.status == "reviewed"


LANGUAGES = (
    Language("en", "English", "English", "en", fallbacks=(), status="reviewed"),
    Language("fr", "Français", "French", "fr"),
    Language("sw", "Kiswahili", "Swahili", "sw_KE"),
    Language("hi", "हिन्दी", "Hindi", "hi_IN"),
    Language("id", "Bahasa Indonesia", "Indonesian", "id_ID"),
    Language("wo", "Wolof", "Wolof", "wo_SN", fallbacks=("fr", "en")),
    Language("zu", "isiZulu", "Zulu", "zu_ZA"),
    Language("ak", "Twi (Akan)", "Twi/Akan", "ak_GH"),
    # fieldkit translations add: new languages go above this line.
)

BY_CODE = {language.code: language for language in LANGUAGES}
CODES = tuple(BY_CODE)

#: Deprecated or duplicate codes and the code to use instead (CLDR's language aliases
#: plus the ones people type most): Indonesian was ``in``, Hebrew ``iw``, Twi is Akan.
ALIASES = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro", "tw": "ak", "twi": "ak"}

_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<rest>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?)$"
)


def alias_target(code: str) -> str | None:
    """The code to use instead of a deprecated one (``in`` → ``id``), else None."""
    code = code.strip().lower().replace("_", "-")
    if code in ALIASES:
        return ALIASES[code]
    try:
        from babel.core import get_global

        target = get_global("language_aliases").get(code)
    except Exception:  # noqa: BLE001 - Babel without alias data: our own table is enough
        target = None
    return target.replace("_", "-") if target and target != code else None


def canonical_tag(value: str) -> str | None:
    """A well-formed BCP 47 tag in canonical case with deprecated codes replaced, or None.

    Languages outside CLDR (Dagbani ``dag``, Ga ``gaa``) are accepted: only the shape of
    the tag is checked, so a community's language is never refused for being rare.
    """
    text = (value or "").strip().replace("_", "-").lower()
    match = _TAG.match(text)
    if not match or len(text) > 35:
        return None
    language = match["language"]
    language = (alias_target(language) or language).split("-")[0]
    parts = [language]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    tag = "-".join(parts) + match["rest"]
    return tag


def locale_code(tag: str) -> str:
    """A BCP 47 tag as a Babel/gettext locale identifier (``sw-KE`` → ``sw_KE``)."""
    return tag.replace("-", "_")

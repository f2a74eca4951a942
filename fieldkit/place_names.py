"""How place names are compared and how a place is identified, whoever typed or imported it.

Two spellings are the same name when they fold alike: case, accents on Latin letters,
punctuation and spacing do not count ("Kédougou", "KEDOUGOU", "kedougou" and "Ke-dougou" are
one name). Marks of other scripts are kept: a Devanagari vowel sign is part of the word.

A place's id is made from what it is, not drawn at random: its country, level, parent and
folded name. Two devices that add the same community offline, or a CSV imported twice, make
the same row, which the sync merges into one instead of offering two.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

from .records import PLACE_LEVELS

#: The levels of the hierarchy, from the widest; a facility of any kind is the last level.
LEVELS = ("region", "district", "ward", "community", "facility")


@lru_cache(maxsize=200_000)  # a country's names are folded at every keystroke of a place field
def fold(name: str) -> str:
    """The form of a name that comparisons use: no case, no accents on Latin letters, no punctuation."""
    kept = []
    base_is_latin = False
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(char):
            if not base_is_latin:
                kept.append(char)
            continue
        base_is_latin = char < "\u0250"
        kept.append(char if char.isalnum() or unicodedata.category(char)[0] == "M" else " ")
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).casefold().split())


def level_of(kind: str) -> str:
    """The level of a kind of place: its own for region to community, else ``facility``."""
    return PLACE_LEVELS.get(kind, "facility")


def place_id(country: str, level: str, parent_id: str | None, name: str) -> str:
    """The id of the place named ``name`` at ``level`` under ``parent_id`` in ``country``."""
    key = "\x1f".join((country, level, parent_id or "", fold(name)))
    return "pl" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

"""Every FieldKit setting, declared once: name, default, type and help.

A setting is read, last one wins, from: its default here; ``settings.json`` in the data
folder; the environment variable ``FIELDKIT_<NAME>``; the ``config`` given to
``create_app`` (tests). The README's settings table is checked against this list.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .i18n import gettext as _


class SettingError(ValueError):
    """A setting's stored or environment value cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    minimum: int | None = None
    maximum: int | None = None

    @property
    def env(self) -> str:
        return f"FIELDKIT_{self.name}"

    def parse(self, text: str) -> Any:
        """Read the setting from the text of an environment variable."""
        if isinstance(self.default, bool):
            return text.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(self.default, int):
            try:
                return int(text)
            except ValueError:
                raise SettingError(
                    _("%(setting)s must be a whole number, not %(value)s", setting=self.env, value=repr(text))
                ) from None
        return text

    def check(self, value: Any) -> Any:
        """The value if it is within this setting's bounds.

        :raises SettingError: naming the setting and its allowed range.
        """
        if isinstance(self.default, int) and not isinstance(self.default, bool):
            if isinstance(value, bool) or not isinstance(value, int):
                value = self.parse(str(value))
            low = self.minimum if self.minimum is not None else value
            high = self.maximum if self.maximum is not None else value
            if not low <= value <= high:
                raise SettingError(
                    _(
                        "%(setting)s must be between %(minimum)s and %(maximum)s, not %(value)s",
                        setting=self.env,
                        minimum=self.minimum,
                        maximum=self.maximum,
                        value=value,
                    )
                )
        return value


SETTINGS = (
    Setting("COUNTRY", "KE", "ISO country code new records default to (KE, GH, IN, ID, SN, ZA ...)."),
    Setting("ORG", "local", "Partner organisation this device records for (set by enrolment)."),
    Setting("DEFAULT_LANGUAGE", "en", "UI language used when the browser asks for none we ship."),
    Setting("MAX_UPLOAD_MB", 25, "Largest attachment accepted, in megabytes.", minimum=1, maximum=1000),
    Setting(
        "NO_RESPONSE_DAYS",
        30,
        "An open issue with no government response for this many days needs attention.",
        minimum=1,
        maximum=3650,
    ),
    Setting("PAGE_SIZE", 25, "Issues shown per page in lists.", minimum=5, maximum=200),
    Setting(
        "AUTHOR", "", "Name recorded as the author of changes made on this device (Settings → Your name)."
    ),
    Setting(
        "TIME_ZONE",
        "",
        "IANA time zone pages show times in (Africa/Nairobi ...); empty: the computer's own zone.",
    ),
    Setting(
        "BACKUP_DIR",
        "",
        "Folder (e.g. on a USB stick) for the automatic daily backup; empty: no automatic backup.",
    ),
    Setting(
        "BACKUP_KEEP", 7, "How many automatic backups to keep in the backup folder.", minimum=1, maximum=365
    ),
    Setting("HUB_HOST", "0.0.0.0", "Address the community hub listens on (every network by default)."),  # noqa: S104
    Setting(
        "SESSION_IDLE_MINUTES",
        60,
        "Central: an account's session ends after this many minutes without a request.",
        minimum=5,
        maximum=24 * 60,
    ),
    Setting(
        "HUB_PORT",
        8080,
        "Port of the community hub when it is switched on from Settings.",
        minimum=1,
        maximum=65535,
    ),
)

BY_NAME = {s.name: s for s in SETTINGS}


def load(data_dir: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Resolve every setting for a data folder: defaults, settings.json, environment, overrides."""
    values = {s.name: s.default for s in SETTINGS}
    stored = data_dir / "settings.json"
    if stored.is_file():
        try:
            saved = json.loads(stored.read_text(encoding="utf-8"))
        except ValueError:
            saved = {}
        values.update({k: v for k, v in saved.items() if k in BY_NAME})
    for setting in SETTINGS:
        if setting.env in os.environ:
            values[setting.name] = setting.parse(os.environ[setting.env])
    values.update({k: v for k, v in (overrides or {}).items() if k in BY_NAME})
    return {name: BY_NAME[name].check(value) for name, value in values.items()}


def save(data_dir: Path, changes: dict[str, Any]) -> None:
    """Store settings changed from the Settings page in the data folder's settings.json."""
    stored = data_dir / "settings.json"
    saved = json.loads(stored.read_text(encoding="utf-8")) if stored.is_file() else {}
    saved.update({k: v for k, v in changes.items() if k in BY_NAME})
    tmp = stored.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(stored)

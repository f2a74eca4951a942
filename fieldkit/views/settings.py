"""Settings and About: where the data and log are, the community hub, backups.

Only this laptop's owner may see or change these (roles.ROUTES); phones get 403, and the
central role does not mount them at all.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import backup as backups
from .. import hub, instance, times
from .. import settings as stored_settings
from .. import validation as v
from ..i18n import gettext as _
from ..validation import Invalid

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _device_id() -> str:
    from sync import journal

    from ..db import get_db

    return journal.device_id(get_db()) or ""


def _page(errors=None, values=None, status=200, message=None):
    config = current_app.config
    data_dir = Path(config["DATA_DIR"])
    from ..desktop import log_path

    state = hub.of()
    return render_template(
        "settings/index.html",
        data_dir=str(data_dir),
        database=config["DATABASE"],
        log_file=str(log_path(data_dir)),
        device_id=_device_id(),
        hub=state,
        pin_min_digits=hub.PIN_MIN_DIGITS,
        errors=errors or {},
        values={
            "backup_dir": config.get("BACKUP_DIR", ""),
            "pin": "",
            "author": config.get("AUTHOR", ""),
            "time_zone": times.configured_zone(config),
        }
        | (values or {}),
        # NOTE: IANA names are shown as they are (the words a computer's clock settings use).
        zones={
            name: name if name != "UTC" else _("Coordinated Universal Time (UTC)")
            for name in times.zone_names()
        },
        last_backup=backups.last_state(data_dir),
        message=message,
    ), status


@bp.get("/")
def index():
    return _page(message=request.args.get("done"))


@bp.post("/name")
def change_name():
    """The name recorded as the author of edits made on this laptop (empty: no name)."""
    text = " ".join(request.form.get("author", "").split())
    try:
        name = v.text(text, max_length=hub.NAME_MAX)
    except Invalid as error:
        return _page(errors={"author": str(error)}, values={"author": text}, status=422)
    stored_settings.save(Path(current_app.config["DATA_DIR"]), {"AUTHOR": name})
    current_app.config["AUTHOR"] = name
    return redirect(url_for("settings.index", done="name"), code=303)


@bp.post("/time-zone")
def change_time_zone():
    """The time zone every page shows times in (stored times stay UTC)."""
    name = request.form.get("time_zone", "").strip()
    if name not in times.zone_names():
        return _page(
            errors={"time_zone": _("Choose a time zone from the list.")},
            values={"time_zone": name},
            status=422,
        )
    stored_settings.save(Path(current_app.config["DATA_DIR"]), {"TIME_ZONE": name})
    current_app.config["TIME_ZONE"] = name
    return redirect(url_for("settings.index", done="time-zone"), code=303)


@bp.post("/hub")
def switch_hub():
    """Turn hub mode on (listen on the network) or off."""
    state = hub.of()
    if request.form.get("hub") == "on":
        try:
            state.start(
                current_app._get_current_object(),
                current_app.config["HUB_HOST"],
                current_app.config["HUB_PORT"],
            )
        except OSError as error:
            return _page(
                errors={
                    "hub": _(
                        "The hub could not start listening: %(reason)s", reason=error.strerror or str(error)
                    )
                },
                status=422,
            )
        return redirect(url_for("settings.index", done="hub-on"), code=303)
    state.stop()
    return redirect(url_for("settings.index", done="hub-off"), code=303)


@bp.post("/pin")
def change_pin():
    """A new session PIN (typed, or a random one): every phone must enter it again."""
    pin = request.form.get("pin", "").strip()
    if pin and (not pin.isascii() or not pin.isdigit() or not hub.PIN_MIN_DIGITS <= len(pin) <= 12):
        return _page(
            errors={"pin": _("A PIN is %(minimum)s to 12 digits.", minimum=hub.PIN_MIN_DIGITS)},
            values={"pin": pin, "backup_dir": current_app.config.get("BACKUP_DIR", "")},
            status=422,
        )
    hub.of().set_pin(pin or None)
    return redirect(url_for("settings.index", done="pin"), code=303)


@bp.post("/pin/unlock")
def clear_pin_lockout():
    """After too many wrong PINs, let phones try again (only this laptop can)."""
    hub.of().clear_lockout()
    return redirect(url_for("settings.index", done="pin-unlocked"), code=303)


def _backup_folder(text: str) -> Path:
    """:raises Invalid: if the text is not a usable absolute folder path."""
    text = text.strip()
    if not text:
        raise Invalid(_("Choose a folder, for example on a USB stick."))
    folder = Path(text).expanduser()
    if not folder.is_absolute():
        raise Invalid(_("Type the full path of the folder, e.g. /media/usb/FieldKit or E:\\FieldKit."))
    if not folder.parent.is_dir():
        raise Invalid(
            _(
                "The folder %(folder)s cannot be reached. Is the USB stick plugged in?",
                folder=str(folder.parent),
            )
        )
    return folder


@bp.post("/backup-folder")
def choose_backup_folder():
    """Choose (or clear) the folder for the automatic daily backup."""
    text = request.form.get("backup_dir", "")
    data_dir = Path(current_app.config["DATA_DIR"])
    if not text.strip():
        stored_settings.save(data_dir, {"BACKUP_DIR": ""})
        current_app.config["BACKUP_DIR"] = ""
        return redirect(url_for("settings.index", done="backup-folder"), code=303)
    try:
        folder = _backup_folder(text)
    except Invalid as error:
        return _page(errors={"backup_dir": str(error)}, values={"backup_dir": text, "pin": ""}, status=422)
    stored_settings.save(data_dir, {"BACKUP_DIR": str(folder)})
    current_app.config["BACKUP_DIR"] = str(folder)
    return redirect(url_for("settings.index", done="backup-folder"), code=303)


@bp.post("/backup")
def backup_now():
    """Back up now to the chosen folder."""
    data_dir = Path(current_app.config["DATA_DIR"])
    text = request.form.get("backup_dir") or current_app.config.get("BACKUP_DIR", "")
    try:
        folder = _backup_folder(text)
        backups.backup_now(data_dir, folder, keep=current_app.config.get("BACKUP_KEEP", 7))
    except (Invalid, backups.BackupError) as error:
        return _page(errors={"backup_dir": str(error)}, values={"backup_dir": text, "pin": ""}, status=422)
    return redirect(url_for("settings.index", done="backup"), code=303)


def init_app(app) -> None:
    """The Settings page plus what it controls: the hub gate and the desktop window endpoint."""
    hub.init_app(app)
    instance.init_app(app)
    app.register_blueprint(bp)

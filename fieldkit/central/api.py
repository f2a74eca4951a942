"""The sync API, version 1, mounted under /api/v1/: a thin skin over ``sync.server``.

Every answer is JSON (gzip when the device accepts it); every error a JSON problem body
made by fieldkit.errors. The device token travels only in the ``Authorization`` header and is
checked by central's guard (roles.ROUTES says which calls need it), never by a session cookie.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request, send_file

from sync import journal, keys, protocol, server
from sync.blobs import SHA256, BlobDir
from sync.errors import AuthError, Forbidden, Incompatible, ProtocolError, TooLarge

from ..db import get_db
from . import queries

bp = Blueprint("sync_api", __name__, url_prefix=protocol.PREFIX)

#: A whole number as the protocol writes one: ASCII digits that fit SQLite's 64-bit integers.
WHOLE = re.compile(r"[0-9]{1,18}", re.ASCII)
#: A device clock in milliseconds since 1970: up to the year 2286.
CLOCK_MS = re.compile(r"[0-9]{1,13}", re.ASCII)


def _coded(error, code: str):
    """``error`` with a code more precise than its class's, so that a device can say it in its language."""
    error.code = code
    return error


def _whole(text: str | None, name: str, default: int) -> int:
    """A whole-number parameter, or ProtocolError (a JSON problem) naming it."""
    if text is None:
        return default
    if not WHOLE.fullmatch(text.strip()):
        raise ProtocolError(f"{name} must be a whole number from 0 to 999999999999999999")
    return int(text)


#: This API described in OpenAPI 3, kept beside this module (tests check it against the routes).
OPENAPI = Path(__file__).with_name("openapi.json")


def _json(value, status: int = 200) -> Response:
    body = protocol.encode(value)
    response = Response(body, status=status, mimetype="application/json")
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(body) > 512:
        response.set_data(protocol.gzip_bytes(body))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-store"
    return response


def _body():
    if request.content_length and request.content_length > protocol.MAX_BODY_BYTES:
        raise TooLarge("the request body is too large")
    return protocol.decode_body(request.get_data(cache=False), request.headers.get("Content-Encoding"))


def check_version() -> None:
    """:raises Incompatible: the device speaks another protocol version."""
    version = request.headers.get(protocol.HEADER_VERSION)
    if version is not None and version != str(protocol.VERSION):
        raise Incompatible(
            f"this server speaks FieldKit sync protocol {protocol.VERSION} and this device speaks {version[:40]}: "
            "update FieldKit on the older side"
        )


def authenticate() -> dict:
    """The enrolled device whose token this request carries (also on ``g.device``, ``g.peer``).

    Called by central's guard for every call the role table opens to device tokens.

    :raises AuthError: no token, an unknown one, or a revoked device.
    """
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise AuthError("this device is not enrolled: no device token was sent")
    device = queries.device_by_token(get_db(), header[7:].strip())
    if device is None:
        raise AuthError("this device token is not known here: enrol the device again")
    if device["revoked_at"]:
        raise _coded(
            AuthError("this device was revoked at central: ask your country team for a new enrolment code"),
            "revoked",
        )
    g.peer = server.Peer(device["device_id"], device["org"], device["country"], queries.grants_of(device))
    g.device = device
    return device


def _saw(implausible: int = 0) -> None:
    clock = request.headers.get(protocol.HEADER_CLOCK, "").strip()
    offset = int(clock) - time.time_ns() // 1_000_000 if CLOCK_MS.fullmatch(clock) else None
    queries.saw_device(
        get_db(),
        g.peer.device_id,
        app_version=request.headers.get(protocol.HEADER_APP, ""),
        clock_offset_ms=offset,
        implausible=implausible,
    )


@bp.get("/info")
def info():
    conn = get_db()
    return _json(
        {
            "protocol": protocol.VERSION,
            "server_id": journal.device_id(conn),
            "server_key": keys.public_key(
                journal.replica_value(conn, "signing_key") or keys.new_private_key()
            ),
            "app_version": current_app.config.get("VERSION", ""),
        }
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json")


@bp.post("/enroll")
def enroll():
    body = _body()
    if not isinstance(body, dict):
        raise ProtocolError("the enrolment request must be an object")
    code, device_id = str(body.get("code", "")), str(body.get("device_id", ""))
    public_key = str(body.get("public_key", ""))
    if not code or not protocol.DEVICE.match(device_id) or not public_key:
        raise ProtocolError("an enrolment needs a code, a device id and a public key")
    conn = get_db()
    granted = queries.redeem_code(conn, code, device_id, public_key, str(body.get("app_version", ""))[:40])
    if granted is None:
        if queries.device(conn, device_id) is not None:
            raise _coded(
                Forbidden(
                    "this device is already enrolled at this server and an enrolment code works only once: "
                    "ask a central admin to re-enrol it"
                ),
                "already-enrolled",
            )
        raise _coded(
            Forbidden(
                "this enrolment code is wrong, expired or already used: ask your country team for a new one"
            ),
            "enrolment-code",
        )
    private = journal.replica_value(conn, "signing_key")
    return _json(
        {
            **granted,
            "device_id": device_id,
            "server_id": journal.device_id(conn),
            "server_key": keys.public_key(private) if private else "",
        }
    )


@bp.get("/state")
def state():
    conn = get_db()
    _saw()
    return _json(
        {
            "device_id": g.peer.device_id,
            "acked": server.acked(conn, server.replica_of(conn, g.peer, request.args.get("replica"))),
            "org": g.peer.org,
            "country": g.peer.country,
        }
    )


@bp.post("/push")
def push():
    body = _body()
    if not isinstance(body, dict) or not isinstance(body.get("device_id"), str):
        raise Forbidden("a push must carry this device's own id")
    stats: dict = {}
    answer = server.push(get_db(), g.peer, body.get("ops"), stats=stats, replica=body["device_id"])
    _saw(stats.get("implausible", 0))
    return _json(answer)


@bp.get("/ops")
def ops():
    after = _whole(request.args.get("after"), "after", 0)
    limit = _whole(request.args.get("limit"), "limit", 1000)
    return _json(server.pull(get_db(), g.peer, after, limit, replica=request.args.get("replica")))


@bp.post("/replicas")
def claim_replica():
    """This enrolled device also writes as another journal id (it was restored from a backup)."""
    body = _body()
    if not isinstance(body, dict):
        raise ProtocolError("a claim must be an object")
    server.claim_replica(get_db(), g.peer, body.get("replica_id"))
    return _json({"replica_id": body["replica_id"], "device_id": g.peer.device_id})


def _blobs() -> BlobDir:
    return BlobDir(current_app.config["DATA_DIR"] + "/blobs")


def _sha(sha256: str) -> str:
    if not SHA256.match(sha256):
        raise ProtocolError("not a SHA-256 hex digest")
    return sha256


@bp.post("/blobs/missing")
def blobs_missing():
    body = _body()
    shas = body.get("sha256") if isinstance(body, dict) else None
    if not isinstance(shas, list) or len(shas) > 1000 or not all(isinstance(s, str) for s in shas):
        raise ProtocolError("sha256 must be a list of at most 1000 digests")
    store = _blobs()
    conn = get_db()
    missing = [
        s for s in shas if SHA256.match(s) and not store.has(s) and server.blob_in_scope(conn, g.peer, s)
    ]
    return _json({"missing": missing})


@bp.get("/blobs/<sha256>/upload")
def upload_offset(sha256):
    store = _blobs()
    sha = _sha(sha256)
    if store.has(sha):
        return _json({"offset": 0, "complete": True})
    return _json({"offset": store.offset(sha), "complete": False})


@bp.post("/blobs/<sha256>/upload")
def upload_chunk(sha256):
    sha = _sha(sha256)
    store = _blobs()
    if store.has(sha):
        return _json({"offset": store.path(sha).stat().st_size, "complete": True})
    if not server.blob_in_scope(get_db(), g.peer, sha):
        raise Forbidden("no attachment in this device's scope refers to this file")
    offset = _whole(request.headers.get("Upload-Offset", ""), "Upload-Offset", 0)
    data = request.get_data(cache=False)
    if len(data) > protocol.CHUNK_BYTES * 4:
        raise TooLarge("a chunk is too large")
    limit = current_app.config.get("MAX_UPLOAD_MB", 25) * (1 << 20)
    if offset + len(data) > limit:
        raise TooLarge("this file is larger than the upload limit")
    try:
        offset = store.append(sha, offset, data)
    except ValueError as mismatch:
        error = ProtocolError(f"the upload continues at byte {mismatch.args[0]}")
        error.code = "offset-mismatch"
        error.status = 409
        raise error from None
    if request.headers.get("Upload-Complete") == "1":
        if not store.finish(sha):
            raise ProtocolError("the uploaded file does not match its SHA-256: it was discarded")
        return _json({"offset": offset, "complete": True})
    return _json({"offset": offset, "complete": False})


@bp.get("/blobs/<sha256>")
def download(sha256):
    sha = _sha(sha256)
    store = _blobs()
    if not server.blob_in_scope(get_db(), g.peer, sha) or not store.has(sha):
        raise Forbidden("this file is not in this device's scope or not here yet")
    return send_file(store.path(sha), mimetype="application/octet-stream", conditional=True, max_age=0)

"""The sync protocol: version, headers, limits, body encoding and op validation.

Version 1 lives under ``/api/v1/``. Bodies are JSON, gzip-compressed in both directions
(``Content-Encoding: gzip`` on requests, negotiated on responses). Every error is a JSON
problem body (RFC 9457) with a ``code`` the client can act on.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from . import journal
from .errors import ProtocolError, TooLarge

VERSION = 1
PREFIX = f"/api/v{VERSION}"

HEADER_VERSION = "FieldKit-Protocol"
HEADER_CLOCK = "FieldKit-Clock"
HEADER_APP = "FieldKit-App-Version"

#: Most ops one push may carry, and most bytes its body may expand to.
MAX_BATCH_OPS = 2000
MAX_BODY_BYTES = 16 * (1 << 20)
MAX_PAGE = 5000
#: Largest sequence number or cursor (SQLite's integers are 64-bit).
MAX_SEQ = (1 << 62) - 1
CHUNK_BYTES = 256 * 1024

KINDS = {"create", "set", "delete", "link", "resolve"}
HLC = re.compile(r"^\d{13}-\d{4,}-[0-9a-zA-Z]{1,64}$")
DEVICE = re.compile(r"^[0-9a-zA-Z]{1,64}$")
ROW_ID = re.compile(r"^[0-9a-zA-Z._-]{1,80}$")
DOT = re.compile(r"^[0-9a-zA-Z]{1,64}:\d{1,18}$")


def encode(value: Any) -> bytes:
    """Compact JSON bytes (text that is not valid Unicode, a lone surrogate, travels escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def decode_body(data: bytes, encoding: str | None) -> Any:
    """A request body as JSON, gunzipped if so declared, refusing bombs.

    :raises ProtocolError: damaged, too large or not JSON.
    """
    if encoding and encoding.lower() == "gzip":
        try:
            with gzip.GzipFile(fileobj=__import__("io").BytesIO(data)) as stream:
                data = stream.read(MAX_BODY_BYTES + 1)
        except (OSError, EOFError) as error:
            raise ProtocolError("the request body is not valid gzip") from error
    elif encoding:
        raise ProtocolError(f"unsupported content encoding {encoding!r}")
    if len(data) > MAX_BODY_BYTES:
        raise TooLarge("the request body is too large")
    try:
        return json.loads(data or b"null")
    except ValueError as error:
        raise ProtocolError("the request body is not JSON") from error


def _is_base_value(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return bool(DOT.match(value))
    return (
        isinstance(value, list)
        and len(value) <= 1000
        and all(isinstance(v, str) and DOT.match(v) for v in value)
    )


def validate_envelope(op: Any) -> None:
    """Check what every op has whatever its table: its id, row, kind and time.

    :raises ProtocolError: with the reason.
    """
    if not isinstance(op, dict):
        raise ProtocolError("an op is not an object")
    if not (isinstance(op.get("device_id"), str) and DEVICE.match(op["device_id"])):
        raise ProtocolError("bad device_id")
    dseq = op.get("dseq")
    if not (isinstance(dseq, int) and not isinstance(dseq, bool) and 0 < dseq < 1 << 62):
        raise ProtocolError("bad dseq")
    if not (isinstance(op.get("row_id"), str) and ROW_ID.match(op["row_id"])):
        raise ProtocolError("bad row_id")
    if not isinstance(op.get("kind"), str) or op["kind"] not in KINDS:
        raise ProtocolError("bad kind")
    if not (isinstance(op.get("hlc"), str) and HLC.match(op["hlc"])):
        raise ProtocolError("bad hlc")
    if not isinstance(op.get("fields"), dict) or not isinstance(op.get("base"), dict):
        raise ProtocolError("bad fields or base")
    seq = op.get("server_seq")
    if seq is not None and not (isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq <= MAX_SEQ):
        raise ProtocolError("bad server_seq")


def validate_op(op: Any, *, values: bool = True) -> dict:
    """Check one op's shape and names against the synced tables; returns it.

    :raises ProtocolError: with the reason, if anything is malformed or unknown.
    """
    if not isinstance(op, dict):
        raise ProtocolError("an op is not an object")
    try:
        device_id, dseq, table, row_id = op["device_id"], op["dseq"], op["tbl"], op["row_id"]
        kind, fields, base, hlc = op["kind"], op["fields"], op["base"], op["hlc"]
    except KeyError as missing:
        raise ProtocolError(f"an op lacks {missing}") from None
    author = op.get("author", "")
    if not (isinstance(device_id, str) and DEVICE.match(device_id)):
        raise ProtocolError("bad device_id")
    if not (isinstance(dseq, int) and not isinstance(dseq, bool) and 0 < dseq < 1 << 62):
        raise ProtocolError("bad dseq")
    if not isinstance(table, str) or table not in journal.SYNCED:
        raise ProtocolError(f"table {table!r} is not synced")
    if not (isinstance(row_id, str) and ROW_ID.match(row_id)):
        raise ProtocolError("bad row_id")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ProtocolError(f"bad kind {kind!r}")
    if not isinstance(fields, dict) or set(fields) - journal.SYNCED[table]:
        raise ProtocolError(f"unknown fields for {table}")
    # (Central checks every value against its declaration instead: ``values=False``.)
    for value in fields.values() if values else ():
        if not (value is None or isinstance(value, (str, int, float))):
            raise ProtocolError("a field value is not a scalar")
    if not isinstance(base, dict) or not all(_is_base_value(v) for v in base.values()):
        raise ProtocolError("bad base dots")
    if not (isinstance(hlc, str) and HLC.match(hlc)):
        raise ProtocolError("bad hlc")
    if not isinstance(author, str) or len(author) > 200:
        raise ProtocolError("bad author")
    return {
        "device_id": device_id,
        "dseq": dseq,
        "tbl": table,
        "row_id": row_id,
        "kind": kind,
        "fields": fields,
        "base": base,
        "hlc": hlc,
        "author": author,
    }


def wire_op(op: dict) -> dict:
    """An op as sent: no local-only keys."""
    return {
        k: op[k]
        for k in (
            "device_id",
            "dseq",
            "tbl",
            "row_id",
            "kind",
            "fields",
            "base",
            "hlc",
            "author",
            "server_seq",
        )
        if op.get(k) is not None
    }

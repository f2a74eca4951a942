"""Identifiers and clocks: UUIDv7 row ids, device ids, op dots and the hybrid logical clock.

A *dot* names one op: ``"<device_id>:<dseq>"``. Dots are compared for equality only; no
ordering between dots of different devices is ever derived from wall clocks.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid


def uuid7() -> str:
    """A new UUIDv7 as text: time-ordered, so new rows cluster at the end of indexes."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def new_device_id() -> str:
    """A random 64-bit device id as 16 hex digits (short enough to repeat in every dot)."""
    return secrets.token_hex(8)


def dot(device_id: str, dseq: int) -> str:
    """The dot naming op ``dseq`` of ``device_id``."""
    return f"{device_id}:{dseq}"


def parse_dot(value: str) -> tuple[str, int]:
    """Split a dot into (device_id, dseq).

    :raises ValueError: if the text is not a dot.
    """
    device_id, _, dseq = value.rpartition(":")
    if not device_id or not dseq.isdigit():
        raise ValueError(f"not a dot: {value!r}")
    return device_id, int(dseq)


def hlc_now(last: str | None, device_id: str) -> str:
    """The next hybrid-logical-clock stamp after ``last``: ``"<ms>-<counter>-<device>"``.

    Kept as data for display ("observed at"), never used to order or decide anything.
    """
    wall = time.time_ns() // 1_000_000
    last_ms, last_counter = 0, 0
    if last:
        ms_text, counter_text, _ = last.split("-", 2)
        last_ms, last_counter = int(ms_text), int(counter_text)
    if wall > last_ms:
        return f"{wall:013d}-0000-{device_id}"
    return f"{last_ms:013d}-{last_counter + 1:04d}-{device_id}"


def hlc_millis(stamp: str) -> int:
    """The physical milliseconds of an HLC stamp."""
    return int(stamp.split("-", 1)[0])

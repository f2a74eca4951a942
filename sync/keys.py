"""Ed25519 keys and signatures for devices and the central server, and token hashing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from . import journal


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> str:
    """A fresh Ed25519 private key as text."""
    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _b64(raw)


def public_key(private_text: str) -> str:
    """The public half of a private key, as text."""
    key = Ed25519PrivateKey.from_private_bytes(_unb64(private_text))
    return _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(private_text: str, data: bytes) -> str:
    """An Ed25519 signature of ``data``."""
    return _b64(Ed25519PrivateKey.from_private_bytes(_unb64(private_text)).sign(data))


def verify(public_text: str, data: bytes, signature: str) -> bool:
    """Whether ``signature`` is the key's signature of ``data``."""
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(public_text)).verify(_unb64(signature), data)
        return True
    except (InvalidSignature, ValueError):
        return False


def replica_key(conn) -> str:
    """This replica's private signing key, created on first use (inside a transaction)."""
    key = journal.replica_value(conn, "signing_key")
    if not key:
        key = new_private_key()
        journal.set_replica_value(conn, "signing_key", key)
    return key


def new_secret() -> str:
    """A random secret for tokens and enrolment codes."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """What central stores instead of a token or code: its SHA-256."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_secret(secret))

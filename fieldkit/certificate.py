"""The hub's HTTPS certificate: made once per install, kept owner-only in the data folder.

Phones only give a page their location (and only run a service worker) in a secure context,
and plain HTTP on the laptop's Wi-Fi is not one. There is no public name to get a certificate
for, so each install makes its own small authority the first time the hub starts:

    hub-ca.pem / hub-ca.key     this install's authority (10 years). A phone trusts it once;
                                its SHA-256 fingerprint is shown on the laptop so the person
                                installing it can check they got the laptop's and no other.
                                Name-constrained to private, loopback and link-local
                                addresses and this laptop's own name, so even a stolen key
                                cannot vouch for a site on the internet.
    hub.pem / hub.key           the server certificate the hub presents, signed by the
                                authority, naming the laptop's current addresses and host
                                name. Made again (phones need not trust anything new) when
                                the laptop's address changes or it nears its end.

Keys are ECDSA P-256: small, and the handshake is cheap for a 2-core laptop and old phones.
Built with ``cryptography`` (no hand-written cryptography).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE, CA_KEY = "hub-ca.pem", "hub-ca.key"
CERT_FILE, CERT_KEY = "hub.pem", "hub.key"
CA_DAYS = 3650
#: Browsers refuse longer-lived server certificates (398 days) even from a trusted authority.
CERT_DAYS = 397
#: The server certificate is made again when it has fewer days left than this.
RENEW_DAYS = 30

#: What the authority may vouch for: addresses a laptop's Wi-Fi or hotspot hands out.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


@dataclass(frozen=True)
class HubCertificate:
    """Paths of the files the hub serves with, and the fingerprint phones check."""

    ca_path: Path
    cert_path: Path
    key_path: Path
    fingerprint: str

    def server_context(self) -> ssl.SSLContext:
        """A TLS context presenting the hub's certificate (and its authority) to phones."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def ca_pem(self) -> bytes:
        return self.ca_path.read_bytes()


def fingerprint_of(pem: bytes) -> str:
    """SHA-256 fingerprint of a PEM certificate, as browsers show it (``AB:CD:…``)."""
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only, replacing ``path`` at once."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def host_name() -> str:
    """This laptop's host name as phones may type it (lower case, no domain), or ''."""
    name = socket.gethostname().split(".")[0].lower()
    return name if name and name.isascii() and name.replace("-", "").isalnum() else ""


def _make_ca(data_dir: Path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FieldKit hub"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"FieldKit hub {host_name() or 'laptop'}"),
        ]
    )
    permitted: list[x509.GeneralName] = [x509.IPAddress(n) for n in PRIVATE_NETWORKS]
    permitted += [x509.DNSName(n) for n in ("localhost", "local", host_name()) if n]
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(data_dir / CA_KEY, _key_pem(key))
    _write_private(data_dir / CA_FILE, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _allowed(address: ipaddress._BaseAddress) -> bool:
    return any(address.version == n.version and address in n for n in PRIVATE_NETWORKS)


def _permits(ca_cert: x509.Certificate, name: str) -> bool:
    constraints = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    allowed = [g.value for g in constraints.permitted_subtrees or [] if isinstance(g, x509.DNSName)]
    return any(name == base or name.endswith("." + base) for base in allowed)


def _names_of(cert: x509.Certificate) -> tuple[set, set]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(san.get_values_for_type(x509.IPAddress)), set(san.get_values_for_type(x509.DNSName))


def _make_server_cert(data_dir: Path, ca_cert, ca_key, ips: set, dns: set) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in sorted(dns)]
    names += [x509.IPAddress(a) for a in sorted(ips, key=lambda a: (a.version, int(a)))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name() or "FieldKit hub")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(data_dir / CERT_KEY, _key_pem(key))
    _write_private(data_dir / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))


def ensure(data_dir: Path, addresses: list[str]) -> HubCertificate:
    """The hub's certificate files in ``data_dir``, made (or renewed) as needed so that the server
    certificate names every one of ``addresses`` (IP addresses, as phones reach the hub) that a
    local network may use, plus ``localhost`` and this laptop's host name.
    """
    data_dir = Path(data_dir)
    ca_path, ca_key_path = data_dir / CA_FILE, data_dir / CA_KEY
    if ca_path.is_file() and ca_key_path.is_file():
        ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    else:
        ca_cert, ca_key = _make_ca(data_dir)
    wanted_ips = {ipaddress.ip_address("127.0.0.1")}
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            continue
        if _allowed(address):
            wanted_ips.add(address)
    # A name the authority was not made for would make phones refuse the whole certificate
    # (the laptop was renamed since): leave it out, its addresses still work.
    wanted_dns = {n for n in ("localhost", host_name()) if n and _permits(ca_cert, n)}
    cert_path, key_path = data_dir / CERT_FILE, data_dir / CERT_KEY
    renew = True
    if cert_path.is_file() and key_path.is_file():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        ips, dns = _names_of(cert)
        fresh = cert.not_valid_after_utc - _now() > dt.timedelta(days=RENEW_DAYS)
        signed_by_ours = cert.issuer == ca_cert.subject
        renew = not (fresh and signed_by_ours and wanted_ips <= ips and wanted_dns <= dns)
        wanted_ips |= ips if fresh else set()
    if renew:
        _make_server_cert(data_dir, ca_cert, ca_key, wanted_ips, wanted_dns)
    return HubCertificate(ca_path, cert_path, key_path, fingerprint_of(ca_path.read_bytes()))

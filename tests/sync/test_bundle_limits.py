"""A bundle from outside is read streaming with hard limits: a zip bomb, a lying size, too many
files, odd names or a changed file are refused whole, cleanly, and in little memory - shown by
running ``fieldkit central bundle import`` in a child process whose address space is capped."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import pytest

from fieldkit.db import connect
from sync import bundle as bundles
from sync import journal
from sync.errors import BundleError
from tests.conftest import issue_form

MB = 1 << 20
MEMORY_CAP = 200 * MB


@pytest.fixture
def enrolled(make_device, central_app, tmp_path):
    """A device enrolled at central with one issue, and a genuine bundle of it."""
    device = make_device()
    device.enroll()
    client = device.app.test_client()
    page = client.get("/issues/new").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/issues/new", data=issue_form(csrf_token=token)).status_code == 303
    path = tmp_path / "genuine.bundle"
    bundles.export_device(device.conn, path, Path(device.app.config["DATA_DIR"]) / "blobs")
    device.id = journal.replica_value(device.conn, "sync_device_id") or journal.device_id(device.conn)
    device.bundle = path
    return device


def opening(device_id: str) -> bytes:
    return f'{{"format":"fieldkit-bundle","version":1,"kind":"push","from":"{device_id}","ops":['.encode()


def zeros_member(archive: zipfile.ZipFile, name: str, head: bytes, size: int) -> None:
    """A member of ``head`` then zeros up to ``size`` bytes, written without holding it in memory."""
    with archive.open(name, "w", force_zip64=True) as member:
        member.write(head)
        block = bytes(MB)
        left = size - len(head)
        while left > 0:
            member.write(block[: min(left, MB)])
            left -= MB


def write_bomb(path, device_id: str, manifest_bytes: int, *, declare: int | None = None) -> int:
    """An unsigned bundle whose manifest inflates to ``manifest_bytes``; optionally lie about its size."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        zeros_member(archive, "manifest.json", opening(device_id), manifest_bytes)
        archive.writestr("signature.sha256", "A" * 86)
    if declare is not None:  # the directory's first entry (the manifest) declares another size
        data = bytearray(path.read_bytes())
        end = data.rfind(b"PK\x05\x06")
        directory = struct.unpack_from("<I", data, end + 16)[0]
        assert data[directory : directory + 4] == b"PK\x01\x02"
        struct.pack_into("<I", data, directory + 24, declare)
        path.write_bytes(bytes(data))
    return path.stat().st_size


def import_capped(central_dir, bundle, reply) -> tuple[subprocess.CompletedProcess, int]:
    """``fieldkit central bundle import`` in a child limited to MEMORY_CAP of address space."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))
        from fieldkit.cli import main
        try:
            main(["--data", sys.argv[1], "central", "bundle", "import", sys.argv[2], "--reply", sys.argv[3]])
        finally:
            peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM")]
            print("peak-rss-kb", peak[0].split()[1], file=sys.stderr)
        """
    )
    env = dict(os.environ, FIELDKIT_LANGUAGE="en")
    done = subprocess.run(
        [sys.executable, "-c", script, str(central_dir), str(bundle), str(reply)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    peak_kb = int(done.stderr.rsplit("peak-rss-kb", 1)[1].split()[0])
    return done, peak_kb * 1024


@pytest.mark.slow
@pytest.mark.parametrize(
    ("inflated", "declare", "reason"),
    [
        (
            1500 * MB,
            None,
            "over the limits FieldKit reads (manifest.json in the bundle is larger than",
        ),  # the reported case: 1.5 MB on disk, 1.5 GB inside
        (300 * MB, None, "a zip bomb"),  # under the size limit, but expands 1000 times
        (300 * MB, 64 << 10, "not a readable FieldKit bundle"),  # declares 64 KB, holds 300 MB
    ],
    ids=["huge-manifest", "ratio", "lying-size"],
)
def test_a_bundle_bomb_is_refused_cleanly_under_a_memory_cap(
    enrolled, central_app, tmp_path, inflated, declare, reason
):
    bomb = tmp_path / "bomb.bundle"
    size = write_bomb(bomb, enrolled.id, inflated, declare=declare)
    assert size < 2 * MB
    hub = connect(central_app.config["DATABASE"])
    before = hub.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0]
    done, peak = import_capped(central_app.config["DATA_DIR"], bomb, tmp_path / "reply.bundle")
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if not line.startswith("peak-rss-kb")]
    assert len(errors) == 1 and errors[0].startswith("Error: nothing was imported"), done.stderr
    assert reason in errors[0]
    assert peak < MEMORY_CAP
    assert hub.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] == before
    assert not (tmp_path / "reply.bundle").exists()
    hub.close()


@pytest.mark.slow
def test_a_genuine_bundle_still_imports_under_the_same_cap(enrolled, central_app, tmp_path):
    done, peak = import_capped(central_app.config["DATA_DIR"], enrolled.bundle, tmp_path / "reply.bundle")
    assert done.returncode == 0, done.stderr
    assert "Applied changes up to" in done.stdout and peak < MEMORY_CAP


def rewrite(source, target, change) -> None:
    """Copy a bundle member by member, letting ``change(name, data)`` return new members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            for name, data in change(info.filename, old.read(info)):
                new.writestr(name, data)


def import_at_central(central_app, enrolled, path, tmp_path):
    from sync.server import Peer

    hub = connect(central_app.config["DATABASE"])
    try:
        return bundles.import_at_central(
            hub,
            path,
            lambda device_id: (Peer(enrolled.id, "kolwa-youth", "KE"), bundles_key(enrolled)),
            tmp_path / "blobs",
            tmp_path / "reply.bundle",
        )
    finally:
        hub.close()


def bundles_key(device):
    from sync import keys

    with journal.transaction(device.conn):
        return keys.public_key(keys.replica_key(device.conn))


SHA = "ab" * 32


def add(name, data=b"x"):
    return lambda n, d: [(n, d), (name, data)] if n == "manifest.json" else [(n, d)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (add("../../etc/evil"), "a name a bundle never has"),
        (add("/blobs/" + SHA), "a name a bundle never has"),
        (add("blobs/" + SHA.upper()), "a name a bundle never has"),
        (add("manifest.json"), "a name a bundle never has, or one twice"),
        (add(f"blobs/{SHA}"), "not the ones its manifest lists"),
        (lambda n, d: [] if n == "signature.sha256" else [(n, d)], "not a FieldKit bundle of a version"),
        (
            lambda n, d: [(n, d[:-1] + b',"x":1}' if n == "manifest.json" else d)],
            "signature does not match",
        ),
    ],
    ids=[
        "parent-path",
        "absolute-path",
        "upper-case-hash",
        "twice",
        "unlisted-file",
        "no-signature",
        "changed",
    ],
)
def test_a_bundle_with_odd_members_or_a_change_is_refused_whole(
    enrolled, central_app, tmp_path, change, message
):
    odd = tmp_path / "odd.bundle"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the doubled name
        rewrite(enrolled.bundle, odd, change)
    with pytest.raises(BundleError, match=message):
        import_at_central(central_app, enrolled, odd, tmp_path)
    assert not (tmp_path / "reply.bundle").exists()


def test_a_bundle_announcing_too_many_files_is_refused_before_they_are_listed(
    enrolled, tmp_path, monkeypatch
):
    many = tmp_path / "many.bundle"
    files = [(f"blobs/{i:064x}", b"") for i in range(30)]
    rewrite(enrolled.bundle, many, lambda n, d: [(n, d), *files] if n == "manifest.json" else [(n, d)])
    monkeypatch.setattr(bundles, "MAX_MEMBERS", 20)
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: pytest.fail("directory was read"))
    with pytest.raises(BundleError, match="more than 20 files") as refused:
        bundles.Bundle(many)
    assert refused.value.reason == "limits"


def test_a_blob_that_expands_like_a_bomb_is_refused(enrolled, central_app, tmp_path):
    bomb = tmp_path / "blob-bomb.bundle"
    with zipfile.ZipFile(enrolled.bundle) as old, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
        zeros_member(new, f"blobs/{SHA}", b"", 50 * MB)
    with pytest.raises(BundleError, match="a zip bomb"):
        import_at_central(central_app, enrolled, bomb, tmp_path)


def test_the_manifest_is_never_parsed_before_its_signature_is_verified(enrolled, tmp_path, monkeypatch):
    forged = tmp_path / "forged.bundle"
    rewrite(
        enrolled.bundle,
        forged,
        lambda n, d: [(n, d[:-1] + b',"pad":"' + b"x" * 1000 + b'"}')] if n == "manifest.json" else [(n, d)],
    )
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("an unsigned manifest was parsed"))
    with bundles.Bundle(forged) as bundle, pytest.raises(BundleError, match="signature does not match"):
        assert bundle.sender() == enrolled.id
        bundle.verify(bundles_key(enrolled))


def test_a_genuine_bundle_names_its_sender_from_its_opening_bytes(enrolled):
    with bundles.Bundle(enrolled.bundle) as bundle:
        assert bundle.sender() == enrolled.id
        manifest = bundle.verify(bundles_key(enrolled))
    assert manifest["kind"] == "push" and len(manifest["ops"]) >= 1

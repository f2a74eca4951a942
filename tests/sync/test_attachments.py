"""Attachments: content-addressed, resumable chunked upload and download in their own lane
after the records; a hash mismatch is rejected; a file that fails never blocks records."""

from __future__ import annotations

import hashlib
import os

from fieldkit.db import transaction
from sync import journal, protocol
from sync.blobs import BlobDir
from sync.ids import uuid7

from .replicas import new_issue


def attach(device, row, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    store = BlobDir(device.app.config["DATA_DIR"] + "/blobs")
    store.put(sha, data)
    with transaction(device.conn):
        journal.create(
            device.conn,
            "attachments",
            {
                "id": uuid7(),
                "created_at": "2026-03-01T10:00:00Z",
                "org": "kolwa-youth",
                "country": "KE",
                "issue_id": row,
                "sha256": sha,
                "filename": "pump.jpg",
                "media_type": "image/jpeg",
                "size": len(data),
            },
        )
    return sha


def blob_path(app, sha):
    return BlobDir(app.config["DATA_DIR"] + "/blobs").path(sha)


def test_a_photo_travels_to_central_and_to_the_other_device_intact(make_device, central_app):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    data = os.urandom(protocol.CHUNK_BYTES * 2 + 1234)  # three chunks
    sha = attach(a, new_issue(a.conn), data)
    assert a.sync().blobs_sent == 1
    assert blob_path(central_app, sha).read_bytes() == data
    summary = b.sync()
    assert summary.received == 2 and summary.blobs_received == 1
    assert blob_path(b.app, sha).read_bytes() == data
    assert journal.replica_value  # the photo no longer counts as waiting on either device
    from sync.client import status

    assert status(a.conn)["photos_waiting"] == 0 and status(b.conn)["photos_waiting"] == 0


def test_an_interrupted_upload_resumes_where_it_stopped(make_device, central_app):
    a = make_device("a")
    a.enroll()
    data = os.urandom(protocol.CHUNK_BYTES * 3)
    sha = attach(a, new_issue(a.conn), data)
    client = a.client()
    client.push()
    # The first chunk arrived, then the link dropped.
    client.call(
        "POST",
        f"/blobs/{sha}/upload",
        content=data[: protocol.CHUNK_BYTES],
        headers={"Upload-Offset": "0", "Upload-Complete": "0"},
    )
    assert client.call("GET", f"/blobs/{sha}/upload")["offset"] == protocol.CHUNK_BYTES
    sent = []
    original = client.http.request

    def spy(method, url, **kwargs):
        if method == "POST" and "/upload" in str(url):
            sent.append(int(kwargs["headers"]["Upload-Offset"]))
        return original(method, url, **kwargs)

    client.http.request = spy
    client.upload_blobs()
    assert sent[0] == protocol.CHUNK_BYTES  # nothing already received was sent again
    assert blob_path(central_app, sha).read_bytes() == data


def test_an_interrupted_download_resumes_from_the_partial_copy(make_device, central_app):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    data = os.urandom(300_000)
    sha = attach(a, new_issue(a.conn), data)
    a.sync()
    b.client().pull()
    BlobDir(b.app.config["DATA_DIR"] + "/blobs").append(sha, 0, data[:100_000])
    ranges = []
    client = b.client()
    original = client.http.stream

    def spy(method, url, **kwargs):
        ranges.append(kwargs["headers"]["Range"])
        return original(method, url, **kwargs)

    client.http.stream = spy
    client.download_blobs()
    assert ranges == ["bytes=100000-"]
    assert blob_path(b.app, sha).read_bytes() == data


def test_an_upload_that_does_not_match_its_hash_is_rejected_and_discarded(make_device, central_app):
    a = make_device("a")
    a.enroll()
    sha = attach(a, new_issue(a.conn), b"the real photo")
    client = a.client()
    client.push()
    answer = client.http.post(
        f"{protocol.PREFIX}/blobs/{sha}/upload",
        content=b"something else",
        headers={**client._headers(), "Upload-Offset": "0", "Upload-Complete": "1"},
    )
    assert answer.status_code == 400 and "does not match" in answer.json()["detail"]
    assert not blob_path(central_app, sha).exists()
    assert client.call("GET", f"/blobs/{sha}/upload")["offset"] == 0


def test_a_file_that_fails_never_blocks_records(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    central_app.config["MAX_UPLOAD_MB"] = 0  # central refuses every file for now
    row = new_issue(a.conn)
    attach(a, row, b"x" * 5000)
    summary = a.sync()
    assert summary.sent == 2 and summary.blobs_pending == 1 and summary.problems
    assert hub.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 1
    central_app.config["MAX_UPLOAD_MB"] = 25
    assert a.sync().blobs_sent == 1


def test_a_device_cannot_fetch_a_file_outside_its_scope(make_device, central_app):
    a, b = make_device("a"), make_device("b")
    a.enroll(org="kolwa-youth")
    b.enroll(org="other-partner")
    sha = attach(a, new_issue(a.conn), b"private evidence")
    a.sync()
    client = b.client()
    answer = client.http.get(f"{protocol.PREFIX}/blobs/{sha}", headers=client._headers())
    assert answer.status_code == 403
    assert answer.headers["Content-Type"].startswith("application/problem+json")

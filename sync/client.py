"""The device side of sync: enrol, push, pull, then the attachment lane (DESIGN §5).

Takes the device's database connection and an ``httpx.Client`` whose ``base_url`` is the
server (tests pass one built on ``httpx.WSGITransport``). Every step is idempotent and
committed as it goes, so a sync cut at any point resumes where it stopped.
"""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from . import journal, keys, merge, protocol, pulled
from .blobs import BlobDir
from .errors import AuthError, Forbidden, Incompatible, ProtocolError, SyncError
from .merge import OP_COLUMNS, op_from_row

RETRIES = 8
#: Page cache (KiB) a pull may use while it runs (SQLite's default is 2,000).
PULL_CACHE_KIB = 32 * 1024
#: A page or batch should take about this long on the link: sizes follow what it carried
#: recently, so on a poor link a cut loses a few seconds' work, and on a good one pages are large.
TARGET_SECONDS = 3.0
#: Where a sync starts before it has measured the link, and the smallest it goes.
FIRST_SIZE = 200
MIN_SIZE = 10
#: Consecutive cut connections a sync tolerates (shrinking batches each time) before it stops.
MAX_CUTS = 60


class Unreachable(SyncError):
    """The connection failed (refused, cut, timed out) after retries."""


@dataclass
class Summary:
    """What one sync did, for the CLI and the Sync page."""

    sent: int = 0
    received: int = 0
    conflicts: int = 0
    blobs_sent: int = 0
    blobs_received: int = 0
    blobs_pending: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    held: int = 0
    #: Changes of this device central refused in this sync (each with its reason on the Sync page).
    refused: int = 0
    #: Changes received that could not be applied here yet (kept, tried again at every pull).
    set_aside: int = 0
    problems: list[str] = field(default_factory=list)


def enrolled(conn) -> bool:
    return bool(journal.replica_value(conn, "sync_token"))


def status(conn) -> dict:
    """Sync facts about this device for the Sync page and ``fieldkit sync``."""
    device = journal.device_id(conn)
    pushed = int(journal.replica_value(conn, "pushed_dseq", "0") or 0)
    waiting = conn.execute(
        "SELECT COUNT(*) FROM sync_ops WHERE device_id = ? AND dseq > ?", (device, pushed)
    ).fetchone()[0]
    photos = conn.execute(
        f"SELECT COUNT(*) FROM ({journal.files_sql()}) WHERE sha256 NOT IN (SELECT sha256 FROM sync_blobs_sent)"
    ).fetchone()[0]
    return {
        "photos_waiting": photos,
        "device_id": device,
        "server": journal.replica_value(conn, "sync_server", ""),
        "org": journal.replica_value(conn, "sync_org", ""),
        "country": journal.replica_value(conn, "sync_country", ""),
        "last_sync": journal.replica_value(conn, "last_sync", ""),
        "ops_waiting": waiting,
        "conflicts": merge.count_conflicts(conn),
        "enrolled": enrolled(conn),
        "refused": conn.execute("SELECT COUNT(*) FROM sync_refusals").fetchone()[0],
        "set_aside": conn.execute("SELECT COUNT(*) FROM sync_set_aside").fetchone()[0],
    }


def refusals(conn, limit: int = 200) -> list[dict]:
    """This device's changes central refused, newest first, with the reason."""
    rows = conn.execute(
        "SELECT device_id, dseq, tbl, row_id, kind, code, field, reason, at FROM sync_refusals "
        "ORDER BY at DESC, dseq DESC LIMIT ?",
        (limit,),
    ).fetchall()
    keys = ("device_id", "dseq", "tbl", "row_id", "kind", "code", "field", "reason", "at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def set_aside(conn, limit: int = 200) -> list[dict]:
    """Received changes this replica could not apply, oldest first, with the reason."""
    rows = conn.execute(
        "SELECT tbl, row_id, reason, at FROM sync_set_aside ORDER BY server_seq LIMIT ?", (limit,)
    ).fetchall()
    return [dict(zip(("tbl", "row_id", "reason", "at"), row, strict=True)) for row in rows]


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
        message = body.get("detail") or body.get("title") or ""
        code = body.get("code", "")
    except ValueError:
        body, message, code = {}, "", ""
    if not message:
        message = f"the server answered {response.status_code} and no explanation"
    if response.status_code in (401, 403):
        error = (Forbidden if response.status_code == 403 else AuthError)(message)
        error.code = code or error.code  # e.g. "enrolment-code", "revoked": the app words it for its user
        raise error
    if code == "protocol-version":
        raise Incompatible(message)
    if response.status_code == 404 and not code:
        raise ProtocolError(
            f"this server does not speak FieldKit sync protocol {protocol.VERSION} ({response.request.url})"
        )
    error = ProtocolError(message)
    error.code = code
    error.status = response.status_code
    raise error


#: Headers of a push body already encoded by :func:`_prepare_batch`.
GZIP_JSON = {"Content-Type": "application/json", "Content-Encoding": "gzip"}


def _prepare_batch(conn, device: str, after: int, batch: int) -> tuple[list, list[dict], bytes]:
    """The next ``batch`` ops of journal ``device`` after ``after``: rows, wire ops, gzip body."""
    rows = conn.execute(
        f"SELECT {OP_COLUMNS} FROM sync_ops WHERE device_id = ? AND dseq > ? ORDER BY dseq LIMIT ?",
        (device, after, batch),
    ).fetchall()
    ops = journal.outgoing(conn, [protocol.wire_op(op_from_row(r)) for r in rows])
    return rows, ops, protocol.gzip_bytes(protocol.encode({"device_id": device, "ops": ops}))


def _prepare_on_own_connection(path: str, device: str, after: int, batch: int):
    """:func:`_prepare_batch` in a helper thread, reading through a connection of its own."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        return _prepare_batch(conn, device, after, batch)
    finally:
        conn.close()


def _resize(size: int, count: int, elapsed: float, top: int) -> int:
    """The next page or batch size after ``count`` ops took ``elapsed`` seconds.

    Scaled to take :data:`TARGET_SECONDS` at the rate just seen, at most doubling; a short
    page (the end of what there was) says nothing about the link and keeps the size.
    """
    if count < size:
        return size
    fitting = int(count / max(elapsed, 0.01) * TARGET_SECONDS)
    return max(MIN_SIZE, min(top, size * 2, fitting))


class Client:
    """Sync one device's database with one server over ``http``."""

    def __init__(
        self,
        conn,
        http: httpx.Client,
        *,
        blob_root=None,
        app_version: str = "",
        progress=None,
        sleep=time.sleep,
    ):
        self.conn = conn
        self.http = http
        self.blobs = BlobDir(blob_root) if blob_root else None
        self.app_version = app_version
        self.progress = progress or (lambda event, **info: None)
        self.sleep = sleep
        self.summary = Summary()
        self.cuts = 0
        self.max_batch = protocol.MAX_BATCH_OPS  # the most a batch grows to; sized to the link as it goes
        self.max_page = 1000
        self.chunk = protocol.CHUNK_BYTES

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- transport ---------------------------------------------------------------

    def _headers(self, extra=None, token: str | None = None) -> dict:
        headers = {
            protocol.HEADER_VERSION: str(protocol.VERSION),
            protocol.HEADER_CLOCK: str(time.time_ns() // 1_000_000),
            protocol.HEADER_APP: self.app_version,
        }
        token = token or journal.replica_value(self.conn, "sync_token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        body=None,
        content: bytes | None = None,
        params=None,
        headers=None,
        retries: int = RETRIES,
        token: str | None = None,
    ) -> httpx.Response:
        """One API call, retried on cuts and overload; problems become errors.

        ``token`` saves reading the device token from the database (a helper thread must not).

        :raises Unreachable: the connection kept failing.
        """
        extra = dict(headers or {})
        if body is not None:
            content = protocol.gzip_bytes(protocol.encode(body))
            extra.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
        delay = 0.2
        for attempt in range(retries):
            self.summary.bytes_sent += len(content or b"") + 200  # sent again on a retry: counted again
            try:
                response = self.http.request(
                    method,
                    protocol.PREFIX + path,
                    content=content,
                    params=params,
                    headers=self._headers(extra, token),
                )
                response.read()
            except httpx.TransportError as error:
                if attempt == retries - 1:
                    raise Unreachable(f"the server could not be reached ({type(error).__name__})") from error
                self.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.summary.bytes_received += response.num_bytes_downloaded + 200
            if response.status_code in (429, 502, 503, 504) and attempt < retries - 1:
                self.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            _raise_for(response)
            return response
        raise SyncError("the server kept refusing; try again later")

    def call(self, method: str, path: str, **kwargs):
        """One API call whose answer is JSON.

        :raises ProtocolError: if the answer is not FieldKit's JSON (not a FieldKit server).
        """
        response = self.request(method, path, **kwargs)
        try:
            if response.status_code >= 300:
                raise ValueError(response.status_code)
            return response.json()
        except ValueError:
            raise ProtocolError(
                f"this server does not speak FieldKit sync protocol {protocol.VERSION} ({response.request.url})"
            ) from None

    # -- enrolment -----------------------------------------------------------------

    def enroll(self, code: str, server_url: str) -> dict:
        """Exchange a one-time enrolment code for this device's token and scope."""
        with journal.transaction(self.conn):
            private = keys.replica_key(self.conn)
        answer = self.call(
            "POST",
            "/enroll",
            body={
                "code": code.strip(),
                "device_id": journal.device_id(self.conn),
                "public_key": keys.public_key(private),
                "app_version": self.app_version,
            },
        )
        with journal.transaction(self.conn):
            for key in ("token", "org", "country", "server_key", "server_id"):
                journal.set_replica_value(self.conn, f"sync_{key}", str(answer.get(key, "")))
            journal.set_replica_value(self.conn, "sync_server", server_url)
            journal.set_replica_value(self.conn, "pull_cursor", "0")
            journal.set_replica_value(self.conn, "pushed_dseq", "0")
            journal.set_replica_value(self.conn, "sync_device_id", journal.device_id(self.conn))
        return answer

    # -- records -----------------------------------------------------------------------

    def _cut(self, size: int) -> int:
        """A connection was cut: wait a moment and try again with half as much."""
        self.cuts += 1
        if self.cuts > MAX_CUTS:
            raise Unreachable("the connection to the server kept breaking; what was sent or received is kept")
        self.sleep(min(0.05 * self.cuts, 2.0))
        return max(1, size // 2)

    def push(self, batch: int | None = None) -> int:
        """Send every op of this device the server has not acknowledged; returns how many.

        A replica restored from a backup writes under a new journal id (``journal.fork``):
        it first claims its ids with its token, then pushes the ops of each id it ever
        wrote as. Batches halve each time a connection is cut and grow back after a
        success, so a poor link still carries them.
        """
        state = self.call("GET", "/state")
        enrolled = str(state.get("device_id", ""))
        current = journal.device_id(self.conn)
        sent = 0
        for replica in journal.replica_ids(self.conn):
            if replica == enrolled:
                acked = int(state.get("acked", 0))
            else:
                self.claim(replica)
                acked = int(self.call("GET", "/state", params={"replica": replica})["acked"])
            sent += self._push_ops(
                replica, acked, batch or min(FIRST_SIZE, self.max_batch), replica == current
            )
        self.summary.sent += sent
        return sent

    def claim(self, replica: str) -> None:
        """Tell central this enrolled device also writes as journal id ``replica``."""
        self.call("POST", "/replicas", body={"replica_id": replica})

    def _push_ops(self, device: str, pushed: int, batch: int, current: bool) -> int:
        """Send the ops of journal ``device`` after ``pushed``, batch by batch, until all are acked.

        The next batch is read and encoded (in a helper thread, on a connection of its own)
        while central applies this one; it is used only if central acknowledged exactly this
        batch, so a refusal, a gap or a cut simply reads again from what was acknowledged.
        """
        stalled = 0
        sent = 0
        path = self.conn.execute("PRAGMA database_list").fetchone()[2]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldkit-push") as preparer:
            ahead = None
            while True:
                if ahead is not None and ahead[0] == pushed:
                    rows, ops, content = ahead[1].result()
                else:
                    rows, ops, content = _prepare_batch(self.conn, device, pushed, batch)
                ahead = None
                if not rows:
                    break
                if path and len(rows) == batch:
                    after = rows[-1][1]
                    ahead = (after, preparer.submit(_prepare_on_own_connection, path, device, after, batch))
                started = time.monotonic()
                try:
                    answer = self.call("POST", "/push", content=content, headers=GZIP_JSON, retries=1)
                except Unreachable:
                    ahead = None
                    batch = self._cut(batch)
                    continue
                self.cuts = 0
                batch = _resize(batch, len(rows), time.monotonic() - started, self.max_batch)
                placeholders = {op["dseq"] for op in ops if journal.is_placeholder(op)}
                results = [r for r in answer.get("results") or [] if isinstance(r, dict)]
                self._record_refusals(device, rows, [r for r in results if r.get("dseq") not in placeholders])
                acked = int(answer["acked"])
                if acked <= pushed:
                    stalled += 1
                    if stalled > 2:
                        raise SyncError("the server holds back this device's changes (a gap in the sequence)")
                    continue
                stalled = 0
                sent += acked - pushed
                pushed = acked
                with journal.transaction(self.conn):
                    journal.set_replica_value(
                        self.conn, "pushed_dseq" if current else f"pushed_dseq:{device}", str(pushed)
                    )
                self.progress("push", sent=sent)
        return sent

    def _record_refusals(self, device: str, rows, results: list) -> None:
        """Keep central's reasons for the ops it refused (they count as sent: it decided them)."""
        self.summary.refused += pulled.record_refusals(self.conn, device, rows, results)

    def pull(self, page: int | None = None) -> int:
        """Fetch and merge every op in scope after the cursor, one committed page at a time.

        The next page is fetched (in a helper thread, over HTTP only) while this one is
        merged; a page whose fetch failed is asked for again from the last committed cursor.
        """
        cursor = int(journal.replica_value(self.conn, "pull_cursor", "0") or 0)
        # A first pull grows its pages up to the largest the server sends: fewer, larger
        # transactions, and the first pages build their indexes once (sync.bulk.deferred_indexes).
        top = page or (max(self.max_page, protocol.MAX_PAGE) if cursor == 0 else self.max_page)
        page = page or min(FIRST_SIZE, top)
        token = journal.replica_value(self.conn, "sync_token")
        replica = journal.device_id(self.conn)
        if replica == (journal.replica_value(self.conn, "sync_device_id") or replica):
            replica = None  # the id the device enrolled as: the server's default
        else:
            self.claim(replica)
        # A first pull writes every row and index page: a larger page cache while it runs
        # saves re-reading them (about 10 % of the CPU at 100,000 records).
        cache = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
        grow = -PULL_CACHE_KIB < cache < 0  # negative: KiB (a positive size counts pages)
        if grow:
            self.conn.execute(f"PRAGMA cache_size = {-PULL_CACHE_KIB}")
        try:
            self.retry_set_aside()
            return self._pull(cursor, page, top, token, replica)
        finally:
            if grow:
                self.conn.execute(f"PRAGMA cache_size = {cache}")

    def _pull(self, cursor: int, page: int, top: int, token: str | None, replica: str | None) -> int:
        received = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldkit-pull") as fetcher:
            ahead = None
            while True:
                try:
                    answer = ahead.result() if ahead else self._fetch_page(cursor, page, token, replica)
                except Unreachable:
                    ahead = None
                    page = self._cut(page)
                    continue
                ahead = None
                self.cuts = 0
                page = _resize(page, len(answer.get("ops", [])), answer["elapsed"], top)
                if answer.get("more"):
                    ahead = fetcher.submit(self._fetch_page, int(answer["cursor"]), page, token, replica)
                received += self._merge_page(answer)
                cursor = int(answer["cursor"])
                self.progress("pull", received=received)
                if not answer.get("more"):
                    break
        self.summary.received += received
        return received

    def _fetch_page(self, cursor: int, page: int, token: str | None, replica: str | None) -> dict:
        """One page of ops, each checked (in the fetching thread, while the last page merges).

        ``checked`` holds, per op, the validated op, ``None`` for a table a newer FieldKit
        syncs (kept as it came), or the reason it cannot be applied here (set aside).
        """
        params = {"after": cursor, "limit": page} | ({"replica": replica} if replica else {})
        started = time.monotonic()
        answer = self.call("GET", "/ops", params=params, retries=1, token=token)
        if not isinstance(answer, dict) or not isinstance(answer.get("ops", []), list):
            raise ProtocolError("the server sent a page that is not a list of changes")
        answer["elapsed"] = time.monotonic() - started
        answer["checked"] = [pulled.check(op) for op in answer.get("ops", [])]
        return answer

    def _merge_page(self, answer: dict) -> int:
        """Merge one page of ops and move the cursor past it, in one transaction.

        An op that cannot be applied here is set aside with its reason (:mod:`sync.pulled`).
        """
        with journal.transaction(self.conn):
            received, aside = pulled.merge_page(self.conn, answer.get("ops", []), answer["checked"])
            journal.set_replica_value(self.conn, "pull_cursor", str(int(answer["cursor"])))
        self.summary.set_aside += aside
        return received

    def retry_set_aside(self) -> int:
        """Try again every op set aside earlier (after an upgrade they may apply); returns how many did."""
        return pulled.retry_set_aside(self.conn)

    # -- attachments ------------------------------------------------------------------

    def _local_shas(self, missing_here: bool) -> list[str]:
        shas = [r[0] for r in self.conn.execute(journal.files_sql())]
        return [s for s in shas if self.blobs.has(s) != missing_here]

    def upload_blobs(self) -> None:
        """Upload, in resumable chunks, every blob this device has and the server lacks."""
        sent = {r[0] for r in self.conn.execute("SELECT sha256 FROM sync_blobs_sent")}
        have = [s for s in self._local_shas(missing_here=False) if s not in sent]
        for start in range(0, len(have), 500):
            asked = have[start : start + 500]
            missing = self.call("POST", "/blobs/missing", body={"sha256": asked})["missing"]
            self._mark_sent(set(asked) - set(missing))
            for sha in missing:
                try:
                    self._upload(sha)
                    self.summary.blobs_sent += 1
                    self._mark_sent({sha})
                except SyncError as error:
                    self.summary.blobs_pending += 1
                    self.summary.problems.append(f"{sha[:12]}: {error}")

    def _mark_sent(self, shas) -> None:
        with journal.transaction(self.conn):
            self.conn.executemany(
                "INSERT OR IGNORE INTO sync_blobs_sent (sha256) VALUES (?)", [(s,) for s in shas]
            )

    def _upload(self, sha: str) -> None:
        offset = int(self.call("GET", f"/blobs/{sha}/upload")["offset"])
        path = self.blobs.path(sha)
        size = path.stat().st_size
        with path.open("rb") as handle:
            while True:
                handle.seek(offset)
                chunk = handle.read(self.chunk)
                last = offset + len(chunk) >= size
                try:
                    answer = self.call(
                        "POST",
                        f"/blobs/{sha}/upload",
                        content=chunk,
                        headers={
                            "Upload-Offset": str(offset),
                            "Upload-Complete": "1" if last else "0",
                            "Content-Type": "application/octet-stream",
                        },
                        retries=1,
                    )
                except Unreachable:
                    self.chunk = max(8192, self._cut(self.chunk))
                    offset = int(self.call("GET", f"/blobs/{sha}/upload")["offset"])
                    continue
                except ProtocolError as error:
                    if getattr(error, "code", "") == "offset-mismatch":
                        offset = int(self.call("GET", f"/blobs/{sha}/upload")["offset"])
                        continue
                    raise
                self.cuts = 0
                offset = int(answer["offset"])
                self.progress("upload", sha256=sha, offset=offset, size=size)
                if answer.get("complete"):
                    return

    def download_blobs(self) -> None:
        """Download, resuming partial copies, every blob of an attachment this device lacks."""
        for sha in self._local_shas(missing_here=True):
            try:
                self._download(sha)
                self.summary.blobs_received += 1
            except SyncError as error:
                self.summary.blobs_pending += 1
                self.summary.problems.append(f"{sha[:12]}: {error}")

    def _download(self, sha: str) -> None:
        delay = 0.2
        stalled = 0
        while stalled < RETRIES:
            offset = started = self.blobs.offset(sha)
            try:
                with self.http.stream(
                    "GET",
                    f"{protocol.PREFIX}/blobs/{sha}",
                    headers=self._headers({"Range": f"bytes={offset}-"}),
                ) as response:
                    if response.status_code not in (200, 206):
                        response.read()
                        _raise_for(response)
                    if response.status_code == 200 and offset:
                        self.blobs.partial(sha).unlink(missing_ok=True)
                        offset = 0
                    for chunk in response.iter_raw(1 << 16):
                        offset = self.blobs.append(sha, offset, chunk)
                        self.summary.bytes_received += len(chunk)
            except httpx.TransportError:
                # A cut keeps what arrived; only attempts that brought nothing count.
                stalled = 0 if self.blobs.offset(sha) > started else stalled + 1
                self.sleep(delay if stalled else 0.05)
                delay = min(delay * 2, 5.0) if stalled else 0.2
                continue
            stalled += 1
            if self.blobs.finish(sha):
                self._mark_sent({sha})
                return
        raise SyncError("the file could not be downloaded completely or did not match its hash")

    # -- everything -------------------------------------------------------------------

    def sync(self, *, with_blobs: bool = True) -> Summary:
        """Push, pull, then the attachment lane; returns what happened."""
        self.push()
        self.pull()
        if with_blobs and self.blobs:
            try:
                self.upload_blobs()
                self.download_blobs()
            except SyncError as error:
                self.summary.problems.append(str(error))
                self.summary.blobs_pending = max(self.summary.blobs_pending, 1)
        self.summary.conflicts = merge.count_conflicts(self.conn)
        with journal.transaction(self.conn):
            journal.set_replica_value(
                self.conn, "last_sync", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            )
            journal.set_replica_value(self.conn, "last_summary", json.dumps(self.summary.__dict__))
        return self.summary

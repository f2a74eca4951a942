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

from . import journal, keys, merge, protocol
from .blobs import BlobDir
from .errors import AuthError, Forbidden, Incompatible, ProtocolError, SyncError
from .merge import OP_COLUMNS, op_from_row

RETRIES = 8
#: Page cache (KiB) a pull may use while it runs (SQLite's default is 2,000).
PULL_CACHE_KIB = 32 * 1024
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
        f"SELECT COUNT(*) FROM ({_files_sql()}) WHERE sha256 NOT IN (SELECT sha256 FROM sync_blobs_sent)"
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


def _files_sql() -> str:
    """SELECT of every distinct file hash live records name (from the declared file fields)."""
    parts = [
        f"SELECT [{column}] AS sha256 FROM [{table}] WHERE deleted = 0"
        for table, column in journal.RECORDS.file_tables()
    ]
    return " UNION ".join(parts) if parts else "SELECT NULL AS sha256 WHERE 0"


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
    if response.status_code == 403:
        raise Forbidden(message)
    if response.status_code == 401:
        raise AuthError(message)
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


def _row_key(op: dict) -> tuple[str, str]:
    return (str(op.get("tbl", ""))[:80], str(op.get("row_id", ""))[:80])


def _check_pulled(op) -> dict | str | None:
    """A pulled op validated; None for a table this version does not sync; else why not."""
    if isinstance(op, dict) and isinstance(op.get("tbl"), str) and op["tbl"] not in journal.SYNCED:
        try:
            protocol.validate_envelope(op)
        except ProtocolError as error:
            return f"it is malformed ({error})"
        return None
    try:
        protocol.validate_envelope(op)
        return protocol.validate_op(op) | {"server_seq": op.get("server_seq")}
    except ProtocolError as error:
        return f"it is from a newer FieldKit or malformed ({error})"


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
        self.max_batch = protocol.MAX_BATCH_OPS  # fewer, larger commits at central; halves on a cut
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
            self.summary.bytes_sent += len(content or b"") + 200
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
            sent += self._push_ops(replica, acked, batch or self.max_batch, replica == current)
        self.summary.sent += sent
        return sent

    def claim(self, replica: str) -> None:
        """Tell central this enrolled device also writes as journal id ``replica``."""
        self.call("POST", "/replicas", body={"replica_id": replica})

    def _push_ops(self, device: str, pushed: int, batch: int, current: bool) -> int:
        stalled = 0
        sent = 0
        while True:
            rows = self.conn.execute(
                f"SELECT {OP_COLUMNS} FROM sync_ops WHERE device_id = ? AND dseq > ? ORDER BY dseq LIMIT ?",
                (device, pushed, batch),
            ).fetchall()
            if not rows:
                break
            ops = [protocol.wire_op(op_from_row(r)) for r in rows]
            try:
                answer = self.call("POST", "/push", body={"device_id": device, "ops": ops}, retries=1)
            except Unreachable:
                batch = self._cut(batch)
                continue
            self.cuts = 0
            batch = min(batch * 2, self.max_batch)
            self._record_refusals(device, rows, answer.get("results") or [])
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
        refused = {r["dseq"]: r for r in results if isinstance(r, dict) and r.get("status") == "refused"}
        if not refused:
            return
        ops = {row[1]: row for row in rows}
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with journal.transaction(self.conn):
            for dseq, result in refused.items():
                row = ops.get(dseq)
                if row is None:
                    continue
                self.conn.execute(
                    "INSERT OR REPLACE INTO sync_refusals (device_id, dseq, tbl, row_id, kind, code, field, "
                    "reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        device,
                        dseq,
                        row[2],
                        row[3],
                        row[4],
                        str(result.get("code", ""))[:40],
                        result.get("field") if isinstance(result.get("field"), str) else None,
                        str(result.get("reason", ""))[:500],
                        now,
                    ),
                )
        self.summary.refused += len(refused)

    def pull(self, page: int | None = None) -> int:
        """Fetch and merge every op in scope after the cursor, one committed page at a time.

        The next page is fetched (in a helper thread, over HTTP only) while this one is
        merged; a page whose fetch failed is asked for again from the last committed cursor.
        """
        cursor = int(journal.replica_value(self.conn, "pull_cursor", "0") or 0)
        # A first pull grows its pages up to the largest the server sends: fewer, larger
        # transactions, and the first pages build their indexes once (sync.bulk.deferred_indexes).
        top = page or (max(self.max_page, protocol.MAX_PAGE) if cursor == 0 else self.max_page)
        page = page or self.max_page
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
                page = min(page * 2, top)
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
        answer = self.call("GET", "/ops", params=params, retries=1, token=token)
        if not isinstance(answer, dict) or not isinstance(answer.get("ops", []), list):
            raise ProtocolError("the server sent a page that is not a list of changes")
        answer["checked"] = [_check_pulled(op) for op in answer.get("ops", [])]
        return answer

    def _merge_page(self, answer: dict) -> int:
        """Merge one page of ops and move the cursor past it, in one transaction.

        An op that cannot be applied here is set aside with its reason (and so is every later
        op of its row), and the rest of the page goes on; see :meth:`retry_set_aside`.
        """
        with journal.transaction(self.conn):
            pairs = list(zip(answer.get("ops", []), answer["checked"], strict=True))
            self.conn.execute("SAVEPOINT page")
            try:
                received = self._apply(pairs)
            except sqlite3.Error:
                # Some op breaks a constraint here: apply them one by one, setting aside what fails.
                self.conn.execute("ROLLBACK TO page")
                received = self._apply_one_by_one(pairs)
            self.conn.execute("RELEASE page")
            journal.set_replica_value(self.conn, "pull_cursor", str(int(answer["cursor"])))
        return received

    def _apply(self, pairs) -> int:
        received = 0
        batch = []
        blocked = self._blocked_rows()
        for op, checked in pairs:
            if isinstance(checked, str) or (isinstance(checked, dict) and _row_key(checked) in blocked):
                received += merge.apply_batch(self.conn, batch)
                batch = []
                reason = checked if isinstance(checked, str) else "waits for an earlier change of this record"
                blocked.add(self._set_aside(op, reason))
                continue
            if checked is None:
                # A table of a newer FieldKit: keep the op for when this one is updated.
                received += merge.apply_batch(self.conn, batch) + merge.store_op(self.conn, op)
                batch = []
                continue
            batch.append(checked)
        return received + merge.apply_batch(self.conn, batch)

    def _apply_one_by_one(self, pairs) -> int:
        received = 0
        for op, checked in pairs:
            self.conn.execute("SAVEPOINT op")
            try:
                received += self._apply([(op, checked)])
            except sqlite3.Error as error:
                self.conn.execute("ROLLBACK TO op")
                self._set_aside(op, f"it cannot be stored here ({error})")
            self.conn.execute("RELEASE op")
        return received

    def _blocked_rows(self) -> set[tuple[str, str]]:
        return {(t, r) for t, r in self.conn.execute("SELECT DISTINCT tbl, row_id FROM sync_set_aside")}

    def _set_aside(self, op, reason: str) -> tuple[str, str]:
        op = op if isinstance(op, dict) else {}
        key = (str(op.get("tbl", ""))[:80], str(op.get("row_id", ""))[:80])
        dseq = op.get("dseq") if isinstance(op.get("dseq"), int) else 0
        self.conn.execute(
            "INSERT OR IGNORE INTO sync_set_aside (device_id, dseq, server_seq, tbl, row_id, op, reason, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            (
                str(op.get("device_id", ""))[:64],
                dseq,
                op.get("server_seq") if isinstance(op.get("server_seq"), int) else None,
                *key,
                json.dumps(op, ensure_ascii=False),
                reason[:500],
            ),
        )
        self.summary.set_aside += 1
        return key

    def retry_set_aside(self) -> int:
        """Try again every op set aside earlier (after an upgrade they may apply); returns how many did.

        In server order, each in its own savepoint: one that applies leaves the table, one that
        still fails stays with its new reason, and keeps every later op of its row waiting.
        """
        rows = self.conn.execute(
            "SELECT device_id, dseq, op FROM sync_set_aside ORDER BY server_seq, device_id, dseq"
        ).fetchall()
        if not rows:
            return 0
        applied = 0
        with journal.transaction(self.conn):
            blocked: set[tuple[str, str]] = set()
            for device_id, dseq, text in rows:
                op = json.loads(text)
                checked = _check_pulled(op)
                key = _row_key(op)
                if isinstance(checked, str) or key in blocked:
                    blocked.add(key)
                    continue
                self.conn.execute("SAVEPOINT retry")
                try:
                    if checked is None:
                        merge.store_op(self.conn, op)
                    else:
                        merge.apply_remote(self.conn, checked)
                except sqlite3.Error:
                    self.conn.execute("ROLLBACK TO retry")
                    blocked.add(key)
                else:
                    self.conn.execute(
                        "DELETE FROM sync_set_aside WHERE device_id = ? AND dseq = ?", (device_id, dseq)
                    )
                    applied += 1
                self.conn.execute("RELEASE retry")
        return applied

    # -- attachments ------------------------------------------------------------------

    def _local_shas(self, missing_here: bool) -> list[str]:
        shas = [r[0] for r in self.conn.execute(_files_sql())]
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

"""A run's rejects in documents of :data:`PER_DOCUMENT` (the bucket pattern), in
``rejects_<runId>``: written beside the reading, read by ``_id`` without an index.

The rejects come in file order (a source, then its lines). They are written twice, in
documents of exactly ``PER_DOCUMENT`` (the last of each sequence holds the rest):

- every reject in file order: ``{_id: k, rejects: [...]}`` for ``k`` from 0;
- the rejects of each primary reason in file order: ``{_id: "<reason>/<k>", reason,
  rejects: [...]}``;

and ``{_id: "counts", perDocument, total, byReason}``, written before the first of them
(``total`` null while the run reads: its ledger entry has the counts so far) and completed
once the run has read its files. Reject ``n`` (from 0) of a sequence is in its document
``n // perDocument``, so a page of rejects, by reason or not, is one or two reads by ``_id``.
(Measured on the embedded server: the 10M-row file's 45,515 rejects cost 7.0 s inserted a
document each, indexed and dropped; 0.2 s in documents of 1,000.) A run that rejected nothing
writes no collection. The rejects of runs recorded before (no ``counts`` document): a
document each, indexed, or all in one ``rejects`` collection; those are still read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo import ASCENDING

from ..paging import Page
from ..schema import REJECT_FIELDS
from .connection import Document, Store
from .writer import BackgroundWriter

#: Rejects a document holds (each at most 4 KiB of raw text: a document stays under 5 MB).
PER_DOCUMENT = 1000
#: The ``_id`` of a run's counts.
COUNTS = "counts"


def reason_id(reason: str, k: int) -> str:
    return f"{reason}/{k}"


class RejectsWriter:
    """Writes a run's rejects, given in file order, as documents of :data:`PER_DOCUMENT`
    (every reject, and each reason's), from a thread of its own (:class:`BackgroundWriter`:
    in order, a bounded backlog, an insert's error raised at the next :meth:`put` or at
    :meth:`close`). ``after`` runs after each document is written (a fault point)."""

    def __init__(self, store: Store, run_id: str, after: Callable[[], None] | None = None) -> None:
        self._collection = store.rejects(run_id)
        self._writer = BackgroundWriter(self._collection, backlog=16, after=after)
        self._every: list[Document] = []
        self._reasons: dict[str, list[Document]] = {}
        self._written = 0
        self._written_of: dict[str, int] = {}
        self.total = 0
        self.by_reason: dict[str, int] = {}
        self._closed = False
        self._started = False

    def put(self, rows: list[Document]) -> None:
        """Rejects of the next block (each with its ``reason``), in file order."""
        for row in rows:
            reason = str(row["reason"])
            self._every.append(row)
            self._reasons.setdefault(reason, []).append(row)
            self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
        self.total += len(rows)
        self._flush(full_only=True)

    def _flush(self, full_only: bool) -> None:
        if self.total and not self._started:  # the counts, before the first rejects
            self._started = True
            self._writer.put([{"_id": COUNTS, "perDocument": PER_DOCUMENT, "total": None}])
        while len(self._every) >= PER_DOCUMENT or (self._every and not full_only):
            chunk, self._every = self._every[:PER_DOCUMENT], self._every[PER_DOCUMENT:]
            self._writer.put([{"_id": self._written, "rejects": chunk}])
            self._written += 1
        for reason, rows in self._reasons.items():
            while len(rows) >= PER_DOCUMENT or (rows and not full_only):
                chunk, rows = rows[:PER_DOCUMENT], rows[PER_DOCUMENT:]
                k = self._written_of.get(reason, 0)
                doc = {"_id": reason_id(reason, k), "reason": reason, "rejects": chunk}
                self._writer.put([doc])
                self._written_of[reason] = k + 1
            self._reasons[reason] = rows

    def close(self) -> None:
        """Write what is left and the counts; wait for every document to be written
        (raises the first insert's error). Once only."""
        if self._closed:
            self._writer.close()
            return
        self._closed = True
        self._flush(full_only=False)
        self._writer.close()
        if self.total:
            counts = {"perDocument": PER_DOCUMENT, "total": self.total, "byReason": self.by_reason}
            self._collection.replace_one({"_id": COUNTS}, counts)

    def abandon(self) -> None:
        """Stop, without writing what is left unless :meth:`close` did (a run that failed:
        its rejects go)."""
        self._closed = True
        self._writer.close()


def counts(store: Store, run_id: str) -> Document | None:
    """The counts document of a run whose rejects are written in documents of many, or
    ``None`` (a run recorded before, or one that rejected nothing)."""
    return store.rejects(run_id).find_one({"_id": COUNTS})


def read(
    store: Store,
    run_id: str,
    found: Document,
    entry: Document,
    reason: str | None,
    limit: int,
    offset: int,
) -> Page:
    """Rejects ``offset + 1 .. offset + limit`` of a run (of ``reason``, or all) in file
    order; ``found`` is its counts document, ``entry`` its ledger entry (the counts so far,
    while the run reads)."""
    if found.get("total") is None:
        found = {"total": entry.get("rejected") or 0, "byReason": entry.get("rejectsByReason")}
    by_reason = found.get("byReason") or {}
    total = int(by_reason.get(reason, 0) if reason else found["total"])
    size = int(found.get("perDocument") or PER_DOCUMENT)
    stop = min(offset + limit, total)
    numbers = range(offset // size, (stop - 1) // size + 1) if stop > offset else range(0)
    ids: list[Any] = [reason_id(reason, k) if reason else k for k in numbers]
    docs = list(store.rejects(run_id).find({"_id": {"$in": ids}})) if ids else []
    rows_of = {doc["_id"]: doc["rejects"] for doc in docs}
    rows = [row for key in ids for row in rows_of.get(key, [])]
    skip = offset - (numbers[0] * size if numbers else 0)
    return Page([shape(row) for row in rows[skip : skip + stop - offset]], total, limit, offset)


def read_each(store: Store, run_id: str, reason: str | None, limit: int, offset: int) -> Page:
    """Rejects of a run recorded before, a document each (in ``rejects_<runId>``, or in the
    shared ``rejects`` collection by ``runId``)."""
    collection, query = store.rejects_of(run_id)
    if reason is not None:
        query["reason"] = reason
    cursor = (
        collection.find(query, {"_id": 0})
        .sort([("sourceIndex", ASCENDING), ("line", ASCENDING)])
        .skip(offset)
        .limit(limit)
    )
    items = [shape(doc) for doc in cursor]
    return Page(items, collection.count_documents(query), limit, offset)


def shape(doc: Document) -> dict[str, Any]:
    """A reject as served: its fields in order (raw text stored before it was cut holds the
    whole record)."""
    item = {name: doc.get(name) for name in REJECT_FIELDS}
    if item["rawBytes"] is None:
        item["rawBytes"] = len(str(item["raw"]).encode("utf-8"))
        item["rawTruncated"] = False
    return item

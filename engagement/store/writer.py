"""Inserts that run beside the caller: one thread, in order, with a bounded backlog.

A run writes its rejects while it reads; when the store is busy (dropping an old dataset
holds some servers whole), the reading goes on and the rejects follow, in the order they
were given. An insert that fails is raised to the caller at its next :meth:`put` or at
:meth:`close`, so a run never succeeds with rejects missing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from pymongo.collection import Collection

from .connection import Document

_DONE = None


class BackgroundWriter:
    """``insert_many`` of each batch :meth:`put`, in order, on a thread of its own; at
    most ``backlog`` batches wait (then :meth:`put` waits). ``after`` runs after each
    insert (a fault point, in tests)."""

    def __init__(
        self,
        collection: Collection[Document],
        backlog: int = 64,
        after: Callable[[], None] | None = None,
    ) -> None:
        self._collection = collection
        self._after = after
        self._queue: queue.Queue[list[Document] | None] = queue.Queue(maxsize=backlog)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="engagement-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not _DONE:
            if self._error is not None:
                continue  # drain: the caller learns of the error and stops
            try:
                self._collection.insert_many(batch, ordered=False)
                if self._after:
                    self._after()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, batch: list[Document]) -> None:
        """Queue ``batch`` for insertion (raises an earlier insert's error)."""
        self._check()
        if batch:
            self._queue.put(batch)

    def close(self) -> None:
        """Wait for every batch to be written; raises the first insert error."""
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
        self._check()

"""The background writer a run writes its rejects with: in order, every batch, errors raised."""

from __future__ import annotations

import pytest
from pymongo.errors import BulkWriteError

from engagement.store.connection import Store
from engagement.store.writer import BackgroundWriter


def test_batches_are_written_in_order(store: Store) -> None:
    written: list[int] = []
    writer = BackgroundWriter(store.db["w"], backlog=2, after=lambda: written.append(1))
    for k in range(20):
        writer.put([{"k": k, "j": j} for j in range(3)])
    writer.put([])  # nothing to write: skipped
    writer.close()
    writer.close()  # closing twice is harmless
    assert len(written) == 20
    docs = list(store.db["w"].find({}, {"_id": 0}).sort([("k", 1), ("j", 1)]))
    assert [(d["k"], d["j"]) for d in docs] == [(k, j) for k in range(20) for j in range(3)]


def test_an_insert_error_reaches_the_caller(store: Store) -> None:
    store.db["u"].create_index("k", unique=True)
    writer = BackgroundWriter(store.db["u"])
    writer.put([{"k": 1}])
    writer.put([{"k": 1}])  # a duplicate: the insert fails in the thread
    with pytest.raises(BulkWriteError):
        writer.close()
    with pytest.raises(BulkWriteError):  # and at any later put
        writer.put([{"k": 2}])
    assert store.db["u"].count_documents({}) == 1

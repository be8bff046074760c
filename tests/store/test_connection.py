"""engagement.store.connection: connect, the Store's collections, and pymongo errors turned
into the library's StoreUnavailableError / StoreError."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import InvalidOperation, OperationFailure

from engagement.errors import StoreError, StoreUnavailableError
from engagement.store.connection import (
    Store,
    connect,
    redact,
    rejects_indexes,
    store_error,
    translate_errors,
)
from engagement.store.embedded import free_port

from ..conftest import MongoServer


def test_connect_gives_a_store_of_the_database_and_its_collections(
    mongo_server: MongoServer, database_name: str
) -> None:
    with connect(mongo_server.uri, database=database_name, timeout=5) as store:
        assert store.target == mongo_server.uri
        assert repr(store) == f"Store({mongo_server.uri!r}, database={database_name!r})"
        assert store.db.name == database_name
        names = [
            store.runs.name,
            store.state.name,
            store.shared_rejects.name,
            store.rejects("r1").name,
            store.pages("r1").name,
            store.performers("r1").name,
            store.campaigns("r1").name,
            store.influencers("r1").name,
            store.days("r1").name,
        ]
        assert names == [
            "runs",
            "state",
            "rejects",
            "rejects_r1",
            "pages_r1",
            "performers_r1",
            "campaigns_r1",
            "influencers_r1",
            "days_r1",
        ]
        assert store.current() is None  # nothing published in a new database
        assert store.sharded is False  # one server, no mongos
    with pytest.raises(InvalidOperation):  # leaving the block closed the client
        store.runs.find_one()


def test_collections_that_exist_and_where_rejects_are(store: Store) -> None:
    assert not store.exists(store.rejects("r1"))
    assert store.dataset_collections() == {}
    store.rejects("r1").insert_one({"line": 2})
    store.shared_rejects.insert_one({"runId": "r0", "line": 3})
    for collection in (store.pages("r1"), store.campaigns("r1"), store.performers("old")):
        collection.insert_one({"campaignId": "c1", "influencers": 1})
    store.days("old").insert_one({"_id": "c1", "days": []})
    assert store.exists(store.rejects("r1"))
    own, query = store.rejects_of("r1")
    assert (own.name, query) == ("rejects_r1", {})
    shared, query = store.rejects_of("r0")  # a run recorded before: the shared collection
    assert (shared.name, query) == ("rejects", {"runId": "r0"})
    found = {run: sorted(names) for run, names in store.dataset_collections().items()}
    assert found == {  # rejects, runs and state are no dataset's
        "r1": ["campaigns_r1", "pages_r1"],
        "old": ["days_old", "performers_old"],
    }
    summary = store.campaign_summary("r1", "c1")
    assert summary is not None and summary["influencers"] == 1
    assert store.campaign_summary("r1", "c2") is None
    store.ensure_indexes()
    store.ensure_indexes()  # idempotent
    keys = {name: info["key"] for name, info in store.runs.index_information().items()}
    assert keys == {
        "_id_": [("_id", 1)],
        "startedAt_-1": [("startedAt", -1)],
        "status_1": [("status", 1)],
    }
    assert [model.document["key"] for model in rejects_indexes()] == [
        {"sourceIndex": 1, "line": 1},
        {"reason": 1, "sourceIndex": 1, "line": 1},
    ]


def test_redact_hides_the_user_and_password() -> None:
    assert redact("mongodb://ann:s3cret@db.example:27017/x") == "mongodb://***@db.example:27017/x"
    assert redact("mongodb+srv://ann:pw@cluster.example/x") == "mongodb+srv://***@cluster.example/x"
    assert redact("mongodb://127.0.0.1:27017/") == "mongodb://127.0.0.1:27017/"
    assert redact("mongo://ann:s3cret@db.example/") == "mongo://***@db.example/"  # a typo too


def test_an_unreachable_store_is_store_unavailable_with_the_target_redacted() -> None:
    port = free_port()  # nobody listens there
    with pytest.raises(StoreUnavailableError) as raised:
        connect(f"mongodb://ann:s3cret@127.0.0.1:{port}/", timeout=0.3)
    error = raised.value
    assert error.target == f"mongodb://***@127.0.0.1:{port}/"
    assert error.detail == f"127.0.0.1:{port}: [Errno 111] Connection refused"
    assert str(error) == (
        f"store unreachable at mongodb://***@127.0.0.1:{port}/: "
        f"127.0.0.1:{port}: [Errno 111] Connection refused"
    )
    assert error.exit_code == 3 and "s3cret" not in str(error)
    # unchecked, it connects in the background: the first operation says it is unreachable
    lazy = connect(f"mongodb://127.0.0.1:{port}/", timeout=0.3, check=False)

    @translate_errors
    def pointer(store: Store) -> Any:
        return store.current()

    with lazy, pytest.raises(StoreUnavailableError) as raised:
        pointer(lazy)
    assert str(raised.value) == (
        f"store unreachable at mongodb://127.0.0.1:{port}/: "
        f"127.0.0.1:{port}: [Errno 111] Connection refused"
    )


def test_an_invalid_uri_is_a_store_error() -> None:
    with pytest.raises(StoreError) as raised:
        connect("notmongo://127.0.0.1/")
    assert not isinstance(raised.value, StoreUnavailableError)
    assert str(raised.value) == (
        "invalid store URI notmongo://127.0.0.1/: Invalid URI scheme: URI must begin with "
        "'mongodb://' or 'mongodb+srv://'"
    )
    with pytest.raises(StoreError) as typo:  # a mistyped scheme keeps its secret
        connect("mongo://ann:s3cret@db.example/")
    assert str(typo.value).startswith("invalid store URI mongo://***@db.example/: ")
    assert "s3cret" not in str(typo.value)
    with pytest.raises(StoreError) as port:  # pymongo refuses it with a ValueError
        connect("mongodb://ann:s3cret@127.0.0.1:notaport/")
    assert str(port.value).startswith(
        "invalid store URI mongodb://***@127.0.0.1:notaport/: Port contains non-digit characters"
    )
    assert "s3cret" not in str(port.value)


class _Holder:
    """Something that has a store (as a run or a cache has)."""

    def __init__(self, store: Store) -> None:
        self.store = store


def test_translate_errors_names_the_store_it_finds(store: Store, mongo_server: MongoServer) -> None:
    @translate_errors
    def command(store: Store, name: str) -> Any:
        return store.db.command(name)

    @translate_errors
    def through(holder: _Holder) -> Any:
        return holder.store.db.command("noSuchCommand")

    @translate_errors
    def anonymous(db: Any) -> Any:
        return db.command("noSuchCommand")

    assert command(store, "ping")["ok"] == 1  # what works is returned as it is
    refused = f"store at {mongo_server.uri} refused the operation: "
    for call in (
        lambda: command(store, "noSuchCommand"),
        lambda: command(store=store, name="noSuchCommand"),
        lambda: through(_Holder(store)),
    ):
        with pytest.raises(StoreError) as raised:
            call()
        cause = raised.value.__cause__
        assert isinstance(cause, OperationFailure)
        assert type(raised.value) is StoreError
        assert str(raised.value) == refused + str(cause.details)
        assert "no such command: 'noSuchCommand'" in str(raised.value)
    with pytest.raises(StoreError) as raised:
        anonymous(store.db)
    assert str(raised.value).startswith("store at the store refused the operation: ")
    # any other pymongo error: the store failed
    assert str(store_error(InvalidOperation("gone"), "X")) == "store at X failed: gone"
    closed = connect(mongo_server.uri, database=store.db.name)
    closed.close()
    with pytest.raises(StoreError) as raised:
        command(closed, "ping")
    assert type(raised.value) is StoreError
    assert str(raised.value) == (
        f"store at {mongo_server.uri} failed: Cannot use MongoClient after close"
    )

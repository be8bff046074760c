"""engagement.settings: the ENGAGEMENT_* environment read into settings (the library's own
defaults when unset), secrets kept out of sight, bad values refused with one line naming the
variables, and a store connected as the settings say."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from engagement.errors import StoreUnavailableError
from engagement.etl.reader import CHUNK_SIZE
from engagement.rules import MAX_RECORD_BYTES, MAX_REJECTED
from engagement.settings import Settings, settings_problem
from engagement.store import embedded
from engagement.store.connection import DEFAULT_DATABASE, DEFAULT_TIMEOUT
from engagement.store.embedded import free_port
from engagement.store.history import KEEP_DATASETS

from .conftest import MongoServer


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ENGAGEMENT_* variable set."""
    for name in list(os.environ):
        if name.upper().startswith("ENGAGEMENT_"):
            monkeypatch.delenv(name)
    return monkeypatch


def problem(monkeypatch: pytest.MonkeyPatch, **values: str) -> str:
    for name, value in values.items():
        monkeypatch.setenv(f"ENGAGEMENT_{name}", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    return settings_problem(caught.value)


def test_unset_means_the_librarys_defaults(clean: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.uri() is None  # the embedded server
    assert settings.db == DEFAULT_DATABASE == "engagement"
    assert settings.home == embedded.DEFAULT_HOME == Path(".engagement")
    assert settings.embedded_port == embedded.DEFAULT_PORT
    assert settings.timeout == DEFAULT_TIMEOUT and settings.api_timeout == 1.0
    assert settings.chunk_size == CHUNK_SIZE
    assert settings.max_record_bytes == MAX_RECORD_BYTES
    assert settings.keep_datasets == KEEP_DATASETS == 2
    assert settings.max_rejected == MAX_REJECTED
    assert settings.max_upload_bytes == 1 << 30
    assert (settings.dashboard_kernels, settings.dashboard_pool) == (8, 1)
    assert settings.dashboard_grace == 30
    assert settings.dashboard_secret() == ""  # open
    assert settings.origins() == []


def test_the_environment_is_read(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = {
        "MONGODB_URI": "mongodb://admin:s3cret@db.example:27017/",
        "DB": "analytics",
        "HOME": str(tmp_path),
        "EMBEDDED_PORT": "0",
        "TIMEOUT": "0.5",
        "CHUNK_SIZE": "5000",
        "MAX_RECORD_BYTES": "2048",
        "KEEP_DATASETS": "3",
        "MAX_REJECTED": "1",
        "API_KEY": "k-123",
        "DASHBOARD_GRACE": "600",
        "CORS_ORIGINS": " https://a.example , ,https://b.example,",
    }
    for name, value in values.items():
        clean.setenv(f"ENGAGEMENT_{name}", value)
    settings = Settings()
    assert settings.uri() == "mongodb://admin:s3cret@db.example:27017/"
    assert "s3cret" not in repr(settings) and "k-123" not in repr(settings)
    assert (settings.db, settings.home, settings.embedded_port) == ("analytics", tmp_path, 0)
    assert (settings.timeout, settings.chunk_size, settings.max_record_bytes) == (0.5, 5000, 2048)
    assert (settings.keep_datasets, settings.max_rejected) == (3, 1.0)
    assert settings.dashboard_grace == 600
    assert settings.origins() == ["https://a.example", "https://b.example"]
    assert settings.dashboard_secret() == "k-123"  # no token of its own: the API key
    clean.setenv("ENGAGEMENT_DASHBOARD_TOKEN", "t-456")
    assert Settings().dashboard_secret() == "t-456"  # its own token wins


def test_blank_secrets_are_unset(clean: pytest.MonkeyPatch) -> None:
    clean.setenv("ENGAGEMENT_MONGODB_URI", "")
    clean.setenv("ENGAGEMENT_API_KEY", "   ")
    clean.setenv("ENGAGEMENT_DASHBOARD_TOKEN", "\t")
    settings = Settings()
    assert settings.mongodb_uri is None and settings.uri() is None
    assert settings.api_key is None and settings.dashboard_token is None
    assert settings.dashboard_secret() == ""


def test_a_blank_database_or_home_is_the_default(clean: pytest.MonkeyPatch) -> None:
    """``ENGAGEMENT_DB=`` is not a database named "" (pymongo refuses it), nor
    ``ENGAGEMENT_HOME=`` the current directory for the embedded store's data."""
    clean.setenv("ENGAGEMENT_DB", "")
    clean.setenv("ENGAGEMENT_HOME", "  ")
    settings = Settings()
    assert (settings.db, settings.home) == ("engagement", Path(".engagement"))
    clean.setenv("ENGAGEMENT_DB", "mine")
    assert Settings().db == "mine"


def test_bad_values_are_refused_naming_their_variables(clean: pytest.MonkeyPatch) -> None:
    assert problem(clean, CHUNK_SIZE="0") == (
        "invalid setting ENGAGEMENT_CHUNK_SIZE: Input should be greater than 0"
    )
    clean.delenv("ENGAGEMENT_CHUNK_SIZE")
    cases = {
        "TIMEOUT": ("abc", "Input should be a valid number, unable to parse string as a number"),
        "API_TIMEOUT": ("0", "Input should be greater than 0"),
        "MAX_RECORD_BYTES": (
            "1.5",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        "KEEP_DATASETS": ("0", "Input should be greater than or equal to 1"),
        "MAX_REJECTED": ("1.5", "Input should be less than or equal to 1"),
        "DASHBOARD_KERNELS": ("1", "Input should be greater than or equal to 2"),
        "DASHBOARD_POOL": ("-1", "Input should be greater than or equal to 0"),
        "DASHBOARD_GRACE": ("601", "Input should be less than or equal to 600"),
        "EMBEDDED_PORT": (
            "any",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    }
    for name, (value, message) in cases.items():
        assert problem(clean, **{name: value}) == f"invalid setting ENGAGEMENT_{name}: {message}"
        clean.delenv(f"ENGAGEMENT_{name}")
    # several at once: all named, in the settings' order, on one line
    assert problem(clean, MAX_REJECTED="-0.1", TIMEOUT="-1") == (
        "invalid setting ENGAGEMENT_TIMEOUT: Input should be greater than 0; "
        "ENGAGEMENT_MAX_REJECTED: Input should be greater than or equal to 0"
    )


def test_connect_as_the_settings_say(
    clean: pytest.MonkeyPatch, mongo_server: MongoServer, database_name: str
) -> None:
    clean.setenv("ENGAGEMENT_MONGODB_URI", mongo_server.uri)
    clean.setenv("ENGAGEMENT_DB", database_name)
    with Settings().connect() as store:
        assert store.db.name == database_name
        assert store.db.command("ping")["ok"] == 1
    with Settings().connect(database="other_" + database_name) as store:  # given wins
        assert store.db.name == "other_" + database_name
    # a URI given wins over the environment's: here one where nothing listens
    clean.setenv("ENGAGEMENT_TIMEOUT", "0.3")
    nowhere = f"mongodb://127.0.0.1:{free_port()}/"
    with pytest.raises(StoreUnavailableError) as caught:
        Settings().connect(nowhere)
    assert str(caught.value).startswith(f"store unreachable at {nowhere}: ")
    with Settings().connect(nowhere, check=False) as store:  # not checked: not refused yet
        assert store.target == nowhere and store.db.name == database_name

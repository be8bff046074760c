"""Dependencies: the store and its reader, the API key check."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from engagement import Store
from engagement.serving import Reader
from engagement.settings import Settings

#: How long the API reuses the published-dataset pointer: a new dataset shows within this.
POINTER_SECONDS = 1.0


class StoreProvider:
    """One store client and one reader of the published dataset for the app's lifetime,
    made on first use.

    The client reconnects by itself, so the API answers 503 while the store is down and
    recovers without a restart when it is back.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        return self.reader().store

    def reader(self) -> Reader:
        if self._reader is None:
            with self._lock:
                if self._reader is None:
                    self._store = self.settings.connect(
                        timeout=self.settings.api_timeout, check=False
                    )
                    reader = Reader(self._store, pointer_seconds=POINTER_SECONDS)
                    self._reader = reader.start()
        return self._reader

    def made(self) -> Reader | None:
        """The reader once made (no connection attempt)."""
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._store is not None:
            self._store.close()
            self._store = None


async def get_store(request: Request) -> Store:
    # async: no I/O here (the client connects in the background), and no thread hop
    provider: StoreProvider = request.app.state.stores
    return provider.get()


async def get_reader(request: Request) -> Reader:
    provider: StoreProvider = request.app.state.stores
    return provider.reader()


StoreDep = Annotated[Store, Depends(get_store)]
ReaderDep = Annotated[Reader, Depends(get_reader)]

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


def key_accepted(given: str | bytes | None, expected: str | None) -> bool:
    """Does ``given`` (an ``X-API-Key`` header) carry the API key ``expected`` (``None``:
    none is set, every request is accepted)? Compared in constant time."""
    if expected is None:
        return True
    if given is None:
        return False
    raw = given if isinstance(given, bytes) else given.encode()
    return hmac.compare_digest(raw, expected.encode())


async def require_api_key(
    request: Request, key: Annotated[str | None, Security(api_key_header)] = None
) -> None:
    """When ``ENGAGEMENT_API_KEY`` is set, the request must carry it in ``X-API-Key``."""
    if not key_accepted(key, request.app.state.api_key):
        raise HTTPException(
            status_code=401,
            detail="missing or invalid X-API-Key header",
            headers={"WWW-Authenticate": "APIKey"},
        )


async def require_writer(
    request: Request, key: Annotated[str | None, Security(api_key_header)] = None
) -> None:
    """Writes need the API key: without one configured they are refused (403)."""
    if request.app.state.api_key is None:
        raise HTTPException(
            403, "uploads are disabled: the server has no API key (set ENGAGEMENT_API_KEY)"
        )
    await require_api_key(request, key)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.stores.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]

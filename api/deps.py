"""Dependencies: the store, the API key check, paging headers."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, Security
from fastapi.security import APIKeyHeader

from engagement import Store
from engagement.serving import DatasetCache
from engagement.settings import Settings

from .caching import PageBytes

#: How long the API reuses the published-dataset pointer: a new dataset shows within this.
POINTER_SECONDS = 1.0


class StoreProvider:
    """One store client and one cache of the published dataset for the app's lifetime,
    made on first use.

    The client reconnects by itself, so the API answers 503 while the store is down and
    recovers without a restart when it is back.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._cache: DatasetCache | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        return self.cache().store

    def cache(self) -> DatasetCache:
        if self._cache is None:
            with self._lock:
                if self._cache is None:
                    self._store = self.settings.connect(
                        timeout=self.settings.api_timeout, check=False
                    )
                    cache = DatasetCache(self._store, pointer_seconds=POINTER_SECONDS)
                    self._cache = cache.start()
        return self._cache

    def cached(self) -> DatasetCache | None:
        """The cache once made (no connection attempt)."""
        return self._cache

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        if self._store is not None:
            self._store.close()
            self._store = None


async def get_store(request: Request) -> Store:
    # async: no I/O here (the client connects in the background), and no thread hop
    provider: StoreProvider = request.app.state.stores
    return provider.get()


async def get_cache(request: Request) -> DatasetCache:
    provider: StoreProvider = request.app.state.stores
    return provider.cache()


async def get_pages(request: Request) -> PageBytes:
    pages: PageBytes = request.app.state.pages
    return pages


StoreDep = Annotated[Store, Depends(get_store)]
CacheDep = Annotated[DatasetCache, Depends(get_cache)]
PagesDep = Annotated[PageBytes, Depends(get_pages)]

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


async def require_api_key(
    request: Request, key: Annotated[str | None, Security(api_key_header)] = None
) -> None:
    """When ``ENGAGEMENT_API_KEY`` is set, the request must carry it in ``X-API-Key``."""
    expected: str | None = request.app.state.api_key
    if expected is None:
        return
    if key is None or not hmac.compare_digest(key.encode(), expected.encode()):
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


def paging_headers(
    request: Request,
    response: Response,
    total: int,
    limit: int,
    offset: int,
    dataset: str | None = None,
) -> None:
    """``X-Total-Count``, ``X-Dataset`` (the run id of the dataset read), and an RFC 8288
    ``Link: <...>; rel="next"`` while more follow."""
    response.headers["X-Total-Count"] = str(total)
    if dataset:
        response.headers["X-Dataset"] = dataset
    if offset + limit < total:
        nxt = request.url.include_query_params(offset=offset + limit)
        response.headers["Link"] = f'<{nxt}>; rel="next"'

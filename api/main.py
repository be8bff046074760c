"""The FastAPI application: ``uvicorn api.main:create_app --factory`` or ``engagement serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from engagement import __version__
from engagement.settings import Settings

from . import problems
from .deps import StoreProvider, require_api_key
from .fastpath import HotPages
from .routes import campaigns, compare, health, influencers, performers, runs
from .uploads import UploadFolders


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.uploads.sweep()  # what uploads of processes now gone left behind
        # the published dataset read ahead before the first request (bounded; a store
        # that does not answer is met by requests), then followed in the background
        await run_in_threadpool(app.state.stores.reader().prepare)
        yield
        app.state.uploads.close()
        app.state.stores.close()

    app = FastAPI(
        title="engagement",
        version=__version__,
        summary="Influencer campaign analytics: top performers by engagement rate.",
        lifespan=lifespan,
    )
    app.state.stores = StoreProvider(settings)
    app.state.uploads = UploadFolders(settings.home / "uploads")
    app.state.api_key = settings.api_key.get_secret_value() if settings.api_key else None
    app.add_middleware(HotPages, state=app.state)  # inside CORS: its headers still added
    if settings.origins():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins(),
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "If-None-Match", "Content-Type"],
            expose_headers=["ETag", "X-Total-Count", "X-Dataset", "Link", "Location"],
        )
    problems.install(app)
    secured = [Depends(require_api_key)] if app.state.api_key else []
    for router in (
        performers.router,
        campaigns.router,
        campaigns.benchmarks_router,
        influencers.router,
        compare.router,
        runs.router,
    ):
        app.include_router(router, dependencies=secured)
    app.include_router(health.router)
    problems.document(app, unsecured={"/health"}, keyed=bool(secured))
    return app

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from engagement.errors import StoreError
from engagement.store.queries import published_run

from ..deps import StoreDep
from ..models import Health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The store is unreachable"}},
    summary="Liveness and store reachability",
)
def health(store: StoreDep) -> JSONResponse:
    """200 when the API and its store answer; 503 (same shape) when the store does not."""
    try:
        dataset = published_run(store)
    except StoreError:
        body = Health(status="degraded", store="down", dataset=None)
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Health(status="ok", store="up", dataset=dataset).model_dump())

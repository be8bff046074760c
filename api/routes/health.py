from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from engagement.errors import StoreError
from engagement.serving import published_run

from ..deps import ReaderDep
from ..models import Health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The store is unreachable"}},
    summary="Liveness and store reachability",
)
def health(reader: ReaderDep) -> JSONResponse:
    """200 when the API and its store answer; 503 (same shape) when the store does not."""
    try:
        dataset = published_run(reader.store)  # the store's word, as it is now
    except StoreError:
        body = Health(status="degraded", store="down", dataset=None)
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Health(status="ok", store="up", dataset=dataset).model_dump())

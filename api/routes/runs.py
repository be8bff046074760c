from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from engagement import RejectReason, rejects, run, runs
from engagement.store.queries import MAX_OFFSET

from ..deps import StoreDep, paging_headers
from ..models import Problem, Reject, Run

router = APIRouter(prefix="/runs", tags=["runs"])


@router.get("", response_model=list[Run], summary="ETL runs, newest first")
def list_runs(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """The run ledger: status, counts by reason, sources, timings."""
    return runs(store, limit=limit, offset=offset)


@router.get(
    "/{runId}",
    response_model=Run,
    responses={404: {"model": Problem, "description": "Unknown run"}},
    summary="One run",
)
def get_run(runId: str, store: StoreDep) -> dict[str, Any]:  # noqa: N803
    found = run(store, runId)
    if found is None:
        raise HTTPException(404, f"run {runId!r} does not exist")
    return found


@router.get(
    "/{runId}/rejects",
    response_model=list[Reject],
    responses={404: {"model": Problem, "description": "Unknown run"}},
    summary="Rejected rows of a run",
)
def get_rejects(
    runId: str,  # noqa: N803
    request: Request,
    response: Response,
    store: StoreDep,
    reason: Annotated[RejectReason | None, Query(description="Only this primary reason")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """Quarantined records by file and line, with every reason and the raw text."""
    page = rejects(
        store, runId, reason=reason.value if reason else None, limit=limit, offset=offset
    )
    if page is None:
        raise HTTPException(404, f"run {runId!r} does not exist")
    paging_headers(request, response, page.total, limit, offset)
    return page.items

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from engagement import (
    RejectReason,
    RunOptions,
    RunRefusedError,
    RunReport,
    Store,
    StoreError,
    rejects,
    run,
    run_etl,
    runs,
)
from engagement.exports import csv_lines
from engagement.paging import MAX_LEDGER_LIMIT, MAX_OFFSET
from engagement.pipeline import check_inputs
from engagement.schema import REJECT_FIELDS
from engagement.serving import Reader
from engagement.settings import Settings
from engagement.store.lifecycle import new_run_id

from ..caching import CSV, paging, wants_csv
from ..deps import ReaderDep, SettingsDep, StoreDep, require_writer
from ..models import Problem, Reject, Run
from ..options import RunOptionsDep
from ..uploads import UploadFolders, receive, too_large

router = APIRouter(prefix="/runs", tags=["runs"])
log = logging.getLogger("engagement.api")

UPLOAD_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        "application/gzip": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "costs": {
                        "type": "string",
                        "format": "binary",
                        "description": "A costs file: campaignId,influencerId,cost",
                    },
                },
            }
        },
    },
}


@router.get("", response_model=list[Run], summary="ETL runs, newest first")
def list_runs(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LEDGER_LIMIT)] = 20,
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
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"model": Problem, "description": "Unknown run"},
    },
    summary="Rejected rows of a run",
)
def get_rejects(
    runId: str,  # noqa: N803
    request: Request,
    response: Response,
    store: StoreDep,
    reason: Annotated[RejectReason | None, Query(description="Only this primary reason")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LEDGER_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """Quarantined records by file and line, with every reason and the raw text (as CSV
    with ``Accept: text/csv``, reasons joined by ``;``)."""
    page = rejects(
        store, runId, reason=reason.value if reason else None, limit=limit, offset=offset
    )
    if page is None:
        raise HTTPException(404, f"run {runId!r} does not exist")
    found = paging(request.url, page.total, limit, offset)
    if wants_csv(request.headers.get("accept")):
        return StreamingResponse(
            csv_lines(page.items, REJECT_FIELDS), media_type=CSV, headers=found
        )
    response.headers.update(found)
    return page.items


@router.post(
    "",
    status_code=202,
    response_model=Run,
    dependencies=[Depends(require_writer)],
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses={
        403: {"model": Problem, "description": "The server has no API key: uploads are off"},
        409: {"model": Problem, "description": "Another run is publishing (see Retry-After)"},
        413: {
            "model": Problem,
            "description": "The body, or what its files expand to, is larger than the limit",
        },
        415: {"model": Problem, "description": "Not CSV, gzip or multipart/form-data"},
        422: {"model": Problem, "description": "A file cannot be loaded (a column missing...)"},
    },
    summary="Upload CSV exports and run the ETL",
)
async def upload(
    request: Request,
    store: StoreDep,
    reader: ReaderDep,
    settings: SettingsDep,
    options: RunOptionsDep,
) -> Response:
    """The body (``text/csv``, gzip, or ``multipart/form-data`` with one or more files, and
    a costs file as the part named ``costs``) is streamed to temporary files, then the ETL
    runs in a worker: the answer, ``202`` with ``Location: /runs/{runId}`` and the run's
    ledger entry, comes once the run holds the publish lock. ``GET /runs/{runId}`` follows
    its counts and shows its end: ``succeeded``, ``failed``, or ``refused`` (too many rows
    rejected, or none accepted: nothing was published, and the run's rejects say why). The
    query parameters are the run's options (as ``engagement etl`` takes them), within the
    server's settings: a client may lower ``chunkSize`` and ``maxRecordBytes``, not raise
    them, and not name a ``scheduler``."""
    limit = settings.max_upload_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large(limit)  # refused before reading any of it
    folders: UploadFolders = request.app.state.uploads
    folder = folders.new()
    try:
        got = await receive(request.stream(), request.headers.get("content-type"), folder, limit)
        run_id = await run_in_threadpool(
            start_run, store, got.paths, options, settings, folder, reader, got.costs
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    entry = await run_in_threadpool(run, store, run_id)
    return JSONResponse(entry, status_code=202, headers={"Location": f"/runs/{run_id}"})


def start_run(
    store: Store,
    paths: list[Path],
    options: RunOptions,
    settings: Settings,
    folder: Path,
    reader: Reader,
    costs: Path | None = None,
) -> str:
    """Run the ETL on ``paths`` in a thread of its own; returns once the run holds the lock
    and its ledger entry exists (or raises what stopped it before). ``folder`` goes after.
    Once the run publishes, this server's ``reader`` follows at once: a client that sees the
    run succeeded reads its dataset from this server."""
    check_inputs(paths, options, costs)  # a file it cannot load: 422, nothing written
    run_id = new_run_id()
    started = threading.Event()
    failed: list[BaseException] = []

    def began(report: RunReport) -> None:
        started.set()

    def published(report: RunReport) -> None:
        with contextlib.suppress(StoreError):  # the pointer is reread within a second anyway
            reader.follow_now()

    def work() -> None:
        try:
            run_etl(
                paths,
                options,
                store=store,
                run_id=run_id,
                keep=settings.keep_datasets,
                on_start=began,
                on_publish=published,
                max_input_bytes=settings.max_upload_bytes,  # as received; checked again
                costs=costs,
            )
        except BaseException as exc:  # after the start, the ledger says how it ended
            if not started.is_set():
                failed.append(exc)
            elif isinstance(exc, RunRefusedError):
                log.info("uploaded run %s refused: %s", run_id, exc.reason)
            else:
                log.warning("uploaded run %s failed: %s", run_id, exc)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            started.set()

    threading.Thread(target=work, name=f"engagement-run-{run_id}", daemon=True).start()
    started.wait()
    if failed:
        raise failed[0]
    return run_id

"""Errors as RFC 9457 ``application/problem+json``; nothing escapes as a bare 500."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from engagement.errors import (
    DatasetNotKeptError,
    InputError,
    InputTooLargeError,
    RunInProgressError,
    StoreError,
    StoreUnavailableError,
    UsageError,
)

MEDIA_TYPE = "application/problem+json"
STORE_UNAVAILABLE = "urn:engagement:problem:store-unavailable"
log = logging.getLogger("engagement.api")


def problem(
    status: int, detail: str, *, type_: str = "about:blank", headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part not in ("query", "path", "header"))


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = [f"{_location(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
    return problem(422, "; ".join(parts) or "invalid request")


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem(exc.status_code, detail, headers=dict(exc.headers or {}))


async def on_usage_error(request: Request, exc: Exception) -> JSONResponse:
    return problem(422, str(exc))


async def on_not_kept(request: Request, exc: Exception) -> JSONResponse:
    return problem(404, str(exc))


#: Seconds a client is told to wait before it retries (another run publishing, a store down).
RETRY_SECONDS = 5


async def on_run_in_progress(request: Request, exc: Exception) -> JSONResponse:
    detail = f"{exc}; retry once it has finished (in {RETRY_SECONDS} s: Retry-After)"
    return problem(409, detail, headers={"Retry-After": str(RETRY_SECONDS)})


async def on_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputTooLargeError)
    return problem(413, f"the upload expands past {exc.limit:,} bytes once decompressed")


async def on_store_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, StoreUnavailableError):
        detail = "the data store is unreachable; try again shortly"
    else:
        log.warning("store error: %s", exc)
        detail = "the data store failed the request; try again shortly"
    headers = {"Retry-After": str(RETRY_SECONDS)}
    return problem(503, detail, type_=STORE_UNAVAILABLE, headers=headers)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path)
    return problem(500, "unexpected error; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(UsageError, on_usage_error)
    app.add_exception_handler(DatasetNotKeptError, on_not_kept)
    app.add_exception_handler(InputError, on_usage_error)  # an uploaded file it cannot load
    app.add_exception_handler(RunInProgressError, on_run_in_progress)
    app.add_exception_handler(InputTooLargeError, on_too_large)
    app.add_exception_handler(StoreError, on_store_error)
    app.add_exception_handler(Exception, on_unexpected)


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_REPLACED = {"#/components/schemas/Problem", "#/components/schemas/HTTPValidationError"}


def _as_problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {MEDIA_TYPE: {"schema": _PROBLEM_REF}}}


def document(app: FastAPI, unsecured: set[str], keyed: bool) -> None:
    """Make the OpenAPI schema say what the API sends: problem+json errors, 401 and 503."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for path, item in schema["paths"].items():
            for operation in item.values():
                responses = operation["responses"]
                for code, response in list(responses.items()):
                    body = response.get("content", {}).get("application/json", {})
                    if int(code) >= 400 and body.get("schema", {}).get("$ref") in _REPLACED:
                        responses[code] = _as_problem(response.get("description", ""))
                if path in unsecured:
                    continue
                if keyed:
                    responses.setdefault("401", _as_problem("Missing or invalid X-API-Key"))
                responses.setdefault("422", _as_problem("Invalid parameters"))
                responses.setdefault("503", _as_problem("The data store is unreachable"))
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Problem"] = {
            "title": "Problem",
            "description": "An RFC 9457 problem detail.",
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "examples": ["about:blank"]},
                "title": {"type": "string", "examples": ["Not Found"]},
                "status": {"type": "integer", "examples": [404]},
                "detail": {"type": "string"},
            },
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

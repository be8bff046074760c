"""The run options (:mod:`engagement.options`) as the upload route's query parameters.

Each option is a query parameter named as its declaration says (``chunkSize``), typed and
bounded by it, described in the OpenAPI schema; the library then decides what a client may
set (:func:`engagement.options.for_client`).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from engagement.options import OPTIONS, Option, RunOptions, describe, for_client
from engagement.settings import Settings

from .deps import SettingsDep


def _annotation(declared: Option) -> Any:
    kind: Any = Literal[declared.choices] if declared.choices else declared.kind
    if declared.many:
        kind = list[kind]
    return Annotated[
        kind | None,
        Query(
            alias=declared.query,
            ge=declared.low,
            le=declared.high,
            max_length=declared.most if declared.many else None,
            description=describe(declared),
        ),
    ]


def _run_options(settings: Settings, **given: Any) -> RunOptions:
    return for_client(given, settings)


_run_options.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter("settings", inspect.Parameter.KEYWORD_ONLY, annotation=SettingsDep)]
    + [
        inspect.Parameter(
            declared.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=_annotation(declared),
        )
        for declared in OPTIONS
    ]
)

#: A run's options, from the request's query parameters.
RunOptionsDep = Annotated[RunOptions, Depends(_run_options)]

"""Exports of the published dataset: every performer field, as CSV, Parquet or JSON lines.

Rows come from the dataset published when the export starts (:meth:`.serving.Reader.performers`),
a campaign at a time in rank order, and go to the file as they come: memory follows one
campaign, not the dataset.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import UsageError
from .schema import PERFORMER_FIELDS, Performer
from .serving import Reader
from .store.connection import Store

FORMATS = ("csv", "parquet", "jsonl")
_ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}


def arrow_schema() -> pa.Schema:
    """The performer fields as an Arrow schema (an optional field is a nullable column)."""
    return pa.schema(
        [(name, _arrow(field.annotation)) for name, field in Performer.model_fields.items()]
    )


def _arrow(annotation: Any) -> pa.DataType:
    if getattr(annotation, "__origin__", None) is list:
        return pa.string()  # written flat (:func:`flat`)
    types = [t for t in get_args(annotation) if t is not type(None)] or [annotation]
    return _ARROW[types[0].__name__]


def flat(value: Any) -> Any:
    """A value as a flat file's cell holds it: a list as its items joined with ``;`` (the
    flags by their rules: their numbers are in the JSON forms), None for an empty one."""
    if not isinstance(value, list):
        return value
    items = [v["rule"] if isinstance(v, dict) else str(v) for v in value]
    return ";".join(items) or None


def csv_lines(rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> Iterator[str]:
    """``rows`` as CSV text (a header, then a line a row): floats at full precision, lists
    joined with ``;`` (:func:`flat`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(fields)
    yield flush()
    for row in rows:
        values = [row.get(name) for name in fields]
        writer.writerow([flat(v) for v in values])
        yield flush()


def performer_batches(
    store: Store, campaign_ids: Sequence[str] = ()
) -> Iterator[list[dict[str, Any]]]:
    """The published dataset's performers (of ``campaign_ids``, or all), a campaign at a
    time in campaign and rank order (:meth:`.serving.Reader.performers`)."""
    return Reader(store, cache_bytes=0).performers(campaign_ids)


def export(
    store: Store,
    path: str | os.PathLike[str],
    *,
    campaign_ids: Sequence[str] = (),
    format: str = "csv",
) -> int:
    """Write the published dataset's performers (of ``campaign_ids``, each once, or all) to
    ``path``; returns the rows written. The file appears whole or not at all: rows go to a
    file beside it, renamed to ``path`` once every row is written, so an export that fails
    (an unknown campaign, nothing published, the store lost) leaves ``path`` as it was."""
    if format not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    target = Path(path)
    # a new name beside it (created as any file is, with the user's umask)
    part = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        written = _write(performer_batches(store, list(dict.fromkeys(campaign_ids))), part, format)
        os.replace(part, target)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    return written


def _write(batches: Iterator[list[dict[str, Any]]], path: str, format: str) -> int:
    written = 0
    if format == "parquet":
        with pq.ParquetWriter(path, arrow_schema()) as writer:
            for batch in batches:
                rows = [{k: flat(v) for k, v in row.items()} for row in batch]
                writer.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()))
                written += len(batch)
        return written
    with open(path, "w", encoding="utf-8", newline="") as out:
        if format == "csv":
            lines = csv_lines((row for batch in batches for row in batch), PERFORMER_FIELDS)
            for line in lines:
                out.write(line)
                written += 1
            return written - 1  # the header
        for batch in batches:
            for row in batch:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += len(batch)
    return written

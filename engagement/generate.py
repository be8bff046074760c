"""Synthetic exports for benchmarks and tests: realistic posts plus malformed rows of every kind.

Deterministic for a seed. Campaigns share a pool of influencers, each (campaign, influencer)
pair has many posts around its own engagement rate, and a set fraction of rows is broken in
one of the ways real exports are: each reject reason (but record_too_large), plus blank lines.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from .errors import UsageError
from .rules import DATE_COLUMN, REASONS, RejectReason

HEADER = b"influencerId,campaignId,views,likes,comments,shares"
BATCH_ROWS = 1_000_000
#: The kinds of broken rows, in turn: every reject reason but record_too_large (a record
#: of over 1 MiB would dwarf the rest of the file), and a blank line; invalid_date only in
#: a file with dates.
KINDS: tuple[str, ...] = (
    *(
        r.value
        for r in REASONS  # generated files have no cost column: no invalid_cost
        if r not in (RejectReason.RECORD_TOO_LARGE, RejectReason.INVALID_COST)
    ),
    "blank_line",
)
UNDATED_KINDS = tuple(kind for kind in KINDS if kind != RejectReason.INVALID_DATE)
#: The season the posts of a dated file fall in (UTC): its first day (a Monday) and length.
SEASON_START = np.datetime64("2026-03-02", "s")
SEASON_DAYS = 91
#: A pair posts within this many days of its own first day.
PAIR_SPAN_DAYS = 42


@dataclass
class GenerateReport:
    """What :func:`generate` wrote: lines after the header, broken ones by kind."""

    path: str
    lines: int
    pairs: int
    campaigns: int
    malformed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def rows(self) -> int:
        """Records an ETL reads: every line but the blank ones."""
        return self.lines - self.malformed["blank_line"]

    @property
    def expected_rejects(self) -> int:
        return sum(n for kind, n in self.malformed.items() if kind != "blank_line")


def _broken(kind: str, rng: np.random.Generator, good: list[str]) -> bytes:
    """A broken row of ``kind`` made from the fields of a good one (six, or seven with the
    post date last)."""
    inf, camp, views, likes, comments, shares = good[:6]
    dated = len(good) == 7
    tail = f",{good[6]}" if dated else ""
    if kind == RejectReason.UNDECODABLE:
        return (
            f"{inf}".encode()
            + b"\xff\xfe,"
            + f"{camp},{views},{likes},{comments},{shares}{tail}".encode()
        )
    if kind == RejectReason.INVALID_DATE:
        bad = ["2026-02-30", "29/02/2026", "today", "2026-13-01", "2026-03-01T25:00", "NaN"]
        value = bad[int(rng.integers(len(bad)))]
        return f"{inf},{camp},{views},{likes},{comments},{shares},{value}".encode()
    if kind == "blank_line":
        return ["", "   "][int(rng.integers(2))].encode()
    choices: dict[str, list[str]] = {
        RejectReason.WRONG_FIELD_COUNT: [
            f"{inf},{camp},{views},{likes},{comments}",
            f"{inf},{camp},{views},{likes},{comments},{shares}{tail},extra",
            f"{inf};{camp};{views};{likes};{comments};{shares}{tail.replace(',', ';')}",
        ],
        RejectReason.MISSING_VALUE: [
            f",{camp},{views},{likes},{comments},{shares}",
            f"{inf},,{views},{likes},{comments},{shares}",
            f"{inf},{camp},{views},{likes},{comments},",
            f"{inf},{camp},  ,{likes},{comments},{shares}",
        ]
        + ([f"{inf},{camp},{views},{likes},{comments},{shares}, "] if dated else []),
        RejectReason.INVALID_ID: [
            f"{inf}\t{camp},{camp},{views},{likes},{comments},{shares}",
            f"{inf},{camp}\x7f,{views},{likes},{comments},{shares}",
            f"{inf}{'_' * 250},{camp},{views},{likes},{comments},{shares}",
        ],
        RejectReason.INVALID_NUMBER: [
            f"{inf},{camp},NaN,{likes},{comments},{shares}",
            f"{inf},{camp},{views},a lot,{comments},{shares}",
            f"{inf},{camp},{views},{likes},many,{shares}",
            f"{inf},{camp},{views},{likes},{comments},1e3",
            f"{inf},{camp},{views}.5,{likes},{comments},{shares}",
            f"{inf},{camp},inf,{likes},{comments},{shares}",
        ],
        RejectReason.OUT_OF_RANGE: [
            f"{inf},{camp},99999999999999999999,{likes},{comments},{shares}",
            f"{inf},{camp},{views},-10000000000000000,{comments},{shares}",
        ],
        RejectReason.NEGATIVE_VALUE: [
            f"{inf},{camp},-{views},{likes},{comments},{shares}",
            f"{inf},{camp},{views},{likes},-{comments},{shares}",
        ],
        RejectReason.ZERO_VIEWS: [
            f"{inf},{camp},0,0,0,0",
            f"{inf},{camp},0,{likes},{comments},{shares}",
        ],
        RejectReason.INTERACTIONS_EXCEED_VIEWS: [
            f"{inf},{camp},{views},{int(views) + 1},{comments},{shares}",
        ],
    }
    options = choices[kind]
    if dated and kind != RejectReason.WRONG_FIELD_COUNT:  # the date goes last (if not cut)
        options = [o if o.count(",") == 6 else o + tail for o in options]
    return options[int(rng.integers(len(options)))].encode()


def _batch(
    rng: np.random.Generator,
    n: int,
    campaigns: int,
    per_campaign: int,
    pool: int,
    pair_rate: npt.NDArray[np.float64],
    pair_start: npt.NDArray[np.int64] | None = None,
) -> list[pa.Array]:
    pair = rng.integers(0, campaigns * per_campaign, size=n)
    campaign = pair // per_campaign
    influencer = (campaign * (per_campaign // 2) + pair % per_campaign) % pool
    views = np.maximum(1, rng.lognormal(mean=9.5, sigma=1.1, size=n)).astype(np.int64)
    rate = np.clip(pair_rate[pair] * rng.lognormal(0.0, 0.25, size=n), 0.0, 1.0)
    interactions = np.minimum(views, np.round(views * rate)).astype(np.int64)
    likes = np.round(interactions * rng.uniform(0.6, 0.8, size=n)).astype(np.int64)
    comments = np.round((interactions - likes) * rng.uniform(0.3, 0.7, size=n)).astype(np.int64)
    shares = interactions - likes - comments

    def text(prefix: str, values: npt.NDArray[np.int64]) -> pa.Array:
        numbers = pc.cast(pa.array(values), pa.string())
        return pc.binary_join_element_wise(prefix, numbers, "") if prefix else numbers

    fields = [
        text("influencer_", influencer + 1),
        text("campaign_", campaign + 1),
        text("", views),
        text("", likes),
        text("", comments),
        text("", shares),
    ]
    if pair_start is not None:
        fields.append(_post_dates(rng, pair_start[pair]))
    return fields


#: How dated posts are written: strftime format, hours the written time is ahead of UTC,
#: the offset written after it, and the share of posts written so.
DATE_FORMS: tuple[tuple[str, int, str, float], ...] = (
    ("%Y-%m-%dT%H:%M:%S", 0, "Z", 0.70),
    ("%Y-%m-%dT%H:%M:%S", 2, "+02:00", 0.12),
    ("%Y-%m-%d %H:%M", -5, "-05:00", 0.08),
    ("%Y-%m-%dT%H:%M:%S", 0, "", 0.05),
    ("%Y-%m-%d", 0, "", 0.05),
)


def _post_dates(rng: np.random.Generator, start: npt.NDArray[np.int64]) -> pa.Array:
    """A post date for pairs that start posting on day ``start`` of the season: within
    PAIR_SPAN_DAYS of it, inside the season, at any time of day, written in the forms of
    :data:`DATE_FORMS` (the same UTC day whatever the form)."""
    n = len(start)
    day = np.minimum(start + rng.integers(0, PAIR_SPAN_DAYS, size=n), SEASON_DAYS - 1)
    seconds = day * 86_400 + rng.integers(0, 86_400, size=n)
    form = np.searchsorted(np.cumsum([f[3] for f in DATE_FORMS]), rng.random(n), side="right")
    form = np.minimum(form, len(DATE_FORMS) - 1)
    order = np.argsort(form, kind="stable")
    pieces = []
    for k, (pattern, ahead, suffix, _) in enumerate(DATE_FORMS):
        rows = order[form[order] == k]
        written = SEASON_START + (seconds[rows] + ahead * 3600).astype("timedelta64[s]")
        texts = pc.strftime(pa.array(written, pa.timestamp("s")), format=pattern)
        pieces.append(pc.binary_join_element_wise(texts, suffix, "") if suffix else texts)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return pa.concat_arrays(pieces).take(pa.array(inverse))


def generate(
    path: str | os.PathLike[str],
    rows: int,
    *,
    campaigns: int | None = None,
    influencers_per_campaign: int = 200,
    malformed: float = 0.005,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    dates: bool = True,
) -> GenerateReport:
    """Write a synthetic export of ``rows`` data rows (gzip-compressed if ``path`` ends .gz).

    With ``dates``, each row has a ``postedAt`` (a season of 13 weeks from 2026-03-02, each
    pair posting over six weeks of it, in several ISO 8601 forms). A fraction ``malformed``
    of the rows is broken, cycling through :data:`KINDS` (without ``invalid_date`` when
    there are no dates).
    """
    if rows < 0:
        raise UsageError(f"rows must be zero or more, not {rows}")
    if not 0.0 <= malformed <= 1.0:
        raise UsageError(f"malformed must be between 0 and 1, not {malformed}")
    if influencers_per_campaign < 1:
        raise UsageError("influencers_per_campaign must be at least 1")
    campaigns = campaigns if campaigns is not None else max(1, rows // 10_000)
    if campaigns < 1:
        raise UsageError(f"campaigns must be at least 1, not {campaigns}")
    pool = max(influencers_per_campaign, campaigns * influencers_per_campaign // 2)
    rng = np.random.default_rng(seed)
    pair_rate = rng.uniform(0.005, 0.12, size=campaigns * influencers_per_campaign)
    pair_start = (
        rng.integers(0, SEASON_DAYS - PAIR_SPAN_DAYS // 2, size=len(pair_rate)) if dates else None
    )
    kinds = KINDS if dates else UNDATED_KINDS
    name = os.fspath(path)
    report = GenerateReport(
        name,
        rows,
        campaigns * influencers_per_campaign,
        campaigns,
        malformed=dict.fromkeys(kinds, 0),
    )
    out: BinaryIO = (
        gzip.open(name, "wb", compresslevel=5)  # type: ignore[assignment]
        if name.endswith(".gz")
        else open(name, "wb")  # noqa: SIM115
    )
    kind_index = 0
    with out:
        out.write(HEADER + (f",{DATE_COLUMN}\n" if dates else "\n").encode())
        for start in range(0, rows, BATCH_ROWS):
            n = min(BATCH_ROWS, rows - start)
            batch_rng = np.random.default_rng([seed, start])
            fields = _batch(
                batch_rng, n, campaigns, influencers_per_campaign, pool, pair_rate, pair_start
            )
            lines = pc.cast(pc.binary_join_element_wise(*fields, ","), pa.binary())
            bad = np.flatnonzero(batch_rng.random(n) < malformed)
            if len(bad):
                good = [pc.take(f, pa.array(bad)).to_pylist() for f in fields]
                replacements = []
                for j in range(len(bad)):
                    kind = kinds[kind_index % len(kinds)]
                    kind_index += 1
                    report.malformed[kind] += 1
                    replacements.append(_broken(kind, batch_rng, [g[j] for g in good]))
                mask = np.zeros(n, dtype=np.bool_)
                mask[bad] = True
                lines = pc.replace_with_mask(
                    lines, pa.array(mask), pa.array(replacements, pa.binary())
                )
            out.write(_joined(lines))
            if progress:
                progress(start + n, rows)
    return report


def _joined(lines: pa.Array) -> bytes:
    """The values of a binary array, each followed by a newline."""
    terminated = pc.binary_join_element_wise(lines, pa.scalar(b"", pa.binary()), b"\n")
    offsets = np.frombuffer(terminated.buffers()[1], dtype=np.int32)[
        terminated.offset : terminated.offset + len(terminated) + 1
    ]
    data: bytes = terminated.buffers()[2].to_pybytes()
    return data[int(offsets[0]) : int(offsets[-1])]

"""Bad input, property-based: random bytes and random CSV through the reader and validator.

Every file is read the way the pipeline reads it (``PandasEngine.results``: blocks parsed,
validated and reduced per block) and the way a Dask worker does (``raw_blocks`` then
``parse_and_reduce``), at small block sizes so block edges move. Nothing may raise except an
``InputError`` for an unusable header at open; ``rowsRead == accepted + rejected``; and
the outcome equals the plain-Python reference of ``tests/helpers.py``.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from engagement.errors import InputError
from engagement.etl.aggregate import Aggregator
from engagement.etl.engines import PandasEngine, parse_and_reduce
from engagement.etl.parse import BOM
from engagement.etl.reader import GZIP_MAGIC, CsvSource
from engagement.etl.transform import BlockResult, reduce_block
from engagement.etl.validate import validate
from engagement.rules import ID_COLUMNS, MAX_RECORD_BYTES, METRIC_COLUMNS, REASONS, REQUIRED_COLUMNS

from .. import reference as rules
from ..helpers import HEADER, open_source, reference, reference_reasons

KNOWN_REASONS = [reason.value for reason in REASONS]
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

# --- figures ---------------------------------------------------------------------------------

EXAMPLES: Counter[str] = Counter()
ERRORS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record_figures(figures: dict[str, Any]) -> Iterator[None]:
    yield
    figures["fuzz"] = {"examples": sum(EXAMPLES.values()), "errors": sum(ERRORS.values())}


class _Example:
    """Count one example of a test, and whether it failed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        EXAMPLES[self.name] += 1

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is not None:
            ERRORS[self.name] += 1


# --- files and the engine path --------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def write_case(workdir: Path, data: bytes) -> Path:
    path = workdir / "case.csv"
    path.write_bytes(data)
    return path


def physical_lines(data: bytes) -> int:
    body = data.removeprefix(BOM)
    return body.count(b"\n") + (0 if not body or body.endswith(b"\n") else 1)


Sums = dict[tuple[str, str], tuple[int, int, int, int, int]]


@dataclass
class Outcome:
    """What the engine path made of one file (everything but the accepted rows themselves,
    which it only hands on as per-pair sums)."""

    rows: int = 0
    accepted: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)
    by_reason: Counter[str] = field(default_factory=Counter)
    blank_lines: int = 0
    sums: Sums = field(default_factory=dict)


def add_sums(sums: Sums, key: tuple[str, str], values: tuple[int, int, int, int, int]) -> None:
    old = sums.get(key, (0, 0, 0, 0, 0))
    sums[key] = (
        old[0] + values[0],
        old[1] + values[1],
        old[2] + values[2],
        old[3] + values[3],
        old[4] + values[4],
    )


def engine_results(src: CsvSource, chunk_rows: int, raw: bool) -> Iterator[BlockResult]:
    """The block results of an open source, as the pandas engine (on two threads) or
    a Dask worker (``raw_blocks`` then ``parse_and_reduce``, here in this process) does."""
    if raw:
        for block in src.raw_blocks(chunk_rows):
            yield parse_and_reduce(reduce_block, block, src.header, src.path)
    else:
        with PandasEngine(workers=2) as engine:
            yield from engine.map_blocks(src, chunk_rows, reduce_block)


def run_engine(
    path: Path,
    chunk_rows: int = 200_000,
    read_size: int | None = None,
    raw: bool = False,
    max_bytes: int = MAX_RECORD_BYTES,
) -> Outcome:
    out = Outcome()
    with open_source(path, read_size, max_bytes) as src:
        out.blank_lines = src.leading_blank_lines
        for result in engine_results(src, chunk_rows, raw):
            assert result.rows == result.accepted + len(result.rejects)
            assert sum(result.by_reason.values()) == len(result.rejects)
            out.rows += result.rows
            out.accepted += result.accepted
            out.rejects.extend(dict(row) for row in result.rejects)
            out.by_reason.update({r.value: n for r, n in result.by_reason.items() if n})
            out.blank_lines += result.blank_lines
            for row in result.sums.to_pylist():
                key = (row["campaignId"], row["influencerId"])
                values = tuple(row[c] for c in ("posts", *METRIC_COLUMNS))
                add_sums(out.sums, key, values)
    return out


def reference_outcome(data: bytes, max_bytes: int = MAX_RECORD_BYTES) -> Outcome:
    """The plain-Python reference of ``tests/reference.py``, in the engine's terms."""
    ref = reference(data, max_bytes)
    out = Outcome(
        rows=len(ref.accepted) + len(ref.rejects),
        accepted=len(ref.accepted),
        rejects=ref.rejects,
        by_reason=Counter(r["reason"] for r in ref.rejects),
        blank_lines=ref.blank_lines,
    )
    for row in ref.accepted:
        key = (row["campaignId"], row["influencerId"])
        add_sums(out.sums, key, (1, *(row[c] for c in METRIC_COLUMNS)))
    return out


def check_outcome(out: Outcome, data: bytes) -> None:
    """The invariants every read must keep, whatever the input."""
    assert out.rows == out.accepted + len(out.rejects)
    assert sum(out.by_reason.values()) == len(out.rejects)
    assert sum(s[0] for s in out.sums.values()) == out.accepted
    lines = physical_lines(data)
    seen = [r["line"] for r in out.rejects]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    for row in out.rejects:
        assert 2 <= row["line"] <= lines, (row, lines)
        assert row["reasons"] and row["reason"] == row["reasons"][0]
        assert set(row["reasons"]) <= set(KNOWN_REASONS)
        assert row["reasons"] == [r for r in KNOWN_REASONS if r in row["reasons"]]
    # every physical line is the header, a blank line or part of exactly one record
    assert out.rows + out.blank_lines + 1 <= lines


def check_all_ways(
    path: Path, data: bytes, chunk_rows: int, read_size: int, max_bytes: int = MAX_RECORD_BYTES
) -> Outcome:
    """Read ``path`` as the pipeline does and at small blocks both ways: all must agree."""
    base = run_engine(path, max_bytes=max_bytes)
    check_outcome(base, data)
    assert run_engine(path, chunk_rows, read_size, max_bytes=max_bytes) == base
    assert run_engine(path, chunk_rows, read_size, raw=True, max_bytes=max_bytes) == base
    return base


# --- 1. random bytes after a valid header ---------------------------------------------------

TOKENS = [
    b"\n",
    b"\r\n",
    b"\r",
    b",",
    b'"',
    b'""',
    b" ",
    b"\t",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xc3\xa9",
    b"\xe2\x80\x83",
    b"\xef\xbb\xbf",
    b"0",
    b"1",
    b"-1",
    b"1.0",
    b"NaN",
    b"x",
    b"a,c,10,1,2,3\n",
    b"a,c,10,1,2,3,4\n",
    b'"a","c","10","1","2","3"\n',
    b'"a\nb",c,5,0,0,0\n',
]
tokens = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)), max_size=60
).map(b"".join)
random_body = st.one_of(st.binary(max_size=400), tokens)


def clean_rows(count: int, newline: bytes, offset: int = 0) -> bytes:
    """Plain valid rows: with them around the garbage, blocks take the mixed pyarrow path."""
    rows = [b"p%d,pad,%d,1,2,3" % (k % 5, 100 + k) for k in range(offset, offset + count)]
    return b"".join(row + newline for row in rows)


@settings(max_examples=250, **SETTINGS)
@given(
    before=st.integers(0, 30),
    body=random_body,
    after=st.integers(0, 30),
    newline=st.sampled_from([b"\n", b"\r\n"]),
    bom=st.booleans(),
    chunk_rows=st.integers(1, 7),
    read_size=st.one_of(st.integers(1, 80), st.integers(80, 2000)),
)
def test_random_bytes_after_header(
    workdir: Path,
    before: int,
    body: bytes,
    after: int,
    newline: bytes,
    bom: bool,
    chunk_rows: int,
    read_size: int,
) -> None:
    with _Example("random_bytes_after_header"):
        head = (BOM if bom else b"") + HEADER.encode() + newline + clean_rows(before, newline)
        tail = newline + clean_rows(after, newline, before) if after else b""
        data = head + body + tail
        path = write_case(workdir, data)
        note(f"data={data!r}")
        out = check_all_ways(path, data, chunk_rows, read_size)
        assert out == reference_outcome(data)


# --- 2. entirely random bytes ---------------------------------------------------------------

HEADER_TOKENS = [
    HEADER.encode(),
    b"influencerId",
    b"campaignId",
    b"views,likes",
    b"comments",
    b"shares",
    b"views,likes,comments,shares",
    b"influencerId,campaignId,",
    b'"influencerId"',
    b"extra",
    BOM,
    GZIP_MAGIC,
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",  # a gzip member header, then garbage
]
HEADER_VARIANTS = [
    HEADER.encode(),
    b"campaignId,influencerId,shares,comments,likes,views",
    b" influencerId , campaignId,views,likes,comments,shares,extra",
    b'"influencerId","campaignId","views","likes","comments","shares"',
    b"Influencer ID,CAMPAIGN_ID,Views,likes,Comments,shares-,Posted At",  # names folded
    b'"influencer\nId",campaignId,views,likes,comments,shares',
    b"influencerId,Influencer-Id,campaignId,views,likes,comments,shares",  # one name twice
    b"influencerId,campaignId,views,likes,comments",  # shares missing
    b"influencerId,campaignId,views,likes,comments,shares,views",  # views twice
    b"influencerId,campaignId,views,likes,comments,shares\xff",
    b"influencerId;campaignId;views;likes;comments;shares",
]
soup = st.lists(
    st.one_of(st.sampled_from(HEADER_TOKENS), st.sampled_from(TOKENS), st.binary(max_size=6)),
    max_size=30,
).map(b"".join)
structured = st.tuples(
    st.sampled_from([b"", BOM, b"\n", b" \t\r\n", BOM + b"\n\n", b"\x00\n"]),
    st.sampled_from(HEADER_VARIANTS),
    st.sampled_from([b"\n", b"\r\n", b"", b"\r"]),
    st.one_of(soup, st.binary(max_size=200)),
).map(b"".join)
usable = st.tuples(  # a header the rules accept, then anything
    st.sampled_from([b"", BOM, b"\n", b" \t\r\n"]),
    st.sampled_from(HEADER_VARIANTS[:5]),
    st.sampled_from([b"\n", b"\r\n"]),
    st.one_of(soup, st.binary(max_size=200)),
).map(b"".join)
random_file = st.one_of(st.binary(max_size=300), soup, structured, usable)


def unusable_header(data: bytes) -> bool:
    """Whether the rules make ``data`` a fatal input error, in plain Python."""
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return True
    try:
        rules.load(data)
    except rules.Unusable:
        return True
    return False


@settings(max_examples=600, **SETTINGS)
@given(data=random_file, chunk_rows=st.integers(1, 7), read_size=st.integers(1, 80))
def test_random_bytes(workdir: Path, data: bytes, chunk_rows: int, read_size: int) -> None:
    with _Example("random_bytes"):
        path = write_case(workdir, data)
        note(f"data={data!r}")
        expect_error = unusable_header(data)
        try:
            CsvSource(path).close()  # opening reads the header
        except InputError:
            event("InputError at open")
            assert expect_error
            return
        event("header usable")
        assert not expect_error
        # the header is fine: the whole file must read without raising, every way
        out = check_all_ways(path, data, chunk_rows, read_size)
        assert out == reference_outcome(data)


# --- 3. random CSV ---------------------------------------------------------------------------

GOOD_IDS = ["a", "b", "A", "é", "x y", "c-1"]
BAD_IDS = [
    "",
    " ",
    "\t",
    "\u00a0",
    " a ",
    "\ta",
    "a\t",
    "\u00a0a",
    "a\u3000",
    "\x1cb\x1f",
    "\u2003é",
    "a,b",
    "a\nb",
    'a"b',
    '"',
    "a\r\nb",
]
GOOD_METRICS = ["0", "1", "7", "42", "1000", "+5", "007", "1.0", "12.000", "3.", " 3 ", "\t9"]
BAD_METRICS = [
    "",
    "  ",
    "NaN",
    "nan",
    "inf",
    "a lot",
    "-1",
    "-0",
    "1e3",
    "12.5",
    "1.01",
    ".5",
    "0x10",
    "1,234",
    "1 000",
    "١٢",  # Arabic-Indic digits
    "１",  # fullwidth one
    str(10**15),
    "-" + str(10**15),
    str(10**15 + 1),
    "-" + str(10**15 + 1),
    "9" * 30,
    "0" * 40 + "12",
    str(10**15) + ".000",
    "1\n2",
]
BLANKS = ["", " ", "\t", "  \t "]
KINDS = ["good", "good", "mixed", "mixed", "ragged", "blank"]
QUOTING = ["needed", "needed", "needed", "all", "some"]  # quote fields: when needed, all, some


def metric_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(GOOD_METRICS),
        st.integers(0, 10**15).map(str),
        st.sampled_from(BAD_METRICS),
    )


def id_values() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(GOOD_IDS), st.sampled_from(BAD_IDS))


def serialize(value: str, quote: bool) -> str:
    if quote or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, list[str], list[dict[str, Any]]]:
    """A CSV file, its header names, and what each item of it is (generator's view)."""
    names = list(draw(st.permutations(REQUIRED_COLUMNS)))
    if draw(st.booleans()):
        names.insert(draw(st.integers(0, len(names))), "note")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    leading = draw(st.lists(st.sampled_from(BLANKS), max_size=2))
    # mostly good rows make blocks that pyarrow takes with a few odd lines for Python
    mostly_good = draw(st.booleans())
    kinds = ["good"] * 12 + ["mixed", "ragged", "blank"] if mostly_good else KINDS
    items: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(kinds))
        if kind == "blank":
            items.append({"blank": True, "text": draw(st.sampled_from(BLANKS))})
            continue
        width = len(names)
        if kind == "ragged":
            width = draw(st.integers(1, len(names) + 3).filter(lambda w: w != len(names)))
        fields: list[str] = []
        for i in range(width):
            name = names[i] if i < len(names) else "note"
            if name in ID_COLUMNS:
                value = draw(st.sampled_from(GOOD_IDS) if kind == "good" else id_values())
            elif name in METRIC_COLUMNS:
                if kind == "good":
                    value = draw(st.integers(0, 10**6).map(str))
                else:
                    value = draw(metric_values())
            else:
                value = draw(st.sampled_from(["", "x", "a,b", 'q"q', " "]))
            fields.append(value)
        if kind == "good":  # valid by construction: views > 0, interactions <= views
            pos = {n: i for i, n in enumerate(names)}
            views = int(fields[pos["views"]]) + 1
            fields[pos["views"]] = str(views)
            rest = views
            for col in ("likes", "comments", "shares"):
                share = draw(st.integers(0, rest))
                fields[pos[col]] = str(share)
                rest -= share
        mode = "needed" if mostly_good and kind == "good" else draw(st.sampled_from(QUOTING))
        quotes = [mode == "all" or (mode == "some" and draw(st.booleans())) for _ in fields]
        text = ",".join(serialize(v, q) for v, q in zip(fields, quotes, strict=True))
        if not text.strip():  # a lone empty field would make a blank line, not a record
            text = serialize(fields[0], True)
        items.append({"blank": False, "fields": fields, "text": text, "good": kind == "good"})
    trailing = draw(st.booleans()) or bool(items and items[-1].get("text") == "")
    lines = [*leading, ",".join(names), *(item["text"] for item in items)]
    text = newline.join(lines) + (newline if trailing else "")
    # the line numbers the items start on
    number = len(leading) + 2
    for item in items:
        item["line"] = number
        number += 1 + item["text"].count("\n")
    return text.encode("utf-8"), names, items


def expected_from_items(
    names: list[str], items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[str, ...]]]:
    """Rejects and accepted rows from the fields the generator wrote (no parsing involved)."""
    positions = {col: names.index(col) for col in REQUIRED_COLUMNS}
    rejects: list[dict[str, Any]] = []
    accepted: list[tuple[str, ...]] = []
    for item in items:
        if item["blank"]:
            continue
        fields = item["fields"]
        reasons = reference_reasons(fields, positions, len(names), False)
        if item["good"]:
            assert reasons == []
        if reasons:
            rejects.append(rules.reject(item["line"], reasons, item["text"].encode()))
        else:
            row = {c: fields[positions[c]].strip() for c in ID_COLUMNS}
            row.update({c: rules.metric(fields[positions[c]]) for c in METRIC_COLUMNS})
            accepted.append(tuple(row[c] for c in ("campaignId", "influencerId", *METRIC_COLUMNS)))
    return rejects, sorted(accepted)


def accepted_rows(path: Path, chunk_rows: int, read_size: int | None) -> list[tuple[Any, ...]]:
    """The accepted rows themselves, from the per-block validation the engines run."""
    rows: list[tuple[Any, ...]] = []
    with open_source(path, read_size) as src:
        for block in src.blocks(chunk_rows):
            table = validate(block, src.header).accepted
            for row in table.to_pylist():
                rows.append(tuple(row[c] for c in ("campaignId", "influencerId", *METRIC_COLUMNS)))
    return sorted(rows)


@settings(max_examples=200, **SETTINGS)
@given(
    case=csv_files(),
    chunk_rows=st.integers(1, 7),
    read_size=st.one_of(st.integers(1, 120), st.integers(120, 2000)),
)
def test_random_csv(
    workdir: Path,
    case: tuple[bytes, list[str], list[dict[str, Any]]],
    chunk_rows: int,
    read_size: int,
) -> None:
    with _Example("random_csv"):
        data, names, items = case
        path = write_case(workdir, data)
        note(f"data={data!r}")
        out = check_all_ways(path, data, chunk_rows, read_size)
        assert out == reference_outcome(data)

        rejects, accepted = expected_from_items(names, items)
        assert out.rejects == rejects
        assert out.rows == sum(1 for item in items if not item["blank"])
        assert out.blank_lines == physical_lines(data) - 1 - sum(
            1 + item["text"].count("\n") for item in items if not item["blank"]
        )
        assert accepted_rows(path, chunk_rows, read_size) == accepted
        sums: Sums = {}
        for row in accepted:
            add_sums(sums, (row[0], row[1]), (1, *row[2:]))  # type: ignore[arg-type]
        assert out.sums == sums


# --- 4. well-formed rows: aggregation and rank ----------------------------------------------

CAMPAIGNS = ["c1", "c2", "C1", "ç"]
INFLUENCERS = ["a", "b", "B", "ab", "é", "z", "a b"]


@st.composite
def good_rows(draw: st.DrawFn) -> tuple[str, str, int, int, int, int]:
    views = draw(st.one_of(st.integers(1, 30), st.integers(1, 10**15)))
    likes = draw(st.integers(0, views))
    comments = draw(st.integers(0, views - likes))
    shares = draw(st.integers(0, views - likes - comments))
    return (
        draw(st.sampled_from(CAMPAIGNS)),
        draw(st.sampled_from(INFLUENCERS)),
        views,
        likes,
        comments,
        shares,
    )


def expected_performers(rows: list[tuple[str, str, int, int, int, int]]) -> list[tuple[Any, ...]]:
    """Performers by the rules, in plain Python: (campaign, influencer, rank, posts, sums...,
    rate), ordered by campaign and rank."""
    sums: dict[tuple[str, str], list[int]] = {}
    for campaign, influencer, *metrics in rows:
        total = sums.setdefault((campaign, influencer), [0, 0, 0, 0, 0])
        total[0] += 1
        for i, value in enumerate(metrics):
            total[i + 1] += value
    by_campaign: dict[str, list[tuple[float, str, list[int]]]] = {}
    for (campaign, influencer), total in sums.items():
        posts, views, likes, comments, shares = total
        rate = (likes + comments + shares) / views * 100
        by_campaign.setdefault(campaign, []).append((rate, influencer, total))
    out: list[tuple[Any, ...]] = []
    for campaign in sorted(by_campaign):
        ordered = sorted(by_campaign[campaign], key=lambda p: (-p[0], p[1]))
        for rank, (rate, influencer, total) in enumerate(ordered, start=1):
            out.append((campaign, influencer, rank, *total, rate))
    return out


@settings(max_examples=300, **SETTINGS)
@given(
    rows=st.lists(good_rows(), max_size=40),
    newline=st.sampled_from(["\n", "\r\n"]),
    chunk_rows=st.integers(1, 7),
    read_size=st.integers(1, 200),
    raw=st.booleans(),
)
def test_well_formed_rows_aggregate_and_rank(
    workdir: Path,
    rows: list[tuple[str, str, int, int, int, int]],
    newline: str,
    chunk_rows: int,
    read_size: int,
    raw: bool,
) -> None:
    with _Example("well_formed"):
        assert HEADER.startswith("influencerId,campaignId,views,likes,comments,shares")
        lines = [HEADER, *(",".join(map(str, (i, c, *metrics))) for c, i, *metrics in rows)]
        data = (newline.join(lines) + newline).encode("utf-8")
        path = write_case(workdir, data)
        note(f"data={data!r}")

        aggregator = Aggregator()
        read = accepted = rejected = 0
        with open_source(path, read_size) as src:
            for result in engine_results(src, chunk_rows, raw):
                aggregator.add_partial(result.sums)
                read += result.rows
                accepted += result.accepted
                rejected += len(result.rejects)
        assert (read, accepted, rejected) == (len(rows), len(rows), 0)

        frame = aggregator.performers()
        columns = ["campaignId", "influencerId", "rank", "posts", *METRIC_COLUMNS]
        got = [
            (*(v if isinstance(v, str) else int(v) for v in rec[:-1]), float(rec[-1]))
            for rec in frame[[*columns, "engagementRate"]].itertuples(index=False, name=None)
        ]
        # the library rates the same integer sums in float64: equal to the last bit
        assert got == expected_performers(rows)


# --- 5. records around the size bound, long ids, control characters -------------------------


@st.composite
def bounded_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """A file with records just under, at and over a small bound, multi-line ones, stray
    quotes, long ids and ids with control characters; and the bound."""
    bound = draw(st.integers(64, 400))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    char = draw(st.sampled_from([b"x", "é".encode(), "🙂".encode()]))
    lines = [HEADER.encode() + b",note"]
    for k in range(draw(st.integers(1, 12))):
        kind = draw(
            st.sampled_from(["good", "sized", "multi", "stray", "long_id", "control", "bare"])
        )
        row = b"i%d,c,100,1,2,3," % k
        if kind == "sized":  # a record of bound + delta bytes (without its terminator)
            delta = draw(st.integers(-2, 2))
            pad = max(0, bound + delta - len(row))
            note_text = (char * (pad // len(char) + 1))[:pad]
            lines.append(row + note_text)
        elif kind == "multi":  # a quoted note spanning lines, short or long
            parts = draw(st.integers(2, 4))
            size = draw(st.sampled_from([bound // 4, bound // 2, bound, 2 * bound]))
            piece = b"y" * max(1, size // parts)
            lines.append(row + b'"' + b"\n".join([piece] * parts) + b'"')
        elif kind == "stray":  # a quote that never closes, or closes much later
            lines.append(b'"' + row + char * draw(st.integers(0, bound)))
        elif kind == "long_id":
            length = draw(st.sampled_from([255, 256, 257, 300]))
            ident = (char * length).decode("utf-8")
            lines.append(ident.encode() + b",c,100,1,2,3,")
        elif kind == "control":
            bad = draw(st.sampled_from(["\x00", "\t", "\x7f", "\x1f", "\x0b", "\x01"]))
            where = draw(st.sampled_from(["a{}b,c", "a,c{}d", "{}a,c", "a{},c"]))
            lines.append(where.format(bad).encode() + b",100,1,2,3,")
        elif kind == "bare":  # a line longer than the bound, with nothing but one byte
            lines.append(char * (bound // len(char) + draw(st.integers(0, 3))))
        else:
            lines.append(row)
    trailing = draw(st.booleans())
    return newline.join(lines) + (newline if trailing else b""), bound


@settings(max_examples=300, **SETTINGS)
@given(
    case=bounded_files(),
    chunk_rows=st.integers(1, 7),
    read_size=st.one_of(st.integers(1, 120), st.integers(120, 3000)),
)
def test_records_around_the_bound(
    workdir: Path, case: tuple[bytes, int], chunk_rows: int, read_size: int
) -> None:
    with _Example("records_around_the_bound"):
        data, bound = case
        path = write_case(workdir, data)
        note(f"data={data!r} bound={bound}")
        out = check_all_ways(path, data, chunk_rows, read_size, max_bytes=bound)
        assert out == reference_outcome(data, bound)
        for row in out.rejects:
            assert len(row["raw"].encode()) <= 4096
            assert row["rawTruncated"] == (row["rawBytes"] > len(row["raw"].encode()))
            if row["reason"] == "record_too_large":
                assert row["rawBytes"] > bound
                event("record_too_large")
            if "invalid_id" in row["reasons"]:
                event("invalid_id")

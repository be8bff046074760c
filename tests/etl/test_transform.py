"""engagement.etl.transform: the ETL as one store-free call (read, validate, aggregate, rank),
on small files whose rates, ranks and counts are worked out by hand:
rate = (likes + comments + shares) / views * 100."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from engagement.etl.aggregate import (
    CAMPAIGN_COLUMNS,
    CAMPAIGN_DAY_COLUMNS,
    PERFORMER_COLUMNS,
)
from engagement.etl.engines import PandasEngine
from engagement.etl.reader import CsvSource
from engagement.etl.transform import check_block, reduce_block, transform
from engagement.etl.validate import RejectRow
from engagement.rules import REASONS
from engagement.run_report import SourceReport

from ..conftest import CASES

NO_REJECTS = {reason.value: 0 for reason in REASONS}
PAIR_SUMS = ["campaignId", "influencerId", "posts", "views", "likes", "comments", "shares"]


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


def test_two_files_ranked_and_summarised() -> None:
    # part_a: alice/spring 1000 50 10 5, bob/spring 2000 60 20 20, alice/summer 500 40 5 5,
    # carol (no views: rejected); part_b (columns in another order): alice/spring 1000 100 10 5,
    # dave/spring 1000 30 0 0, bob/summer (views NaN: rejected)
    result = transform([CASES / "part_a.csv", CASES / "part_b.csv"], workers=1)
    performers = result.performers
    assert list(performers.columns) == PERFORMER_COLUMNS
    assert rows(performers, [*PAIR_SUMS, "engagementRate", "rank", "percentile"]) == [
        # alice: 2000 views, 150 + 20 + 10 = 180 -> 9 %; beats bob (5 %) and dave (3 %)
        ("spring", "alice", 2, 2000, 150, 20, 10, 9.0, 1, 200 / 3),
        ("spring", "bob", 1, 2000, 60, 20, 20, 5.0, 2, 100 / 3),
        ("spring", "dave", 1, 1000, 30, 0, 0, 3.0, 3, 0.0),
        ("summer", "alice", 1, 500, 40, 5, 5, 10.0, 1, 0.0),
    ]
    assert performers["credibleRank"].tolist() == [1, 2, 3, 1]
    assert performers["firstPostAt"].tolist() == [None] * 4  # no dates in these files
    assert performers["lastPostAt"].tolist() == [None] * 4

    campaigns = result.campaigns
    assert list(campaigns.columns) == CAMPAIGN_COLUMNS
    assert rows(
        campaigns,
        [
            "campaignId",
            "influencers",
            "posts",
            "views",
            "likes",
            "comments",
            "shares",
            "engagementRate",
            "medianEngagementRate",
            "topInfluencerId",
            "topEngagementRate",
        ],
    ) == [
        # spring pooled: (240 + 40 + 30) / 5000 = 6.2 %; rates 3, 5, 9: median 5
        ("spring", 3, 4, 5000, 240, 40, 30, 6.2, 5.0, "alice", 9.0),
        ("summer", 1, 1, 500, 40, 5, 5, 10.0, 10.0, "alice", 10.0),
    ]
    # quantiles of 3, 5, 9 (linear): 25 % -> 4, 75 % -> 7, 90 % -> 5 + 0.8 * 4
    spring = campaigns.iloc[0].to_dict()
    assert (spring["p25EngagementRate"], spring["p75EngagementRate"]) == (4.0, 7.0)
    assert abs(spring["p90EngagementRate"] - 8.2) < 1e-12

    benchmarks = result.benchmarks
    assert {k: benchmarks[k] for k in ("campaigns", "influencers", "posts", "views")} == {
        "campaigns": 2,
        "influencers": 4,
        "posts": 5,
        "views": 5500,
    }
    assert (benchmarks["likes"], benchmarks["comments"], benchmarks["shares"]) == (280, 45, 35)
    assert benchmarks["engagementRate"] == 360 / 5500 * 100
    assert benchmarks["medianEngagementRate"] == 7.0  # of 3, 5, 9, 10
    assert list(result.days.columns) == CAMPAIGN_DAY_COLUMNS and len(result.days) == 0


def test_counts_rejects_and_progress_per_source() -> None:
    rejects: list[tuple[int, str, list[RejectRow]]] = []
    progress: list[tuple[str, int, int]] = []
    finished: list[tuple[str, int]] = []
    result = transform(
        [CASES / "part_a.csv", CASES / "part_b.csv"],
        workers=1,
        on_rejects=lambda index, source, found: rejects.append((index, source.name, found)),
        on_source=lambda source: finished.append((source.name, source.rows_read)),
        progress=lambda stage, done, total: progress.append((stage, done, total)),
    )
    a_size = (CASES / "part_a.csv").stat().st_size
    b_size = (CASES / "part_b.csv").stat().st_size
    assert [s.to_dict() for s in result.sources] == [
        {
            "name": "part_a.csv",
            "size": a_size,
            "sha256": "",
            "rowsRead": 4,
            "accepted": 3,
            "rejected": 1,
            "blankLines": 0,
            "rejectsByReason": {**NO_REJECTS, "missing_value": 1},
            "delimiter": ",",
            "encoding": "utf-8",
            "columns": {},
        },
        {
            "name": "part_b.csv",
            "size": b_size,
            "sha256": "",
            "rowsRead": 3,
            "accepted": 2,
            "rejected": 1,
            "blankLines": 0,
            "rejectsByReason": {**NO_REJECTS, "invalid_number": 1},
            "delimiter": ",",
            "encoding": "utf-8",
            "columns": {},
        },
    ]
    assert rejects == [
        (
            0,
            "part_a.csv",
            [
                {
                    "line": 5,
                    "reason": "missing_value",
                    "reasons": ["missing_value"],
                    "raw": "carol,spring,,1,1,1",
                    "rawBytes": 19,
                    "rawTruncated": False,
                }
            ],
        ),
        (
            1,
            "part_b.csv",
            [
                {
                    "line": 4,
                    "reason": "invalid_number",
                    "reasons": ["invalid_number"],
                    "raw": "summer,bob,1,1,1,NaN,broken",
                    "rawBytes": 27,
                    "rawTruncated": False,
                }
            ],
        ),
    ]
    assert finished == [("part_a.csv", 4), ("part_b.csv", 3)]
    total = a_size + b_size
    assert progress == [("read", a_size, total), ("read", total, total)]


def test_ties_rank_by_influencer_id() -> None:
    # c1: b 10/100, a 20/200 (both 10 %), c 20/100 (20 %); c2: a 10/200 (two posts, 5 %), d 6 %
    result = transform([CASES / "ties.csv"], workers=1)
    assert rows(result.performers, [*PAIR_SUMS, "engagementRate", "rank", "percentile"]) == [
        ("c1", "c", 1, 100, 20, 0, 0, 20.0, 1, 200 / 3),
        ("c1", "a", 1, 200, 10, 6, 4, 10.0, 2, 0.0),  # a tie: none lower
        ("c1", "b", 1, 100, 5, 3, 2, 10.0, 3, 0.0),
        ("c2", "d", 1, 100, 6, 0, 0, 6.0, 1, 50.0),
        ("c2", "a", 2, 200, 4, 2, 4, 5.0, 2, 0.0),
    ]
    assert rows(result.campaigns, ["campaignId", "influencers", "posts", "topInfluencerId"]) == [
        ("c1", 3, 3, "c"),
        ("c2", 2, 3, "d"),
    ]


DATED = (
    "\n"  # line 1: blank, before the header
    "influencerId,campaignId,views,likes,comments,shares,postedAt\n"
    "a,c1,100,5,0,0,2026-03-02\n"  # 3
    "b,c1,200,10,10,0,2026-03-01T23:30:00-02:00\n"  # 4: 01:30 UTC on 2026-03-02
    "\n"  # 5
    "a,c1,100,1,1,1,2026-03-05T10:00:00Z\n"  # 6
    "d,c2,50,5,0,0,2026-03-10T00:30:00+01:00\n"  # 7: 23:30 UTC on 2026-03-09
    "e,c1,100,1,1,1,\n"  # 8: no date
    "f,c1,100,1,1,1,2026-02-30\n"  # 9: no such day
)


def test_post_dates_make_the_daily_series(tmp_path: Path) -> None:
    path = tmp_path / "dated.csv"
    path.write_text(DATED)
    rejects: list[RejectRow] = []
    result = transform([path], workers=1, on_rejects=lambda i, s, found: rejects.extend(found))
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (8, "missing_value"),
        (9, "invalid_date"),
    ]
    (source,) = result.sources
    assert (source.rows_read, source.accepted, source.rejected, source.blank_lines) == (6, 4, 2, 2)
    assert rows(
        result.performers,
        [*PAIR_SUMS, "engagementRate", "rank", "firstPostAt", "lastPostAt"],
    ) == [
        ("c1", "b", 1, 200, 10, 10, 0, 10.0, 1, "2026-03-02", "2026-03-02"),
        ("c1", "a", 2, 200, 6, 1, 1, 4.0, 2, "2026-03-02", "2026-03-05"),
        ("c2", "d", 1, 50, 5, 0, 0, 10.0, 1, "2026-03-09", "2026-03-09"),
    ]
    assert list(result.days.columns) == CAMPAIGN_DAY_COLUMNS
    assert rows(result.days, CAMPAIGN_DAY_COLUMNS) == [
        ("c1", "2026-03-02", 2, 300, 15, 10, 0, 25 / 300 * 100),
        ("c1", "2026-03-05", 1, 100, 1, 1, 1, 3.0),
        ("c2", "2026-03-09", 1, 50, 5, 0, 0, 10.0),
    ]


def test_an_engine_given_a_base_and_counts_returned_not_written_in() -> None:
    pairs = pd.DataFrame(
        {
            "campaignId": ["spring", "autumn"],
            "influencerId": ["alice", "zoe"],
            "posts": [3, 1],
            "views": [1000, 10],
            "likes": [100, 1],
            "comments": [0, 0],
            "shares": [0, 0],
            "firstPostAt": ["2026-03-01", None],
            "lastPostAt": ["2026-03-04", None],
        }
    )
    days = pd.DataFrame(
        {
            "campaignId": ["spring"],
            "day": ["2026-03-01"],
            "posts": [1],
            "views": [300],
            "likes": [30],
            "comments": [0],
            "shares": [0],
        }
    )
    seen: list[tuple[int, SourceReport]] = []
    with PandasEngine(1) as engine, CsvSource(CASES / "part_a.csv") as source:
        result = transform(
            [source],
            engine=engine,
            base=lambda: (pairs, days, None),
            on_counts=lambda index, counts: seen.append((index, counts)),
        )
    (report,) = result.sources  # the file's own counts (the base is not a file's)
    assert (report.rows_read, report.accepted, report.rejected) == (4, 3, 1)
    assert report.rejects_by_reason["missing_value"] == 1
    assert [(index, counts.rows_read) for index, counts in seen] == [(0, 4)]  # one block
    assert seen[0][1] == report and seen[0][1] is not report  # a copy: never shared
    seen[0][1].rejects_by_reason["missing_value"] = 99
    assert report.rejects_by_reason["missing_value"] == 1
    assert rows(result.performers, [*PAIR_SUMS, "engagementRate", "rank", "firstPostAt"]) == [
        ("autumn", "zoe", 1, 10, 1, 0, 0, 10.0, 1, None),
        # alice: 2000 views, 150 + 10 + 5 = 165 -> 8.25 %
        ("spring", "alice", 4, 2000, 150, 10, 5, 8.25, 1, "2026-03-01"),
        ("spring", "bob", 1, 2000, 60, 20, 20, 5.0, 2, None),
        ("summer", "alice", 1, 500, 40, 5, 5, 10.0, 1, None),
    ]
    assert rows(result.days, CAMPAIGN_DAY_COLUMNS) == [
        ("spring", "2026-03-01", 1, 300, 30, 0, 0, 10.0)
    ]


def test_nothing_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("influencerId,campaignId,views,likes,comments,shares\na,c,0,0,0,0\nb,c\n")
    rejects: list[RejectRow] = []
    result = transform([path], workers=1, on_rejects=lambda i, s, found: rejects.extend(found))
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (2, "zero_views"),
        (3, "wrong_field_count"),
    ]
    assert list(result.performers.columns) == PERFORMER_COLUMNS and len(result.performers) == 0
    assert list(result.campaigns.columns) == CAMPAIGN_COLUMNS and len(result.campaigns) == 0
    assert result.benchmarks["campaigns"] == result.benchmarks["influencers"] == 0
    assert result.benchmarks["views"] == 0 and result.benchmarks["engagementRate"] == 0.0


def test_reduce_and_check_a_block() -> None:
    with CsvSource(CASES / "part_a.csv") as source:
        (block,) = list(source.blocks())
        header, path = source.header, source.path
    summed = reduce_block(block, header, path)  # a Dask worker's: sums per pair
    assert isinstance(summed.sums, pa.Table)
    assert sorted(zip(*(summed.sums.column(c).to_pylist() for c in PAIR_SUMS), strict=True)) == [
        ("spring", "alice", 1, 1000, 50, 10, 5),
        ("spring", "bob", 1, 2000, 60, 20, 20),
        ("summer", "alice", 1, 500, 40, 5, 5),
    ]
    assert (summed.rows, summed.accepted, summed.blank_lines, summed.days) == (4, 3, 0, None)
    assert [r["line"] for r in summed.rejects] == [5]
    checked = check_block(block, header, path)  # a thread's: the rows, one post each
    assert isinstance(checked.sums, list) and len(checked.sums) == 8
    posts = pa.concat_tables(checked.sums)
    assert posts.num_rows == 3 and posts.column("posts").to_pylist() == [1, 1, 1]
    assert (checked.rows, checked.accepted, len(checked.rejects)) == (4, 3, 1)

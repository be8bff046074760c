"""Credible rates, ranks, percentiles and benchmarks: by hand, against plain Python, and the
same over engines and load modes."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import engagement
from engagement import serving
from engagement.etl.aggregate import Aggregator, partial_sums, summarize_campaigns
from engagement.etl.validate import ACCEPTED_SCHEMA
from engagement.exports import flat, performer_batches
from engagement.store import Store

from .. import reference

HEADER = "influencerId,campaignId,views,likes,comments,shares\n"


def performers_of(rows: list[tuple[str, str, int, int, int, int]]) -> pd.DataFrame:
    """Rows (influencer, campaign, views, likes, comments, shares) ranked by the library."""
    names = ("influencerId", "campaignId", "views", "likes", "comments", "shares")
    table = pa.Table.from_pylist(
        [dict(zip(names, r, strict=True)) for r in rows], schema=ACCEPTED_SCHEMA
    )
    aggregator = Aggregator()
    aggregator.add_partial(partial_sums(table))
    return aggregator.performers()


def test_a_hand_worked_example() -> None:
    """Three influencers of one campaign:

    ====  =====  ============  ======
    who   views  interactions  rate
    ====  =====  ============  ======
    a       100            10  10 %
    b     1,000            50   5 %
    c     1,000            20   2 %
    ====  =====  ============  ======

    pooled mu = 80 / 2,100 = 0.0380952; rates' variance (n - 1) = 0.0016333;
    chance = mu (1 - mu) (1/100 + 1/1000 + 1/1000) / 3 = 0.00014658;
    spread = 0.00148676; M = mu (1 - mu) / spread - 1 = 23.647 views.
    a: (10 + 0.0381 * 23.647) / (100 + 23.647) = 8.816 %: one tenth of b's views, so it
    moves most (from 10 %); b (4.972 %) and c (2.042 %) barely move.
    """
    frame = performers_of(
        [("a", "c", 100, 10, 0, 0), ("b", "c", 1000, 50, 0, 0), ("cc", "c", 1000, 20, 0, 0)]
    )
    got = {r.influencerId: r for r in frame.itertuples()}
    mu = 80 / 2100
    variance = ((0.1 - 0.17 / 3) ** 2 + (0.05 - 0.17 / 3) ** 2 + (0.02 - 0.17 / 3) ** 2) / 2
    spread = variance - mu * (1 - mu) * (1 / 100 + 2 / 1000) / 3
    strength = mu * (1 - mu) / spread - 1
    assert strength == pytest.approx(23.647, abs=1e-3)
    assert got["a"].credibleRate == pytest.approx((10 + mu * strength) / (100 + strength) * 100)
    assert got["a"].credibleRate == pytest.approx(8.816, abs=1e-3)
    assert got["b"].credibleRate == pytest.approx(4.972, abs=1e-3)
    assert got["cc"].credibleRate == pytest.approx(2.042, abs=1e-3)
    assert [got[k].rank for k in ("a", "b", "cc")] == [1, 2, 3]
    assert [got[k].credibleRank for k in ("a", "b", "cc")] == [1, 2, 3]
    assert [got[k].percentile for k in ("a", "b", "cc")] == [200 / 3, 100 / 3, 0.0]
    summary = summarize_campaigns(frame).iloc[0]
    assert summary["priorStrength"] == pytest.approx(strength)


def random_campaigns(seed: int) -> list[tuple[str, str, int, int, int, int]]:
    rng = random.Random(seed)
    rows: list[tuple[str, str, int, int, int, int]] = []
    for c in range(12):
        campaign = f"c{c}"
        kind = c % 4  # 0: many pairs, 1: one pair, 2: two pairs, 3: every rate equal
        pairs = {0: rng.randint(3, 60), 1: 1, 2: 2, 3: rng.randint(3, 8)}[kind]
        for i in range(pairs):
            for _ in range(rng.randint(1, 3)):  # posts, summed per pair
                views = rng.choice([10, 100, 4000, 90_000]) if kind != 3 else 1000
                likes = rng.randint(0, views // 10) if kind != 3 else 40
                rows.append((f"i{i:03d}", campaign, views, likes, 0, 0))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_against_plain_python(seed: int) -> None:
    rows = random_campaigns(seed)
    frame = performers_of(rows)
    summaries = summarize_campaigns(frame).set_index("campaignId")
    for campaign, group in frame.groupby("campaignId"):
        group = group.sort_values("influencerId")
        pairs = list(zip(group["views"], group["likes"], strict=True))
        rates, strength = reference.credible([(int(n), int(x)) for n, x in pairs])
        assert group["credibleRate"].tolist() == pytest.approx(rates, rel=1e-12), campaign
        found = summaries.loc[campaign, "priorStrength"]
        if strength is None:
            assert found is None or (isinstance(found, float) and math.isnan(found))
            assert len(set(group["credibleRate"])) == 1  # every pair at the pooled rate
        else:
            assert found == pytest.approx(strength, rel=1e-9)
        raw = group["engagementRate"].tolist()
        assert group["percentile"].tolist() == pytest.approx(
            [reference.percentile(r, raw) for r in raw]
        )
        for q, column in ((0.25, "p25EngagementRate"), (0.9, "p90EngagementRate")):
            assert summaries.loc[campaign, column] == pytest.approx(reference.quantile(raw, q))
        for rank, rate in (("rank", "engagementRate"), ("credibleRank", "credibleRate")):
            # a total order: 1..k, by the rate descending, ties by influencerId
            assert sorted(group[rank]) == list(range(1, len(group) + 1))
            ordered = group.sort_values(rank)
            keys = list(zip(ordered[rate], ordered["influencerId"], strict=True))
            assert keys == sorted(keys, key=lambda k: (-k[0], k[1]))


# --- the 90 % credible interval -----------------------------------------------------------

#: (views, interactions, the prior's rate mu, its strength M in views; None: infinite)
INTERVAL_CASES: list[tuple[int, int, float, float | None]] = [
    (4255, 425, 0.05239, 63.5),  # campaign_6's small sample at the top by raw rate
    (91545, 9139, 0.05239, 63.5),  # twenty times the views: a narrower interval
    (10, 0, 0.05, 40.0),  # no interactions: the prior lifts it off 0
    (10, 10, 0.05, 40.0),  # only interactions: the prior pulls it down from 100
    (3, 0, 0.2, 5.0),
    (1, 1, 0.5, 0.5),
    (2_000_000, 180_000, 0.09, 50.0),  # both shapes >= 1,000: the Halley step
    (40_000_000, 1_300, 0.00004, 2e6),
    (50, 5, 0.1, 0.0),  # no prior (fewer than 3 influencers): Beta(5, 45)
    (50, 0, 0.1, 0.0),  # no prior, no interactions: the posterior is the point 0
    (50, 50, 0.1, 0.0),  # no prior, only interactions: the point 100
    (50, 5, 0.1, None),  # rates no wider than chance: every pair at mu
]


@pytest.mark.parametrize("case", INTERVAL_CASES, ids=str)
def test_the_interval_against_plain_python_and_scipy(
    case: tuple[int, int, float, float | None],
) -> None:
    from scipy.stats import beta

    from engagement.rules import credible_interval, credible_rate

    views, interactions, mu, strength = case
    m = math.inf if strength is None else strength
    low, high = (float(v) for v in credible_interval(views, interactions, mu, m))
    expected = reference.credible_interval(views, interactions, mu, strength)
    assert (low, high) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    a = interactions + mu * (0.0 if strength is None else strength)
    b = views - interactions + (1 - mu) * (0.0 if strength is None else strength)
    rate = mu * 100 if strength is None else float(credible_rate(views, interactions, mu, m))
    if strength is not None and a > 0 and b > 0:
        assert (low, high) == pytest.approx(
            (beta.ppf(0.05, a, b) * 100, beta.ppf(0.95, a, b) * 100), rel=1e-10
        )
        assert low < rate < high
    else:
        assert low == rate == high  # a point: the interval holds only it
    if case[:2] == (10, 0):
        assert 0 < low < 2 < high < 15  # 0 of 10 views: the data allow up to about 13 %


def test_beta_quantile_where_shapes_are_large() -> None:
    """Both shapes at least 1,000 take a Halley step from a Cornish-Fisher start: the same
    quantiles as SciPy's ``beta.ppf`` over shapes up to 1e8."""
    import numpy as np
    from scipy.stats import beta

    from engagement.rules import beta_quantile

    rng = np.random.default_rng(7)
    a = np.exp(rng.uniform(math.log(1_000), math.log(1e8), 20_000))
    b = np.exp(rng.uniform(math.log(1_000), math.log(1e8), 20_000))
    for p in (0.05, 0.95):
        assert beta_quantile(a, b, p) == pytest.approx(beta.ppf(p, a, b), rel=1e-10)
    small = np.array([0.02, 0.5, 3.0, 999.0])
    assert beta_quantile(small, small[::-1], 0.05) == pytest.approx(
        beta.ppf(0.05, small, small[::-1]), rel=1e-12
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_intervals_of_ranked_pairs(seed: int) -> None:
    """Every ranked pair's interval, from its campaign's fitted prior, against plain Python;
    it holds the credible rate, and a pair with more views has a narrower one."""
    frame = performers_of(random_campaigns(seed))
    for campaign, group in frame.groupby("campaignId"):
        pairs = [(int(n), int(x)) for n, x in zip(group["views"], group["likes"], strict=True)]
        _, strength = reference.credible(pairs)
        mu = sum(x for _, x in pairs) / sum(n for n, _ in pairs)
        got = list(zip(group["credibleLow"], group["credibleHigh"], strict=True))
        expected = [reference.credible_interval(n, x, mu, strength) for n, x in pairs]
        assert got == [pytest.approx(e, rel=1e-9, abs=1e-12) for e in expected], campaign
        rows = group.itertuples()
        assert all(r.credibleLow <= r.credibleRate <= r.credibleHigh for r in rows)
    wide = frame[frame["credibleHigh"] > frame["credibleLow"]]
    widths = (wide["credibleHigh"] - wide["credibleLow"]).to_numpy()
    assert len(wide) > 40
    few = widths[wide["views"].to_numpy() <= 100].min()
    many = widths[wide["views"].to_numpy() >= 90_000].max()
    assert few > many


def write_rows(path: Path, rows: list[tuple[str, str, int, int, int, int]]) -> Path:
    path.write_text(HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def dataset(store: Store) -> list[dict[str, Any]]:
    docs = [row for batch in performer_batches(store) for row in batch]
    return sorted(docs, key=lambda d: (d["campaignId"], d["rank"]))


def test_append_equals_one_replace(store: Store, tmp_path: Path) -> None:
    rows = random_campaigns(5)
    half = len(rows) // 2
    a = write_rows(tmp_path / "a.csv", rows[:half])
    b = write_rows(tmp_path / "b.csv", rows[half:])
    engagement.run_etl([a, b], store=store)
    together = dataset(store)
    engagement.run_etl([a], store=store)
    engagement.run_etl([b], store=store, mode="append")
    assert dataset(store) == together
    fields = {"credibleRate", "credibleLow", "credibleHigh", "credibleRank", "percentile"}
    assert fields <= set(together[0])


# --- served: the API, the CLI, exports ------------------------------------------------------


def test_the_credible_order_over_http(api: Any, loaded: dict[str, Any]) -> None:
    store = loaded["store"]
    whole = api.get(
        "/top-performers",
        params={"campaignId": "campaign_6", "limit": 10_000, "by": "credibleRate"},
    ).json()
    assert [r["credibleRank"] for r in whole] == list(range(1, 990))
    rates = [r["credibleRate"] for r in whole]
    assert rates == sorted(rates, reverse=True)
    expected = serving.top_performers(store, "campaign_6", limit=10_000, by="credibleRate")
    assert expected is not None and whole == expected.items
    paged: list[dict[str, Any]] = []
    for offset in range(0, 989, 100):
        page = api.get(
            "/top-performers",
            params={
                "campaignId": "campaign_6",
                "limit": 100,
                "offset": offset,
                "by": "credibleRate",
            },
        )
        paged.extend(page.json())
    assert paged == whole
    # the small sample at the top by raw rate is not at the top by credible rate
    raw_top = api.get("/top-performers", params={"campaignId": "campaign_6", "limit": 1}).json()
    assert raw_top[0]["influencerId"] == "influencer_5273" and raw_top[0]["views"] == 4255
    assert whole[0]["influencerId"] == "influencer_7902" and raw_top[0]["credibleRank"] == 9
    # each with its 90 % interval: the 4,255 views' is almost five times as wide
    assert all(r["credibleLow"] < r["credibleRate"] < r["credibleHigh"] for r in whole)
    top = whole[0]
    assert (round(top["credibleLow"], 2), round(top["credibleHigh"], 2)) == (9.82, 10.14)
    assert (round(raw_top[0]["credibleLow"], 2), round(raw_top[0]["credibleHigh"], 2)) == (
        9.18,
        10.68,
    )
    bad = api.get("/top-performers", params={"campaignId": "campaign_6", "by": "views"})
    assert bad.status_code == 422


def test_benchmarks_and_percentiles_over_http(api: Any, loaded: dict[str, Any]) -> None:
    store = loaded["store"]
    performers = dataset(store)
    rates = [p["engagementRate"] for p in performers]
    bench = api.get("/benchmarks")
    assert bench.status_code == 200 and bench.headers["etag"]
    body = bench.json()
    assert body["influencers"] == len(performers) and body["campaigns"] == 12
    views = sum(p["views"] for p in performers)
    interactions = sum(p["likes"] + p["comments"] + p["shares"] for p in performers)
    assert body["engagementRate"] == pytest.approx(interactions / views * 100, rel=1e-12)
    assert body["p90EngagementRate"] == pytest.approx(reference.quantile(rates, 0.9))
    assert body["medianEngagementRate"] == pytest.approx(reference.quantile(rates, 0.5))
    spring = api.get("/campaigns/spring").json()
    assert {"p25EngagementRate", "p75EngagementRate", "p90EngagementRate"} <= set(spring)


def test_csv_answers(api: Any, loaded: dict[str, Any]) -> None:
    import io

    url = "/top-performers?campaignId=campaign_6&limit=50&offset=10"
    as_json = api.get(url)
    as_csv = api.get(url, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    for name in ("x-total-count", "x-dataset", "link"):
        assert as_csv.headers[name] == as_json.headers[name]
    assert as_csv.headers["etag"] != as_json.headers["etag"]  # another representation
    frame = pd.read_csv(io.StringIO(as_csv.text))
    assert records(frame) == flat_rows(as_json.json())
    run_id = loaded["runs"][0]
    rejects = api.get(f"/runs/{run_id}/rejects", headers={"Accept": "text/csv"})
    assert rejects.headers["x-total-count"] == "10"
    table = pd.read_csv(io.StringIO(rejects.text), keep_default_na=False)
    assert list(table["line"]) == [r["line"] for r in api.get(f"/runs/{run_id}/rejects").json()]
    assert table.loc[table.line == 10008, "reasons"].item() == (
        "negative_value;interactions_exceed_views"
    )


def flat_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as a flat file holds them: the flags by their rules, ``;``-joined (or empty)."""
    return [{k: flat(v) for k, v in row.items()} for row in rows]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows, an empty cell as None (as JSON has it)."""
    cells = frame.astype(object)
    return cells.where(cells.notna(), None).to_dict("records")  # type: ignore[return-value]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_exports_equal_the_api(
    api: Any, loaded: dict[str, Any], tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engagement.cli import main

    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", loaded["uri"])
    monkeypatch.setenv("ENGAGEMENT_DB", loaded["db"])
    out = tmp_path / f"export.{fmt}"
    assert main(["export", "campaign_6", "spring", "-o", str(out)]) == 0
    frame = {
        "csv": pd.read_csv,
        "parquet": pd.read_parquet,
        "jsonl": lambda p: pd.read_json(p, lines=True, precise_float=True),
    }[fmt](out)
    served = [
        row
        for campaign in ("campaign_6", "spring")
        for row in api.get(
            "/top-performers", params={"campaignId": campaign, "limit": 10_000}
        ).json()
    ]
    assert records(frame) == (served if fmt == "jsonl" else flat_rows(served))
    everything = tmp_path / f"all.{fmt}"
    assert main(["export", "-o", str(everything)]) == 0
    count = len(pd.read_parquet(everything)) if fmt == "parquet" else None
    if count is not None:
        assert count == sum(c["influencers"] for c in api.get("/campaigns").json())


def test_the_cli_orders_by_credible_rate(
    loaded: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from engagement.cli import main

    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", loaded["uri"])
    monkeypatch.setenv("ENGAGEMENT_DB", loaded["db"])
    assert main(["top", "campaign_6", "--by", "credible", "--limit", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["credibleRank"] for r in rows] == [1, 2, 3]
    assert [round(r["credibleHigh"] - r["credibleLow"], 2) for r in rows] == [0.33, 0.38, 0.41]
    assert main(["top", "campaign_6", "--by", "credible", "--limit", "3"]) == 0
    text = capsys.readouterr().out
    assert "by credible rate" in text and text.splitlines()[3].split()[:2] == [
        "1",
        "influencer_7902",
    ]
    # a table to read: headings in words, rates with two decimals and %, counts with commas
    lines = text.splitlines()
    headings = [h.strip() for h in lines[1].split("  ") if h.strip()]
    assert headings[:5] == [
        "Credible rank",
        "Influencer",
        "Credible rate",
        "90 % interval",
        "Engagement rate",
    ]
    top = rows[0]
    assert lines[3].split() == [
        "1",
        "influencer_7902",
        f"{top['credibleRate']:.2f}",
        "%",
        f"{top['credibleLow']:.2f}",
        "–",
        f"{top['credibleHigh']:.2f}",
        "%",
        f"{top['engagementRate']:.2f}",
        "%",
        f"{top['rank']:,}",
        f"{top['posts']:,}",
        f"{top['views']:,}",
        f"{top['likes']:,}",
        f"{top['comments']:,}",
        f"{top['shares']:,}",
    ]
    assert "91,545" in lines[3]

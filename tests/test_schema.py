"""One schema: every stored and served field is declared once, in ``engagement.schema``.

Each test follows one way a field reaches the outside (the published documents, the query
functions, the CLI's ``--json``, the run report and ledger, the ETL's rejects, the REST API's
OpenAPI schema) and fails when it carries other fields than the schema declares: add a field
to a model and these tests name every place that does not follow yet.
"""

from __future__ import annotations

import json
from typing import Any, get_type_hints

import pyarrow as pa
import pytest

import engagement
from api.main import create_app
from engagement import schema, serving
from engagement.cli.app import main
from engagement.etl.aggregate import Aggregator, partial_sums, summarize_campaigns
from engagement.etl.validate import RejectRow
from engagement.run_report import RunReport
from engagement.store import queries
from engagement.store.connection import Store

from .conftest import SAMPLE
from .helpers import load

#: A reject as the ETL finds it: before the run and the file are attached.
RECORD_REJECT_FIELDS = tuple(n for n in schema.REJECT_FIELDS if n not in ("runId", "source"))


@pytest.fixture(scope="module")
def published(mongo_server: Any) -> Any:
    with engagement.connect(mongo_server.uri, database="schema_test") as store:
        store.client.drop_database("schema_test")
        report = engagement.run_etl([SAMPLE], store=store)
        yield store, report


def test_models_hold_the_pair_and_the_sums() -> None:
    assert schema.PERFORMER_FIELDS[:2] == schema.PAIR
    assert set(schema.SUMS) <= set(schema.PERFORMER_FIELDS)
    assert set(schema.SUMS) <= set(schema.CAMPAIGN_FIELDS)
    assert set(schema.SUMS) <= set(schema.fields(schema.Influencer))
    assert RECORD_REJECT_FIELDS == tuple(get_type_hints(RejectRow))


def test_published_documents(published: tuple[Store, RunReport]) -> None:
    store, report = published
    page = store.pages(report.run_id).find_one({"by": "credibleRate"})
    campaign = store.campaigns(report.run_id).find_one({}, {"_id": 0})
    assert page is not None and campaign is not None
    assert set(page) == {"_id", "campaignId", "by", "page", "total", "performers"}
    performer = page["performers"][0]
    assert set(performer) == set(schema.PERFORMER_FIELDS)
    assert set(campaign) == set(schema.CAMPAIGN_FIELDS)
    bucket = store.influencers(report.run_id).find_one({})
    assert bucket is not None and set(bucket) == {"_id", "bucket", "part", "parts", "performers"}
    where = {schema.INFLUENCER_ID, schema.CAMPAIGN_ID, schema.RANK}
    assert all(set(row) == where for row in bucket["performers"])
    first = store.rejects(report.run_id).find_one({"_id": 0})
    assert first is not None and set(first) == {"_id", "rejects"}
    reject = {k: v for k, v in first["rejects"][0].items() if k != "sourceIndex"}
    assert set(reject) == set(schema.REJECT_FIELDS)


def test_published_series(store: Store, tmp_path: Any) -> None:
    path = tmp_path / "dated.csv"
    path.write_text(
        "influencerId,campaignId,views,likes,comments,shares,postedAt\n"
        "a,c,100,1,1,1,2026-03-01\nb,c,100,1,1,1,2026-03-02T10:00Z\n"
    )
    report = engagement.run_etl([path], store=store)
    doc = store.days(report.run_id).find_one({"_id": "c"})
    assert doc is not None and set(doc) == {"_id", "days"}
    assert [tuple(day) for day in doc["days"]] == [schema.CAMPAIGN_DAY_FIELDS] * 2
    found = engagement.trend(store, "c")
    assert found is not None and tuple(found) == schema.fields(schema.Trend)
    assert tuple(found["points"][0]) == schema.TREND_POINT_FIELDS


def test_etl_frames_and_rejects() -> None:
    result = load(SAMPLE)
    assert all(tuple(row) == RECORD_REJECT_FIELDS for row in result.rejects)
    aggregator = Aggregator()
    aggregator.add_partial(partial_sums(pa.Table.from_pylist(result.accepted)))
    performers = aggregator.performers()
    assert tuple(performers.columns) == schema.PERFORMER_FIELDS
    assert tuple(summarize_campaigns(performers).columns) == schema.CAMPAIGN_FIELDS
    assert tuple(aggregator.days().columns) == ("campaignId", *schema.CAMPAIGN_DAY_FIELDS)


def test_query_results(published: tuple[Store, RunReport]) -> None:
    store, report = published
    page = serving.top_performers(store, "campaign_6", limit=3)
    assert page is not None and tuple(page.items[0]) == schema.PERFORMER_FIELDS
    assert tuple(serving.campaigns(store)[0]) == schema.CAMPAIGN_FIELDS
    one = serving.campaign(store, "campaign_6")
    assert one is not None and tuple(one) == schema.CAMPAIGN_FIELDS
    person = serving.influencer(store, page.items[0]["influencerId"])
    assert person is not None and tuple(person) == schema.fields(schema.Influencer)
    assert tuple(person["campaigns"][0]) == schema.PERFORMER_FIELDS
    assert tuple(queries.runs(store)[0]) == schema.RUN_FIELDS
    assert tuple(queries.runs(store)[0]["sources"][0]) == schema.fields(schema.Source)
    rejects = queries.rejects(store, report.run_id)
    assert rejects is not None and tuple(rejects.items[0]) == schema.REJECT_FIELDS


def test_run_report_and_ledger(published: tuple[Store, RunReport]) -> None:
    store, report = published
    data = report.to_dict()
    assert tuple(data) == schema.RUN_FIELDS
    assert tuple(data["sources"][0]) == schema.fields(schema.Source)
    doc = store.runs.find_one({"_id": report.run_id})
    assert doc is not None
    assert set(doc) - {"_id"} == set(schema.RUN_FIELDS) - {"runId"}
    assert schema.run_json(doc) == data


def test_cli_json(
    published: tuple[Store, RunReport],
    mongo_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", mongo_server.uri)
    monkeypatch.setenv("ENGAGEMENT_DB", "schema_test")

    def cli_json(*args: str) -> Any:
        assert main([*args, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    assert tuple(cli_json("top", "campaign_6")[0]) == schema.PERFORMER_FIELDS
    assert tuple(cli_json("campaigns")[0]) == schema.CAMPAIGN_FIELDS
    assert tuple(cli_json("runs")[0]) == schema.RUN_FIELDS
    assert tuple(cli_json("rejects")[0]) == schema.REJECT_FIELDS


def test_api_response_models() -> None:
    components = create_app().openapi()["components"]["schemas"]
    for name, model in [
        ("Performer", schema.Performer),
        ("Campaign", schema.Campaign),
        ("Influencer", schema.Influencer),
        ("Movers", schema.Movers),
        ("Mover", schema.Mover),
        ("Run", schema.Run),
        ("Source", schema.Source),
        ("SkippedSource", schema.SkippedSource),
        ("Reject", schema.Reject),
        ("Trend", schema.Trend),
        ("TrendPoint", schema.TrendPoint),
    ]:
        assert tuple(components[name]["properties"]) == schema.fields(model), name

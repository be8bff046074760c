"""engagement.dashboard.app: the Dashboard class (the bar between its three views, the view a
URL names, the data quality), the page a visitor gets (``visit``) and the board's messages,
built in-process on the test store from small exports written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

import engagement
from engagement.dashboard.app import EMPTY_MESSAGE, Dashboard, Message, visit
from engagement.dashboard.parts import STYLE
from engagement.errors import StoreError
from engagement.store.connection import Store
from engagement.store.embedded import free_port

HEADER = "influencerId,campaignId,views,likes,comments,shares\n"


def export(folder: Path, *rows: str, name: str = "export.csv") -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return path


def first_export(folder: Path) -> Path:
    """Campaigns spring (alice, bob) and summer (alice); line 5 is rejected."""
    return export(
        folder,
        "alice,spring,1000,50,10,5",
        "bob,spring,2000,60,20,20",
        "alice,summer,500,40,5,5",
        "bob,summer,abc,1,1,1",
    )


@pytest.fixture
def board(store: Store, tmp_path: Path) -> Dashboard:
    engagement.run_etl([first_export(tmp_path)], store=store)
    built = Dashboard.from_store(store)
    assert isinstance(built, Dashboard)
    return built


@pytest.fixture(autouse=True)
def no_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not in a Voila kernel: no page's query but the one a test sets."""
    for name in ("QUERY_STRING", "VOILA_PREHEAT"):
        monkeypatch.delenv(name, raising=False)


def test_nothing_published_or_no_store_is_a_message(
    store: Store, store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = Dashboard.from_store(store)
    assert isinstance(empty, Message)
    assert empty.widget.value == EMPTY_MESSAGE
    assert "eg-message" in empty.widget._dom_classes
    assert "<code>engagement etl FILE</code>" in EMPTY_MESSAGE
    from_env = Dashboard.from_environment()  # the same store, as the environment names it
    assert isinstance(from_env, Message) and from_env.widget.value == EMPTY_MESSAGE

    port = free_port()  # nothing listens there
    uri = f"mongodb://127.0.0.1:{port}/?appname=<b>&connectTimeoutMS=300"
    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", uri)
    monkeypatch.setenv("ENGAGEMENT_TIMEOUT", "0.3")
    down = Dashboard.from_environment("campaign=spring")
    assert isinstance(down, Message)
    assert down.widget.value == (
        "<h3>The data store is unavailable</h3><p>store unreachable at "
        f"mongodb://127.0.0.1:{port}/?appname=&lt;b&gt;&amp;connectTimeoutMS=300: "
        f"127.0.0.1:{port}: [Errno 111] Connection refused</p>"
        "<p>Reload this page when it is back.</p>"
    )  # the store's error as text, not markup


def test_the_bar_moves_between_the_three_views(board: Dashboard) -> None:
    assert list(board.nav.options) == [
        ("All campaigns", "campaigns"),
        ("Campaign", "campaign"),
        ("Influencer", "influencer"),
    ]
    assert board.view == "campaigns"
    assert board.body.children == (board.overview.widget,)
    assert board.overview.table.row_keys == ["spring", "summer"]
    heading = board.widget.children[0].value
    assert heading == STYLE + "<h2>Influencer engagement</h2>"
    board.open("campaign", "summer")
    assert board.view == "campaign" and board.campaign_view.campaign == "summer"
    assert board.body.children == (board.campaign_view.widget,)
    board.open("influencer", "bob")
    assert board.view == "influencer" and board.influencer_view.search.value == "bob"
    assert board.body.children == (board.influencer_view.widget,)
    assert "1 campaign(s)" in board.influencer_view.message.value  # bob's summer row rejected
    board.nav.value = "campaigns"  # a click on the bar
    assert board.body.children == (board.overview.widget,)
    board.open("campaign", "autumn")  # not in the dataset: the view, as it was
    assert board.view == "campaign" and board.campaign_view.campaign == "summer"


@pytest.mark.parametrize(
    ("query", "view", "campaign", "influencer"),
    [
        ("", "campaigns", "spring", ""),
        ("campaign=summer", "campaign", "summer", ""),
        ("?campaign=summer", "campaign", "summer", ""),  # as a page's URL writes it
        ("influencer=alice", "influencer", "spring", "alice"),
        ("campaign=summer&influencer=alice", "influencer", "spring", "alice"),  # influencer wins
        ("campaign=", "campaigns", "spring", ""),  # empty: nothing named
        ("view=campaign", "campaigns", "spring", ""),  # not a name the board knows
    ],
)
def test_a_link_opens_the_view_it_names(
    store: Store, tmp_path: Path, query: str, view: str, campaign: str, influencer: str
) -> None:
    engagement.run_etl([first_export(tmp_path)], store=store)
    board = Dashboard.from_store(store, query)
    assert isinstance(board, Dashboard)
    assert (board.view, board.campaign_view.campaign) == (view, campaign)
    assert board.influencer_view.search.value == influencer


def test_the_data_quality_of_the_latest_run(store: Store, tmp_path: Path) -> None:
    run = engagement.run_etl([first_export(tmp_path)], store=store)
    board = Dashboard.from_store(store)
    assert isinstance(board, Dashboard)
    text = board.quality.value
    assert f"Latest run <code>{run.run_id}</code> (succeeded)" in text
    assert '<span data-count="rowsRead">4</span> rows read' in text
    assert '<span data-count="accepted">3</span> accepted' in text
    assert '<span data-count="rejected">1</span> rejected' in text
    assert '<li data-reason="invalid_number">invalid_number: 1</li>' in text
    assert "<td>5</td><td>invalid_number</td><td><code>bob,summer,abc,1,1,1</code></td>" in text
    assert "eg-quality-panel" in board.quality._dom_classes


def test_a_visitor_gets_the_warm_board_until_the_dataset_moves(
    store: Store, store_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engagement.run_etl([first_export(tmp_path)], store=store)
    warm = Dashboard.from_environment(query="")  # built before anyone came
    assert isinstance(warm, Dashboard) and warm.current()
    monkeypatch.setenv("QUERY_STRING", "campaign=summer")
    assert visit(warm) is warm  # no loop runs here: the view is opened at once
    assert (warm.view, warm.campaign_view.campaign) == ("campaign", "summer")

    later = export(tmp_path, "carol,autumn,100,9,0,1", name="later.csv")
    run = engagement.run_etl([later], store=store)
    assert not warm.current()  # another dataset is published
    monkeypatch.setenv("QUERY_STRING", "campaign=autumn")
    fresh = visit(warm)
    assert isinstance(fresh, Dashboard) and fresh is not warm
    assert fresh.dataset == run.run_id and fresh.current()
    assert fresh.overview.table.row_keys == ["autumn"]
    assert (fresh.view, fresh.campaign_view.campaign) == ("campaign", "autumn")

    monkeypatch.setenv("QUERY_STRING", "influencer=carol")
    for stale in (None, Message("<p>the store was down</p>")):
        again = visit(stale)  # no board, or only a message: built for the visitor
        assert isinstance(again, Dashboard)
        assert (again.view, again.influencer_view.search.value) == ("influencer", "carol")
    monkeypatch.setenv("QUERY_STRING", "campaign=summer")  # a campaign no longer published
    assert visit(fresh) is fresh and fresh.campaign_view.campaign == "autumn"


def test_a_board_whose_store_went_away_is_not_current(board: Dashboard) -> None:
    board.reader.store.client.close()  # the store's connection is gone
    with pytest.raises(StoreError, match="Cannot use MongoClient after close"):
        board.reader.pin(fresh=True)
    assert board.current() is False  # not an error: the board is built again

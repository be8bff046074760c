"""The analysts' dashboard: all campaigns, a campaign, an influencer.

``Dashboard`` is one small class built from a store: a bar to move between the three
views (:mod:`engagement.dashboard.views`), each reached by the page's URL too
(``?campaign=...``, ``?influencer=...``), so that a view can be shared as a link. The
notebook ``notebooks/dashboard.ipynb`` only builds it and shows it; Voila serves it.
"""

from __future__ import annotations

import asyncio
import html
import os
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as widgets

from ..errors import StoreError
from ..schema import CAMPAIGN_ID
from ..serving import Reader
from ..settings import Settings
from ..store.connection import Store
from . import request
from .parts import STYLE, quality_html
from .views import CampaignsView, CampaignView, InfluencerView

EMPTY_MESSAGE = (
    "<h3>No data published yet</h3><p>Load a CSV export with <code>engagement etl FILE</code> "
    "(or <code>make run</code>), then reload this page.</p>"
)
#: Seconds the board reuses the pointer: a new dataset shows in its views within this.
POINTER_SECONDS = 1.0
VIEWS = {"campaigns": "All campaigns", "campaign": "Campaign", "influencer": "Influencer"}


class Dashboard:
    """The three views, the bar between them, and the data quality of the latest run."""

    def __init__(
        self, reader: Reader, summaries: list[dict[str, Any]], dataset: str, query: str = ""
    ) -> None:
        self.reader = reader  # every read of the board, its pages and answers kept once read
        self.dataset = dataset  # the dataset shown, to know when it moved
        self.summaries = {s[CAMPAIGN_ID]: s for s in summaries}
        self.overview = CampaignsView(summaries, self.open)
        self.campaign_view = CampaignView(reader, self.summaries, self.open)
        self.influencer_view = InfluencerView(reader, self.summaries, self.open)
        self.views = {
            "campaigns": self.overview.widget,
            "campaign": self.campaign_view.widget,
            "influencer": self.influencer_view.widget,
        }
        self.nav = widgets.ToggleButtons(options=[(v, k) for k, v in VIEWS.items()])
        self.nav.add_class("eg-nav")
        self.body = widgets.Box(layout={"width": "100%"})
        self.quality = widgets.HTML()
        self.quality.add_class("eg-quality-panel")
        self.nav.observe(lambda change: self._switch(str(change["new"])), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HTML(STYLE + "<h2>Influencer engagement</h2>"),
                self.nav,
                self.body,
                widgets.HTML("<h3>Data quality</h3>"),
                self.quality,
            ]
        )
        self._show_quality()
        self.campaign_view.refresh()
        self._switch("campaigns")
        self.follow(query)

    @classmethod
    def from_store(cls, store: Store, query: str = "") -> Dashboard | Message:
        """The dashboard of the published dataset, or a message when there is none."""
        reader = Reader(store, pointer_seconds=POINTER_SECONDS)
        answer = reader.campaigns()
        if not answer.found or answer.dataset is None:
            return Message(EMPTY_MESSAGE)
        return cls(reader, answer.value, answer.dataset, query)

    @classmethod
    def from_environment(cls, query: str | None = None) -> Dashboard | Message:
        """Connect as the environment says (``ENGAGEMENT_MONGODB_URI`` ...) and open the
        view ``query`` names (default: the page's, which Voila gives in ``QUERY_STRING``)."""
        if query is None:
            query = os.environ.get("QUERY_STRING", "")
        try:
            return cls.from_store(Settings().connect(), query)
        except StoreError as exc:
            return Message(
                f"<h3>The data store is unavailable</h3><p>{html.escape(str(exc))}"
                "</p><p>Reload this page when it is back.</p>"
            )

    def current(self) -> bool:
        """Whether the dataset shown is still the published one."""
        try:
            found = self.reader.pin(fresh=True)
        except StoreError:
            return False
        return found is not None and found.run_id == self.dataset

    @property
    def view(self) -> str:
        return str(self.nav.value)

    def follow(self, query: str) -> None:
        """Open the view a URL query names: ``campaign=ID`` or ``influencer=ID``."""
        found = parse_qs(query.lstrip("?"))
        if found.get("influencer"):
            self.open("influencer", found["influencer"][0])
        elif found.get("campaign"):
            self.open("campaign", found["campaign"][0])

    def open(self, view: str, key: str) -> None:
        """Show the campaign or influencer ``key``."""
        if view == "campaign":
            self.campaign_view.show(key)
        elif view == "influencer":
            self.influencer_view.show(key)
        self.nav.value = view

    def _switch(self, view: str) -> None:
        self.body.children = (self.views[view],)

    def _show_quality(self) -> None:
        run, examples = self.reader.quality()
        self.quality.value = quality_html(run, examples, self.dataset)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]


def visit(board: Dashboard | Message | None = None) -> Dashboard | Message:
    """The dashboard for the page's visitor: ``board`` (built in a warm kernel before anyone
    came) when it still shows the published dataset, else built again; the view the page's
    URL names opened.

    In a kernel the view is opened just after the cell ends (see ``soon``): the page's
    response ends with the cell, and the browser asks for the widgets only once it has loaded
    the page's scripts, by when the view is there; a campaign opened by its URL then costs
    the page no more than the overview does."""
    query = request.query()
    if isinstance(board, Dashboard) and board.current():
        soon(board.follow, query)
        return board
    return Dashboard.from_environment(query)


def soon(work: Callable[[str], None], argument: str) -> None:
    """``work(argument)`` once the running cell has ended, on the kernel's loop; at once where
    no loop runs (a script, a test), where a failure is raised; on the loop, a failure is
    written to the server's log (the page stays on the view it shows)."""

    def run() -> None:
        try:
            work(argument)
        except Exception as exc:  # the page stays on the view it shows; the log says why
            print(f"engagement: opening {argument!r} failed: {exc!r}", file=sys.__stderr__)

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        work(argument)
    else:
        loop.call_soon(run)


class Message:
    """A dashboard that has nothing to show but a message."""

    def __init__(self, text: str) -> None:
        self.widget = widgets.HTML(text)
        self.widget.add_class("eg-message")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

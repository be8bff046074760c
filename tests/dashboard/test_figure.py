"""engagement.dashboard.figure: figure widgets that carry a small stub instead of plotly.js
when the dashboard's server serves them, and the bundle the server sends for the stub."""

from __future__ import annotations

import gzip

import plotly
import plotly.graph_objects as go
import pytest

from engagement.dashboard import figure


def bars() -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[3, 5], name="posts"), layout={"title": "two"})


def test_outside_the_server_a_figure_is_plotlys_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(figure.SERVED, raising=False)
    shown = figure.figure_widget(bars())
    assert isinstance(shown, go.FigureWidget) and not isinstance(shown, figure.ServedFigure)
    assert shown._esm == figure.BUNDLE.read_text()  # plotly.js, whole, in the widget
    monkeypatch.setenv(figure.SERVED, "")  # set but empty: not served
    assert not isinstance(figure.figure_widget(bars()), figure.ServedFigure)


def test_served_a_figure_carries_the_stub_and_its_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(figure.SERVED, "1")
    shown = figure.figure_widget(bars())
    assert isinstance(shown, figure.ServedFigure) and isinstance(shown, go.FigureWidget)
    state = shown.get_state()
    assert state["_esm"] == figure.STUB  # what crosses the websocket: the stub, not 5 MB
    assert len(figure.STUB) < 2_000 < figure.BUNDLE.stat().st_size
    (trace,) = shown.data
    assert (trace.type, list(trace.x), list(trace.y), trace.name) == (
        "bar",
        ["a", "b"],
        [3, 5],
        "posts",
    )
    assert shown.layout.title.text == "two"


def test_the_stub_imports_the_bundle_from_the_route_once() -> None:
    assert figure.ROUTE == f"engagement/plotly-widget-{plotly.__version__}.js"
    assert figure.STUB.count(figure.ROUTE) == 1
    # relative to the page, so a server under a base URL serves it too
    assert f'import(new URL("{figure.ROUTE}", document.baseURI).href)' in figure.STUB
    assert "bundle ??= import(" in figure.STUB  # imported at most once per page
    assert figure.BUNDLE.name == "widgetbundle.js" and figure.BUNDLE.is_file()


def test_the_bundle_plain_and_gzipped() -> None:
    plain = figure.bundle(False)
    assert plain == figure.BUNDLE.read_bytes()
    packed = figure.bundle(True)
    assert gzip.decompress(packed) == plain
    assert packed[:2] == b"\x1f\x8b" and packed[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert len(packed) < len(plain) // 2
    assert figure.bundle(True) is packed and figure.bundle(False) is plain  # read once

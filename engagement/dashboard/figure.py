"""Plotly figure widgets that do not carry plotly.js in their state.

A plotly ``FigureWidget`` is an anywidget whose state holds its JavaScript module: plotly.js,
5 MB, in every figure. The dashboard shows four, and a new one at each campaign it opens: 20 MB
over the kernel websocket before the first chart (and past the server's bound on what waits for
a client). Served by the dashboard's server (which sets ``SERVED`` in its kernels'
environment), a figure's module is a two-line stub that imports the bundle once, from the
server, where the browser caches it; elsewhere (a notebook) a figure is plotly's own.
"""

from __future__ import annotations

import os
from pathlib import Path

import plotly
import plotly.graph_objects as go

#: Set in the kernels' environment by the dashboard's server, which serves ``ROUTE``.
SERVED = "ENGAGEMENT_DASHBOARD_BUNDLE"
#: plotly's widget module, as the package ships it.
BUNDLE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
#: Where the server serves it, relative to the page (the version keeps caches honest).
ROUTE = f"engagement/plotly-widget-{plotly.__version__}.js"

STUB = (
    f'const bundle = await import(new URL("{ROUTE}", document.baseURI).href);\n'
    "export default bundle.default;\n"
)


class ServedFigure(go.FigureWidget):
    """A figure widget whose module is imported from the dashboard's server."""

    _esm = STUB


def figure_widget(figure: go.Figure) -> go.FigureWidget:
    """The widget of ``figure``: light when served by the dashboard's server."""
    if os.environ.get(SERVED):
        return ServedFigure(figure)
    return go.FigureWidget(figure)

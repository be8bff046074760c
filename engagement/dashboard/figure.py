"""Plotly figure widgets that do not carry plotly.js in their state.

A plotly ``FigureWidget`` is an anywidget whose state holds its JavaScript module: plotly.js,
5 MB, in every figure. The dashboard shows four, and a new one at each campaign it opens: 20 MB
over the kernel websocket before the first chart (and past the server's bound on what waits for
a client). Served by the dashboard's server (which sets ``SERVED`` in its kernels'
environment), a figure's module is a small stub (``STUB``) that imports the bundle once, from
the server, where the browser caches it, once the page shows it;
elsewhere (a notebook) a figure is plotly's own.
"""

from __future__ import annotations

import gzip
import os
from functools import cache
from pathlib import Path

import plotly
import plotly.graph_objects as go

#: Set in the kernels' environment by the dashboard's server, which serves ``ROUTE``.
SERVED = "ENGAGEMENT_DASHBOARD_BUNDLE"
#: plotly's widget module, as the package ships it.
BUNDLE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
#: Where the server serves it, relative to the page (the version keeps caches honest).
ROUTE = f"engagement/plotly-widget-{plotly.__version__}.js"

#: The module each figure carries: plotly's, imported once and only when a figure is shown
#: (Voila shows a page's widgets together, once all are rendered) and painted: plotly.js is
#: 5 MB to load and run, which would hold back the widgets shown with it. A figure is drawn
#: into its place when plotly is there.
STUB = f"""let bundle;
const load = () => (bundle ??= import(new URL("{ROUTE}", document.baseURI).href));
const frame = () => new Promise((done) => requestAnimationFrame(done));
const shown = (el) => el.isConnected && el.getClientRects().length > 0;
const painted = async (el, gone) => {{
  while (!shown(el) && !gone()) await frame();
  await frame();
  await new Promise((done) => setTimeout(done, 0));
}};
export default () => {{
  let model, inner, ready;
  return {{
    initialize(context) {{
      model = context;
    }},
    render(context) {{
      let cleanup;
      let gone = false;
      painted(context.el, () => gone)
        .then(() => {{
          if (gone) return;
          ready ??= load().then((found) => {{
            inner = found.default();
            inner.initialize(model);
          }});
          return ready.then(() => {{
            if (!gone) cleanup = inner.render(context);
          }});
        }});
      return () => {{
        gone = true;
        if (cleanup) cleanup();
      }};
    }},
  }};
}};
"""


class ServedFigure(go.FigureWidget):
    """A figure widget whose module is imported from the dashboard's server."""

    _esm = STUB


@cache
def bundle(gzipped: bool) -> bytes:
    """The bytes the server sends for ``ROUTE``, gzip-compressed or not (read once)."""
    data = BUNDLE.read_bytes()
    return gzip.compress(data, 6, mtime=0) if gzipped else data


def figure_widget(figure: go.Figure) -> go.FigureWidget:
    """The widget of ``figure``: light when served by the dashboard's server."""
    if os.environ.get(SERVED):
        return ServedFigure(figure)
    return go.FigureWidget(figure)

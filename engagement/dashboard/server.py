"""The dashboard's server: Voila, with a sign-in, a bounded number of kernels and a websocket
that cannot run the server out of memory.

``engagement dashboard`` runs ``python -m engagement.dashboard.server NOTEBOOK ...``. On top of
Voila (which renders the notebook and relays its widgets over the kernel websocket):

- **Sign-in.** With a token (``ENGAGEMENT_DASHBOARD_TOKEN``, else ``ENGAGEMENT_API_KEY``) every
  route needs it, as Jupyter server's users know it: ``?token=`` once, then a cookie (or an
  ``Authorization: token ...`` header). Without it: 401 and a page that says how to sign in.
- **Kernels.** At most ``kernels`` at once: ``pool`` warm ones (the notebook already run, waiting
  for a visitor) and ``kernels - pool`` visitors; past it a visitor gets 503 and "retry shortly".
  A visitor's kernel lives while a page is connected to it, and ``grace`` seconds more.
- **The websocket.** Frames are read with their bounds checked (:mod:`.wire`); a message from a
  client is at most ``MAX_MESSAGE_BYTES``; a client that does not read has at most
  ``MAX_PENDING_BYTES`` waiting for it, then its socket is closed; a closed socket's messages are
  not kept for a reconnection.
- **Errors** are short pages (JSON for the kernel API), never a missing template's 500.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import logging
import os
from functools import partial
from typing import Any

from jupyter_server.log import log_request
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from tornado.iostream import StreamBufferFullError
from tornado.websocket import WebSocketClosedError, WebSocketHandler
from traitlets import Float, Int
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.voila_identity_provider import VoilaLoginHandler

from ..settings import Settings
from . import figure, wire

#: Largest message a client may send over the kernel websocket (a widget's change is a few KB).
MAX_MESSAGE_BYTES = 1 << 20
#: Bytes waiting for a client that does not read before its socket is closed.
MAX_PENDING_BYTES = 16 << 20
#: Seconds a visitor told the dashboard is busy is asked to wait.
RETRY_SECONDS = 10

log = logging.getLogger("engagement.dashboard")


class Kernels(AsyncMappingKernelManager):
    """Voila's kernels, with the visitors' ones counted and shut down when no page is
    connected to them for ``grace`` seconds."""

    grace = Float(30, config=True, help="Seconds a visitor's kernel lives with no page.")
    visitors_cap = Int(7, config=True, help="Visitors' kernels at most (warm ones apart).")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.visitors: set[str] = set()
        self.seating = 0  # pages admitted whose kernel is not known yet
        self._timers: dict[str, object] = {}

    def admit(self) -> bool:
        """Take a visitor's place when one is free."""
        if len(self.visitors) + self.seating >= self.visitors_cap:
            return False
        self.seating += 1
        return True

    def seat(self, kernel_id: str) -> None:
        """The admitted page's kernel is known: it is a visitor's until it is shut down."""
        self.seating -= 1
        self.visitors.add(kernel_id)

    def unseat(self) -> None:
        """An admitted page ended before it had a kernel."""
        self.seating -= 1

    def watch(self, kernel_id: str) -> None:
        """Shut the kernel down in ``grace`` seconds unless a page is connected by then."""
        loop = IOLoop.current()
        previous = self._timers.pop(kernel_id, None)
        if previous is not None:
            loop.remove_timeout(previous)
        self._timers[kernel_id] = loop.call_later(self.grace, self._expire, kernel_id)

    def _expire(self, kernel_id: str) -> None:
        self._timers.pop(kernel_id, None)
        if kernel_id in self and not self._kernel_connections.get(kernel_id, 0):
            self.log.info(
                "Shutting down kernel %s: no page connected for %g s", kernel_id, self.grace
            )
            asyncio.ensure_future(self.shutdown_kernel(kernel_id))

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        if kernel_id in self.visitors:
            self.watch(kernel_id)

    async def shutdown_kernel(  # type: ignore[override]
        self, kernel_id: str, *args: Any, **kwargs: Any
    ) -> None:
        self.visitors.discard(kernel_id)
        timer = self._timers.pop(kernel_id, None)
        if timer is not None:
            IOLoop.current().remove_timeout(timer)
        RequestInfoSocketHandler._cache.pop(kernel_id, None)  # Voila never forgets it
        await super().shutdown_kernel(kernel_id, *args, **kwargs)


# --- every route: the sign-in and short error pages -----------------------------------


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font:16px system-ui,sans-serif;"
        "max-width:40em;margin:4em auto;padding:0 1em;color:#222}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


SIGN_IN = page(
    "Sign-in required",
    "<p>This dashboard needs its token. Open the link you were given (it ends in "
    "<code>?token=...</code>), or <a href='/login'>enter the token</a>.</p>",
)


class Gate:
    """A mixin for every handler: the token checked before anything else, errors written
    without templates."""

    settings: dict[str, Any]

    # what the identity provider reads of a handler (Jupyter's handlers have them; Voila's
    # static file handlers do not)
    @property
    def token(self) -> str | None:
        provider = self.settings.get("identity_provider")
        return provider.token if provider is not None else None

    @property
    def base_url(self) -> str:
        return str(self.settings.get("base_url", "/"))

    @property
    def log(self) -> logging.Logger:
        return log

    async def prepare(self) -> None:
        provider = self.settings.get("identity_provider")
        if provider is not None and provider.auth_enabled:
            user = provider.get_user(self)
            if inspect.isawaitable(user):
                user = await user
            if user is None:
                raise web.HTTPError(401)
        parent = super().prepare()  # type: ignore[misc]
        if inspect.isawaitable(parent):
            await parent

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        handler: web.RequestHandler = self  # type: ignore[assignment]
        if status_code == 401:
            body = SIGN_IN
        else:
            reason = html.escape(handler._reason)
            body = page(f"{status_code} {reason}", f"<p>{reason}.</p>")
        handler.set_header("Content-Type", "text/html; charset=utf-8")
        handler.finish(body)


class Templates(Gate, TemplateStaticFileHandler):
    """Voila's template assets; a path that names no asset is 404 (Voila: 500)."""

    def parse_url_path(self, url_path: str) -> str:
        parts = url_path.split("/", 2)
        if len(parts) != 3 or parts[1] != "static" or not parts[2]:
            raise web.HTTPError(404)
        return super().parse_url_path(url_path)

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not getattr(self, "roots", None):
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


class Login(VoilaLoginHandler):
    """The token form (open without a token, of course)."""


class Logout(Gate, web.RequestHandler):
    """Forget the sign-in cookie (Voila: 500, a template it does not ship)."""

    async def prepare(self) -> None:  # open to all: signing out needs no token
        return None

    def get(self) -> None:
        provider = self.settings.get("identity_provider")
        if provider is not None:
            provider.clear_login_cookie(self)
        self.finish(page("Signed out", "<p>Open the dashboard's link again to sign in.</p>"))


class _Seating:
    """The kernel manager as one page sees it: the kernel it gets is seated."""

    def __init__(self, manager: Kernels) -> None:
        self._manager = manager
        self.seated = False
        self.kernel_id = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def _seat(self, kernel_id: str) -> None:
        if not self.seated:
            self.seated = True
            self.kernel_id = kernel_id
            self._manager.seat(kernel_id)

    async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> Any:
        # Voila's pool (preheat_kernel) adds it to the manager's class
        rendered = self._manager.get_rendered_notebook  # type: ignore[attr-defined]
        task, cache, kernel_id = await rendered(*args, **kwargs)
        self._seat(kernel_id)
        return task, cache, kernel_id

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        kernel_id = str(await self._manager.start_kernel(*args, **kwargs))
        self._seat(kernel_id)
        return kernel_id


class Page(Gate, TornadoVoilaHandler):
    """The dashboard page: a visitor's place taken, or 503 "retry shortly"."""

    _seating: _Seating | None = None

    @property
    def kernel_manager(self) -> Any:
        return self._seating if self._seating is not None else self.settings["kernel_manager"]

    async def get(self, path: str | None = None) -> None:
        if path:  # one notebook is served; Voila would redirect to a file (none is allowed)
            raise web.HTTPError(404)
        manager: Kernels = self.settings["kernel_manager"]
        if not manager.admit():
            self.set_status(503)
            self.set_header("Retry-After", str(RETRY_SECONDS))
            self.set_header("Cache-Control", "no-store")
            self.finish(
                page(
                    "The dashboard is busy",
                    f"<p>All {manager.visitors_cap} places are taken. Retry shortly: this "
                    f"page reloads itself in {RETRY_SECONDS} s.</p>"
                    f"<script>setTimeout(() => location.reload(), {RETRY_SECONDS * 1000})"
                    "</script>",
                )
            )
            return
        self._seating = _Seating(manager)
        try:
            await super().get(path)
        finally:
            if self._seating.seated:  # the page is served: its kernel waits for it, not longer
                manager.watch(self._seating.kernel_id)
            else:
                manager.unseat()


class KernelSocket(Gate, VoilaKernelWebsocketHandler):
    """The kernel websocket, bounded: sound frames only, a client that reads."""

    async def open(self, *args: Any, **kwargs: Any) -> None:
        if self.ws_connection is not None:
            self.ws_connection.stream.max_write_buffer_size = MAX_PENDING_BYTES
        await super().open(*args, **kwargs)

    def on_message(self, message: str | bytes) -> Any:
        if not wire.sound(message, self.selected_subprotocol):
            return self._refuse("a malformed frame")
        try:
            return super().on_message(message)
        except (ValueError, KeyError, TypeError, AttributeError, AssertionError) as exc:
            return self._refuse(f"an unreadable message ({type(exc).__name__})")

    def _refuse(self, what: str) -> None:
        self.log.warning("Closing the websocket of %s: %s", self.request.remote_ip, what)
        self.close(1003, what)

    def write_message(self, message: Any, binary: bool = False) -> Any:
        if self.ws_connection is None or self.ws_connection.is_closing():
            raise WebSocketClosedError()  # as tornado's, before reading the frame
        found = wire.header(message, self.selected_subprotocol)
        if found and found.get("msg_type") == "execute_input":
            return None  # Voila hides the code it runs
        try:
            sent = WebSocketHandler.write_message(self, message, binary)
        except StreamBufferFullError:
            self.log.warning(
                "Closing the websocket of %s: it does not read (%d MiB waiting)",
                self.request.remote_ip,
                MAX_PENDING_BYTES >> 20,
            )
            if self.ws_connection is not None:
                self.ws_connection.stream.close()
            raise WebSocketClosedError() from None
        # the writes still waiting when a socket closes fail; nobody awaits them
        sent.add_done_callback(lambda done: done.cancelled() or done.exception())
        return sent


class RequestInfo(Gate, RequestInfoSocketHandler):
    """Where a warm kernel learns the request it serves (the kernel signs in too)."""


class Bundle(Gate, web.RequestHandler):
    """plotly's widget module, fetched once per browser (see :mod:`.figure`)."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "private, max-age=31536000, immutable")
        gzipped = "gzip" in self.request.headers.get("Accept-Encoding", "")
        if gzipped:  # compressed once per process, not per visitor
            self.set_header("Content-Encoding", "gzip")
        self.finish(figure.bundle(gzipped))


class Health(web.RequestHandler):
    """``/health``: the server answers (open to all; it tells nothing of the data)."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish({"status": "ok"})


class DashboardServer(Voila):
    """Voila with the dashboard's sign-in, kernel bounds and bounded websocket."""

    name = "engagement-dashboard"

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if getattr(self, "token", None) is None:
            self.token = Settings().dashboard_secret() or None  # None: open
        # where a warm kernel asks for its request (Voila's kernels assume 127.0.0.1)
        here = "127.0.0.1" if self.ip in ("", "0.0.0.0", "::", "localhost") else self.ip
        os.environ["VOILA_APP_IP"] = here
        os.environ[figure.SERVED] = "1"  # the kernels' figures import plotly.js from here
        figure.bundle(gzipped=True)

    def init_settings(self) -> dict[str, Any]:
        settings = super().init_settings()
        settings["websocket_max_message_size"] = MAX_MESSAGE_BYTES
        settings["compress_response"] = True  # the page and the bundle: a fifth of the bytes
        # Jupyter server's request log, which scrubs ?token= (tornado's logs the whole URI)
        settings["log_function"] = partial(log_request, record_prometheus_metrics=False)
        return settings

    def init_handlers(self) -> list[Any]:
        replaced = {
            VoilaKernelWebsocketHandler: KernelSocket,
            TemplateStaticFileHandler: Templates,
            TornadoVoilaHandler: Page,
            RequestInfoSocketHandler: RequestInfo,
        }
        handlers: list[Any] = [
            (url_path_join(self.server_url, "/health"), Health),
            (url_path_join(self.server_url, figure.ROUTE), Bundle),
        ]
        for pattern, handler, *options in super().init_handlers():
            if pattern.endswith("/login"):
                handler = Login
            elif pattern.endswith("/logout"):
                handler = Logout
            elif handler in replaced:
                handler = replaced[handler]
            elif not issubclass(handler, Gate):
                handler = type(handler.__name__, (Gate, handler), {})
            handlers.append((pattern, handler, *options))
        return handlers


def main() -> None:
    DashboardServer.launch_instance()


if __name__ == "__main__":
    main()

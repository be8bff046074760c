"""engagement.dashboard.request: the page's query as a kernel knows it: from ``QUERY_STRING``,
or, in a warm kernel, from the server's ``/voila/query/<kernel>`` websocket (here with nothing
listening: the page opens on what the environment says and the server's log says why; the
websocket's answer is read end to end in tests/dashboard/test_server.py)."""

from __future__ import annotations

import os

import pytest

from engagement.dashboard import request
from engagement.store.embedded import free_port

VOILA = ("VOILA_PREHEAT", "VOILA_APP_IP", "VOILA_APP_PORT", "VOILA_SERVER_URL", "VOILA_KERNEL_ID")


@pytest.fixture(autouse=True)
def no_voila(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Voila variables but those a test sets."""
    for name in (*VOILA, "QUERY_STRING"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("preheat", [None, "False", "true", "1"])
def test_a_kernel_started_for_its_page_reads_query_string(
    preheat: str | None, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    if preheat is not None:
        monkeypatch.setenv("VOILA_PREHEAT", preheat)  # only "True" means a warm kernel
    monkeypatch.setenv("VOILA_APP_PORT", str(free_port()))  # were it asked: nothing there
    assert request.query() == ""
    monkeypatch.setenv("QUERY_STRING", "campaign=spring&x=1")
    assert request.query() == "campaign=spring&x=1"
    assert capfd.readouterr().err == ""  # no websocket was tried


def test_a_warm_kernel_whose_request_cannot_be_read_keeps_its_query(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    monkeypatch.setenv("VOILA_APP_IP", "")  # empty: loopback
    monkeypatch.setenv("VOILA_SERVER_URL", "/board/")
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-123")
    monkeypatch.setenv("QUERY_STRING", "influencer=ann")
    monkeypatch.setenv("ENGAGEMENT_DASHBOARD_TOKEN", "s3cret")
    assert request.query() == "influencer=ann"  # the page opens as the environment says
    assert os.environ["QUERY_STRING"] == "influencer=ann"
    err = capfd.readouterr().err
    assert err == (
        f"engagement: the page's request was not read from "
        f"ws://127.0.0.1:{port}/board/voila/query/k-123: "
        "ConnectionRefusedError(111, 'Connection refused')\n"
    )
    assert "s3cret" not in err  # the token is sent, never written to the log


def test_the_websocket_address_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_IP", "127.0.0.2")
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    assert request.query() == ""  # no QUERY_STRING, no answer: the overview
    err = capfd.readouterr().err
    # no base URL: "/"; no kernel id: the route's end left empty
    assert f"not read from ws://127.0.0.2:{port}/voila/query/: " in err

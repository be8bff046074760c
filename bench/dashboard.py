"""``make bench`` (dashboard part): the served dashboard in headless Chromium at 1,000 campaigns
x 200 influencers, as a visitor sees it.

Each figure is the median of ``--repeat`` visits, each in a fresh browser context (nothing
cached: a first-time visitor), with a warm kernel waiting (the default pool of one). Times are
taken in the page's own clock, from its navigation's start to the animation frame that shows
the element (see ``SEEN``):

- first page: the overview, from the request to its campaigns table (and, reported apart, to
  its spread chart drawn: plotly.js is loaded after the page shows);
- campaign switch: on a campaign's settled page (its charts drawn), another campaign picked,
  until its ranking shows;
- campaign by URL: ``?campaign=ID``, from the request to its ranking table.

    python -m bench.dashboard [--campaigns 1000] [--influencers 200] [--repeat 3] [--readme]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import BIN, DATA, Server, log, machine  # noqa: E402
from bench.readme import put_in_readme  # noqa: E402
from engagement.generate import generate  # noqa: E402
from engagement.store.embedded import HOST, free_port  # noqa: E402

RESULTS = ROOT / "bench" / "dashboard.json"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 120_000
TOKEN = uuid.uuid4().hex
FIRST = ".eg-campaigns-table tbody tr"
CHART = ".eg-overview .js-plotly-plot .bars path"
RANKING = ".eg-campaign-view .eg-ranking tbody tr"
#: When each selector first matched a shown element, in the page's own clock (milliseconds
#: since its navigation began), taken at the animation frame after the change, the frame that
#: paints it. Playwright's own waits poll at up to 500 ms and from outside a page whose main
#: thread may be busy (plotly.js loading), so they would time the poll, not the page.
SEEN = (
    "const wanted = " + json.dumps([FIRST, CHART, RANKING]) + ";\n"
    """window.__seen = {};
let pending = false;
const look = () => {
  pending = false;
  for (const selector of wanted) {
    if (selector in window.__seen) continue;
    const node = document.querySelector(selector);
    if (node && node.getClientRects().length) window.__seen[selector] = performance.now();
  }
};
new MutationObserver(() => {
  if (!pending) { pending = true; requestAnimationFrame(look); }
}).observe(document, { subtree: true, childList: true, attributes: true });
"""
)


def seen(page: Any, selector: str) -> float:
    """Seconds from the page's navigation to ``selector`` shown (see ``SEEN``)."""
    page.wait_for_selector(selector, timeout=WAIT_MS)
    page.wait_for_function("(s) => s in window.__seen", arg=selector, timeout=WAIT_MS)
    return float(page.evaluate("(s) => window.__seen[s]", selector)) / 1000


def dataset(campaigns: int, influencers: int) -> Path:
    path = DATA / f"dashboard_{campaigns}x{influencers}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        log(f"generating {path.name}")
        generate(
            path,
            campaigns * influencers,
            campaigns=campaigns,
            influencers_per_campaign=influencers,
            malformed=0.0,
            seed=11,
        )
    return path


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "engagement"), "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://{HOST}:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/health", timeout=2)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the dashboard did not start")


def visits(base: str, campaigns: list[str], repeat: int, settle: float) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    found: dict[str, list[float]] = {"first": [], "chart": [], "switch": [], "url": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            for turn in range(repeat):
                time.sleep(settle)  # the pool refills: the next visitor finds a warm kernel
                context = browser.new_context(viewport={"width": 1300, "height": 1400})
                context.add_init_script(SEEN)
                page = context.new_page()
                page.goto(f"{base}/?token={TOKEN}")
                found["first"].append(seen(page, FIRST))
                found["chart"].append(seen(page, CHART))
                context.close()

                time.sleep(settle)
                context = browser.new_context(viewport={"width": 1300, "height": 1400})
                context.add_init_script(SEEN)
                page = context.new_page()
                wanted = campaigns[(turn * 7 + 3) % len(campaigns)]
                page.goto(f"{base}/?campaign={wanted}&token={TOKEN}")
                found["url"].append(seen(page, RANKING))
                # a switch is timed from a settled page: its charts drawn, as a reader sees it
                page.wait_for_selector(".eg-forest .scatterlayer .points path", timeout=WAIT_MS)
                page.wait_for_selector(".eg-histogram .bars path", timeout=WAIT_MS)
                page.wait_for_load_state("networkidle")

                other = campaigns[(turn * 7 + 5) % len(campaigns)]
                first = page.locator(".eg-ranking tbody tr td:nth-child(2)").first.inner_text()
                started = float(page.evaluate("performance.now()"))
                page.locator(".eg-campaign select").select_option(other)
                shown = page.wait_for_function(  # polled in the page, at each frame
                    "(before) => { const c = document.querySelector("
                    "'.eg-ranking tbody tr td:nth-child(2)'); "
                    "return c && c.innerText !== before && performance.now(); }",
                    arg=first,
                    polling="raf",
                    timeout=WAIT_MS,
                )
                found["switch"].append((float(shown.json_value()) - started) / 1000)
                log(
                    f"visit {turn + 1}: first page {found['first'][-1]:.2f} s (chart "
                    f"{found['chart'][-1]:.2f} s), by URL "
                    f"{found['url'][-1]:.2f} s, switch {found['switch'][-1]:.2f} s"
                )
                context.close()
        finally:
            browser.close()
    return found


def table(results: dict[str, Any]) -> str:
    def row(name: str, key: str, target: str) -> str:
        times = results["seconds"][key]
        return (
            f"| {name} | {statistics.median(times):.2f} s | {min(times):.2f} - "
            f"{max(times):.2f} s | {target} |"
        )

    return "\n".join(
        [
            f"Measured {results['date']} on {results['machine']} by `make bench`: the dashboard "
            f"served by `engagement dashboard` on {results['campaigns']:,} campaigns x "
            f"{results['influencers']} influencers, headless Chromium, a fresh browser "
            f"context per visit (nothing cached), timed in the page's clock from its "
            f"navigation to the frame that shows the element, median of {results['repeat']} "
            "visits:",
            "",
            "| step | median | range | target |",
            "|---|---|---|---|",
            row("first page: the overview's table", "first", "2 s"),
            row("first page: the overview's chart drawn too", "chart", "-"),
            row("a campaign opened by its URL, to its ranking", "url", "2 s"),
            row(
                "campaign switch (the picker, from a settled page), to the new ranking",
                "switch",
                "0.5 s",
            ),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--influencers", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--settle", type=float, default=25, help="Seconds for the pool to refill.")
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()

    path = dataset(args.campaigns, args.influencers)
    server = Server()
    home = tempfile.mkdtemp(prefix="bench-dashboard-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update(
        {
            "ENGAGEMENT_MONGODB_URI": server.uri,
            "ENGAGEMENT_DB": "dashboard_bench",
            "ENGAGEMENT_HOME": home,
            "ENGAGEMENT_DASHBOARD_TOKEN": TOKEN,
        }
    )
    try:
        log(f"loading {path.name}")
        subprocess.run(
            [str(BIN / "engagement"), "etl", str(path)], env=env, check=True, capture_output=True
        )
        process, base = serve(env)
        try:
            ids = [f"campaign_{i}" for i in range(1, args.campaigns + 1)]
            seconds = visits(base, ids, args.repeat, args.settle)
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=60)
    finally:
        server.stop()
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "campaigns": args.campaigns,
        "influencers": args.influencers,
        "repeat": args.repeat,
        "seconds": seconds,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    text = table(results)
    print(text)
    if args.readme:
        put_in_readme("dashboard-bench", text)


if __name__ == "__main__":
    main()

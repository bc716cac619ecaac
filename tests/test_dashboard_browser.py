"""The dashboard after a short ``demo``, rendered in real headless Chromium.

Asserts on the DOM Chromium renders (scripts run): one status card per watchlist name whose
``data-status``/``data-since`` agree with ``aimonitor alerts list --state firing`` at the
last session, the loop graph, the charts drawn by the inlined plotly, no JavaScript error,
and no request to another host. Skipped (with the reason) only where Chromium is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimonitor.cli import cli
from conftest import config_with_events

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = [
    pytest.mark.slow,  # a real demo and a real browser process: end to end
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (Debian: apt-get install -y chromium; .ci/run does it as root)",
    ),
]
WATCH = ["ORCL", "CRWV", "AMD", "NVDA"]
RANK = {"ok": 0, "info": 1, "warning": 2, "critical": 3}


def _chromium(tmp: Path, url: str, *extra: str, timeout: int = 180) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={tmp / 'chromium-profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=15000",
        *extra,
        url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


class _Cards(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict[str, str | None]] = {}
        self.attrs_seen: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if a.get("class") == "card" and a.get("data-symbol"):
            self.cards[a["data-symbol"]] = {"status": a.get("data-status"), "since": a.get("data-since")}
        for k in ("src", "href"):
            if a.get(k):
                self.attrs_seen.append((tag, k, a[k]))


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    """The demo over the last two sessions of the February 2026 sell-off. Its catalog holds the
    events the loop graph is asserted on (OpenAI's Oracle contract EV05, AMD-OpenAI EV09): with
    the whole packaged catalog the demo's event studies would take four times as long."""
    config = config_with_events(tmp_path_factory.mktemp("catalog"), ("EV05", "EV09"))
    out = tmp_path_factory.mktemp("demo")
    args = [
        "--config",
        str(config),
        "demo",
        "--out",
        str(out),
        "--from",
        "2026-02-26",
        "--to",
        "2026-02-27",
        "--alerts-dir",
        str(out / "alerts"),
    ]
    r = CliRunner().invoke(cli, [*args, "--json"])
    assert r.exit_code == 0, r.output
    firing = CliRunner().invoke(cli, ["--db", str(out / "demo.db"), "alerts", "list", "--state", "firing", "--json"])
    assert firing.exit_code == 0, firing.output
    return out, json.loads(firing.stdout)["alerts"]


@pytest.fixture(scope="module")
def browser(demo_out, tmp_path_factory):
    """One Chromium run over the dashboard: the rendered DOM (stdout), the log (stderr) and a
    screenshot at 1400x900 (one browser start and one page load serve every test)."""
    out, _ = demo_out
    tmp = tmp_path_factory.mktemp("chrome")
    shot = tmp / "dashboard.png"
    res = _chromium(tmp, (out / "index.html").as_uri(), "--dump-dom", f"--screenshot={shot}", "--window-size=1400,900")
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout, res.stderr, shot


@pytest.fixture(scope="module")
def dom(browser):
    html, stderr, _ = browser
    return html, stderr


def test_status_cards_agree_with_alerts_list(demo_out, dom):
    _, alerts = demo_out
    html, _ = dom
    p = _Cards()
    p.feed(html)
    assert list(p.cards) == WATCH  # one card per watchlist name, in watchlist order
    for sym in WATCH:
        mine = [a for a in alerts if a["symbol"] == sym]
        want = max((a["severity"] for a in mine), key=RANK.get, default="ok")
        assert p.cards[sym]["status"] == want, sym
        if want == "ok":
            assert p.cards[sym]["since"] is None
        else:
            # the episode began no later than its earliest firing alert
            assert p.cards[sym]["since"] is not None
            assert p.cards[sym]["since"] <= min(a["fired"] for a in mine)
    # the demo window ends in the February 2026 sell-off: Oracle and CoreWeave are critical
    assert p.cards["ORCL"]["status"] == "critical" and p.cards["CRWV"]["status"] == "critical"


def test_card_values_are_readable(dom):
    html, _ = dom
    card = re.search(
        r'<div class="card" data-symbol="ORCL".*?</div>\s*</div>|<div class="card" data-symbol="ORCL".*?</dl>',
        html,
        re.S,
    )
    assert card
    text = card.group(0)
    assert re.search(r"\d+ bp", text)  # proxy level in bp
    assert re.search(r"[+-]\d+ bp", text)  # 20-session change
    assert re.search(r"-\d+\.\d%", text)  # drawdown as a percent
    assert "e+" not in text


def test_graph_charts_and_no_errors(dom):
    html, stderr = dom
    p = _Cards()
    p.feed(html)
    assert {"status-strip", "loop-graph", "firing", "history"} <= p.ids
    assert '<svg class="loop-graph"' in html and 'data-node="openai"' in html and 'data-node="ORCL"' in html
    assert re.search(r'data-node="ORCL" data-status="critical"', html)
    # plotly (inlined) drew every chart
    ready = re.search(r'data-charts-ready="(\d+)"', html)
    assert ready and int(ready.group(1)) >= 3
    assert html.count('class="main-svg"') >= int(ready.group(1))
    errs = re.search(r'id="js-errors" data-count="(\d+)"', html)
    assert errs and errs.group(1) == "0", html[html.find('id="js-errors"') : html.find('id="js-errors"') + 500]
    console = [ln for ln in stderr.splitlines() if "CONSOLE" in ln and ("Uncaught" in ln or "Error" in ln)]
    assert not console, console


def test_no_external_requests(dom, demo_out):
    html, _ = dom
    p = _Cards()
    p.feed(html)
    external = [x for x in p.attrs_seen if re.match(r"^(https?:)?//", x[2])]
    assert not external, external
    raw = (demo_out[0] / "index.html").read_text(encoding="utf-8")
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="https?://', raw)


def test_screenshot_at_1400px(browser):
    _, _, shot = browser
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 900)

"""The static HTML dashboard (``aimonitor report``, and the demo's report).

One self-contained ``index.html`` next to its PNG figures: prices normalised to a base
date with event markers, drawdowns from the 52-week high, the equity-implied spread
proxies with FRED benchmarks, the alert timeline (firing alerts per session by severity
and the table of alerts), and the event catalog.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from aimonitor import calendar
from aimonitor.config import AppConfig
from aimonitor.errors import InsufficientData
from aimonitor.report.plotting import plot_lines
from aimonitor.store import Store

log = logging.getLogger(__name__)

CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
img{max-width:100%;border:1px solid #eee;margin:.4rem 0}table{border-collapse:collapse;font-size:.85rem;width:100%}
td,th{border:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}th{background:#f5f5f5}
.critical{color:#b00020;font-weight:600}.warning{color:#b36b00}.info{color:#0a5fa8}.muted{color:#777}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
    return "\n".join(out) + "</table>"


def write_dashboard(
    cfg: AppConfig, store: Store, out_dir: str | Path, *, start: dt.date | None = None, end: dt.date | None = None
) -> Path:
    """Write ``out_dir/index.html`` and its figures; returns the HTML path."""
    from aimonitor.services import event_markers, list_events, spreads_charts

    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    ranges = store.bar_ranges()
    if not ranges:
        raise InsufficientData("no prices stored; run `aimonitor fetch --source snapshot` or `aimonitor demo` first")
    last = max(calendar.to_date(r[1]) for r in ranges.values())
    end = min(end or last, last)
    start = start or calendar.session_offset(calendar.session_on_or_before(end), -250)
    watch = [s for s in cfg.watchlist.symbols if s in ranges]
    mkt = cfg.watchlist.market
    figs: dict[str, Path] = {}

    # prices normalised to the base date, with event markers
    px = store.read_prices([*watch, mkt], "adj_close", start=start, end=end)
    norm = {}
    for s in px.columns:
        ser = px[s].dropna()
        if not ser.empty:
            norm[s] = ser / ser.iloc[0] * 100.0
    markers = {}
    for sym, label, day in event_markers(cfg, store):
        if start <= day <= end and sym in ("ORCL", "AMD", "NVDA", "CRWV"):
            markers.setdefault(pd.Timestamp(day), label)
    figs["prices"] = plot_lines(
        fig_dir / "prices.png",
        norm,
        f"Prices normalised to 100 on {start} (or listing), adjusted closes",
        "index",
        markers={v: k for k, v in markers.items()} if len(markers) <= 25 else list(markers),
        logy=True,
        figsize=(10, 5),
    )
    # drawdowns from the 52-week high (the signal the rules use)
    dd = store.read_signals(["drawdown_52w"], start=start, end=end, symbols=watch)
    if not dd.empty:
        groups = {s: g.set_index(pd.to_datetime(g["date"]))["value"] for s, g in dd.groupby("symbol")}
        series = {s: groups[s] for s in watch if s in groups}  # same order, so same colours, as prices
        figs["drawdowns"] = plot_lines(
            fig_dir / "drawdowns.png",
            series,
            "Drawdown from the 52-week high",
            "drawdown",
            percent=True,
            hline=0.0,
            figsize=(10, 4.5),
        )
    # spread proxies with benchmarks
    spread_paths: list[Path] = []
    try:
        spread_paths = spreads_charts(cfg, store, fig_dir, since=start, as_of=end)
    except Exception as exc:  # noqa: BLE001 - the dashboard shows the rest and says why
        log.warning("spread charts skipped: %s", exc)
    oas = store.read_fred([s for s in cfg.fred.series if s.startswith("BAML")], start=start, end=end)
    if not oas.empty:
        figs["oas"] = plot_lines(
            fig_dir / "fred_oas.png",
            {c: oas[c].dropna() for c in oas.columns},
            "FRED ICE BofA option-adjusted spreads",
            "bp",
            figsize=(10, 4.5),
        )
    # alert timeline: firing alerts per session by severity
    alerts = store.read_alerts("all")
    if alerts:
        days = calendar.sessions_index(start, end)
        counts: dict[str, pd.Series] = {}
        for sev in ("critical", "warning", "info"):
            c = pd.Series(0.0, index=days)
            for a in alerts:
                if a["severity"] != sev or not a.get("fired"):
                    continue
                lo = pd.Timestamp(a["fired"])
                hi = pd.Timestamp(a["resolved"]) if a.get("resolved") else days[-1] if len(days) else lo
                c[(c.index >= lo) & (c.index < hi if a.get("resolved") else c.index <= hi)] += 1
            if c.any():
                counts[sev] = c
        if counts:
            figs["timeline"] = plot_lines(
                fig_dir / "alert_timeline.png",
                counts,
                "Firing alerts per session by severity",
                "alerts",
                figsize=(10, 3.8),
            )

    # ---- HTML
    rel = lambda p: html.escape(str(Path(p).relative_to(out)))  # noqa: E731
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>aimonitor dashboard</title>"
        f"<style>{CSS}</style></head><body>",
        f"<h1>aimonitor: the AI-infrastructure financing loop</h1>"
        f"<p class='muted'>{_e(start)} .. {_e(end)} · watchlist {_e(', '.join(watch))} · "
        f"market {_e(mkt)} · database {_e(store.path)}</p>",
    ]
    parts.append("<h2>Prices</h2>")
    parts.append(f"<img src='{rel(figs['prices'])}' alt='normalised prices'>")
    if "drawdowns" in figs:
        parts.append(f"<h2>Drawdowns</h2><img src='{rel(figs['drawdowns'])}' alt='drawdowns'>")
    parts.append("<h2>Credit: equity-implied CDS proxies and market spreads</h2>")
    if spread_paths:
        parts.append(
            "<div class='grid'>" + "".join(f"<img src='{rel(p)}' alt='{_e(p.stem)}'>" for p in spread_paths) + "</div>"
        )
    else:
        parts.append("<p class='muted'>No spread proxy could be computed (see the log).</p>")
    if "oas" in figs:
        parts.append(f"<img src='{rel(figs['oas'])}' alt='FRED OAS'>")
    parts.append("<h2>Alerts</h2>")
    if "timeline" in figs:
        parts.append(f"<img src='{rel(figs['timeline'])}' alt='alert timeline'>")
    shown = [a for a in alerts if a.get("fired")]
    shown.sort(key=lambda a: (a["fired"], a["rule"]), reverse=True)
    parts.append(
        _table(
            ["fired", "resolved", "severity", "rule", "symbol", "value", "summary"],
            [
                [
                    _e(a["fired"]),
                    _e(a.get("resolved") or "firing"),
                    f"<span class='{_e(a['severity'])}'>{_e(a['severity'])}</span>",
                    _e(a["rule"]),
                    _e(a.get("symbol") if a.get("symbol") != "*" else ""),
                    _e(f"{a['value']:.4g}" if a.get("value") is not None else ""),
                    _e(a.get("summary")),
                ]
                for a in shown[:300]
            ],
        )
        if shown
        else "<p class='muted'>No alert has fired.</p>"
    )
    parts.append("<h2>Events</h2>")
    evs = [e for e in list_events(cfg, store) if e.day0 is not None]
    parts.append(
        _table(
            ["event", "announced", "timing", "day 0", "tickers", "type", "amount (USD)", "description"],
            [
                [
                    _e(e.event_id),
                    _e(e.announce_date),
                    _e(e.timing),
                    _e(e.day0),
                    _e(", ".join(e.tickers)),
                    _e(e.event_type),
                    _e(f"{e.amount_usd:.3g}" if e.amount_usd else ""),
                    _e((e.description or "")[:160]),
                ]
                for e in evs
            ],
        )
    )
    parts.append("</body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    log.info("dashboard written to %s", path)
    return path

"""Wiring of the loop graph and dashboard reports: reads the store, builds the data objects.

The renderers (:mod:`aimonitor.report.dashboard`, :mod:`aimonitor.report.graph`) receive
plain data objects and never read the store or the clock; this module is where the store
is read. ``generated_at`` is passed in by the caller (the CLI reads the clock).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aimonitor import calendar
from aimonitor.analytics.graph import LoopGraph
from aimonitor.config import AppConfig
from aimonitor.errors import AimonitorError
from aimonitor.events.catalog import EventRecord
from aimonitor.events.entities import load_entities
from aimonitor.events.types import DEAL_TYPES
from aimonitor.loopdata import event_label, read_loop_graph, stored_events
from aimonitor.pipeline import PIPELINE_RULE, read_spread_panel, stored_bar_ranges
from aimonitor.report.dashboard import (
    AlertRow,
    Chart,
    DashboardData,
    Marker,
    StatusCard,
    Trace,
    status_of,
    write_dashboard,
)
from aimonitor.report.graph import GraphView, build_graph_view, write_graph
from aimonitor.rules import NODATA_RULE
from aimonitor.store import Store

if TYPE_CHECKING:  # the spreads module loads lazily (start-up time)
    from aimonitor.analytics.spreads import SpreadPanel

log = logging.getLogger(__name__)

#: Human names of the FRED series the dashboard shows (never raw ids as labels).
FRED_NAMES = {
    "BAMLC0A0CM": "US investment-grade corporate OAS (ICE BofA)",
    "BAMLC0A4CBBB": "US BBB corporate OAS (ICE BofA)",
    "BAMLH0A0HYM2": "US high-yield OAS (ICE BofA)",
}
#: Event types that make a chart marker: deals, financing and credit moves as they happen, and results
#: (not capex guidance, private funding rounds or aggregate totals).
MARKER_TYPES = (DEAL_TYPES - {"capex_guidance", "funding_round", "aggregate_commitment"}) | {"earnings"}


def display_names(cfg: AppConfig) -> dict[str, str]:
    """Ticker -> the party's name in the entity dictionary (``[events].entities`` or the packaged one)."""
    return {e.ticker: e.name for e in load_entities(cfg.events.entities) if e.ticker}


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _iso(x: Any) -> str | None:
    if x is None or x == "":
        return None
    return str(x)[:10]


def firing_on(alert: dict[str, Any], day: str) -> bool:
    """True when ``alert`` is firing on session ``day`` (ISO): fired on or before it, not resolved by it."""
    fired = _iso(alert.get("fired"))
    resolved = _iso(alert.get("resolved"))
    return bool(fired) and fired <= day and (resolved is None or resolved > day)  # type: ignore[operator]


def status_since(alerts: Sequence[dict[str, Any]], day: str) -> str | None:
    """First session of the uninterrupted non-ok run that includes ``day`` (None when ok)."""
    now = [a for a in alerts if firing_on(a, day)]
    if not now:
        return None
    since = min(str(_iso(a["fired"])) for a in now)
    changed = True
    while changed:  # earlier alerts that were still firing when the run began extend it back
        changed = False
        for a in alerts:
            f, r = _iso(a.get("fired")), _iso(a.get("resolved"))
            if f and f < since and (r is None or r >= since):
                since, changed = f, True
    return since


def _row(a: dict[str, Any], dq: set[str]) -> AlertRow:
    sym = a.get("symbol")
    return AlertRow(
        rule=str(a["rule"]),
        symbol=None if sym in (None, "*") else str(sym),
        severity=str(a["severity"]),
        state=str(a["state"]),
        fired=_iso(a.get("fired")),
        resolved=_iso(a.get("resolved")),
        value=_f(a.get("value")),
        summary=str(a.get("summary") or ""),
        data_quality=str(a["rule"]) in dq,
    )


def data_quality_rules(cfg: AppConfig) -> set[str]:
    """Rules about the data rather than the market: staleness checks and failed cycles."""
    return {r.name for r in cfg.rules if r.signal == "staleness_sessions"} | {PIPELINE_RULE, NODATA_RULE}


def _series(s: pd.Series) -> tuple[list[str], list[float | None]]:
    s = s.dropna()
    return [pd.Timestamp(i).date().isoformat() for i in s.index], [_f(v) for v in s.to_numpy()]


def _trace(name: str, s: pd.Series, kind: str = "line", group: str | None = None) -> Trace:
    x, y = _series(s)
    return Trace(name=name, x=x, y=y, kind=kind, group=group)


def _markers(events: Iterable[EventRecord], watch: Sequence[str], start: dt.date, end: dt.date) -> list[Marker]:
    out: list[Marker] = []
    seen: set[tuple[dt.date, str]] = set()
    for e in sorted((e for e in events if e.day0 is not None), key=lambda e: (e.day0, e.event_id)):
        assert e.day0 is not None
        if not (start <= e.day0 <= end) or not set(e.tickers) & set(watch):
            continue
        if not set(e.event_types) & MARKER_TYPES and not e.description.lower().startswith("supply:"):
            continue
        label = event_label(e)
        if (e.day0, label) in seen:
            continue
        seen.add((e.day0, label))
        out.append(
            Marker(
                n=len(out) + 1,
                date=e.day0.isoformat(),
                label=label,
                event_id=e.event_id,
                symbols=tuple(t for t in e.tickers if t in watch),
            )
        )
    return out


def _proxy_now(
    panel: SpreadPanel | None, sym: str, end: dt.date
) -> tuple[float | None, float | None, float | None, float | None]:
    """(proxy, its 20-session change, band low, band high) in bp at ``end``; None where unknown."""
    proxy = chg = lo = hi = None
    if panel is not None and sym in panel.symbols:
        s = panel.series(sym)
        s = s[s.index <= pd.Timestamp(end)]
        if len(s):
            proxy = _f(s.iloc[-1])
            if len(s) > 20:
                chg = _f(s.iloc[-1] - s.iloc[-21])
            cols = panel.names.columns
            if "spread_bp_low" in cols and "spread_bp_high" in cols:
                lo_s, hi_s = panel.series(sym, "spread_bp_low"), panel.series(sym, "spread_bp_high")
                lo = _f(lo_s[lo_s.index <= pd.Timestamp(end)].iloc[-1]) if len(lo_s) else None
                hi = _f(hi_s[hi_s.index <= pd.Timestamp(end)].iloc[-1]) if len(hi_s) else None
    return proxy, chg, lo, hi


def _cds_now(quotes: pd.DataFrame, sym: str, end: dt.date) -> tuple[float | None, str | None, str | None]:
    """(last imported CDS quote in bp, its date, its source) on or before ``end``, 5Y when there is one."""
    cds = cds_date = cds_src = None
    if not quotes.empty:
        q = quotes[(quotes["entity"].astype(str).str.upper() == sym) & (quotes["date"] <= pd.Timestamp(end))]
        if "tenor" in q.columns and (q["tenor"] == "5Y").any():
            q = q[q["tenor"] == "5Y"]
        if len(q):
            q = q.sort_values("date")
            cds, cds_date = _f(q["spread_bp"].iloc[-1]), pd.Timestamp(q["date"].iloc[-1]).date().isoformat()
            cds_src = str(q["source"].iloc[-1]) if "source" in q.columns and q["source"].iloc[-1] else None
    return cds, cds_date, cds_src


def _drawdown_now(store: Store, dd: pd.DataFrame, sym: str, end: dt.date) -> float | None:
    """The stored ``drawdown_52w`` signal at ``end``, else the same definition on the stored closes."""
    ddv = None
    if not dd.empty:
        d = dd[dd["symbol"] == sym]
        if len(d):
            ddv = _f(d.sort_values("date")["value"].iloc[-1])
    if ddv is None:  # signals not derived yet: the same definition on the stored closes
        px = store.read_prices([sym], "adj_close", start=calendar.session_offset(end, -260), end=end)
        if sym in px.columns and px[sym].notna().any():
            ser = px[sym].dropna()
            ddv = _f(ser.iloc[-1] / ser.iloc[-252:].max() - 1.0)
    return ddv


def build_dashboard_data(
    cfg: AppConfig,
    store: Store,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    generated_at: str | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> DashboardData:
    """Everything the dashboard shows, as of the last stored session (or ``end``)."""
    ranges = stored_bar_ranges(store)
    last = max(calendar.to_date(r[1]) for r in ranges.values())
    end = calendar.session_on_or_before(min(end or last, last))
    start = start or calendar.session_offset(end, -250)
    day = end.isoformat()
    watch = [s for s in cfg.watchlist.symbols if s in ranges]
    mkt = cfg.watchlist.market
    dq = data_quality_rules(cfg)
    notes: list[str] = []

    alerts = store.read_alerts("all")
    by_sym: dict[str, list[dict[str, Any]]] = {}
    for a in alerts:
        by_sym.setdefault(str(a.get("symbol")), []).append(a)

    # credit proxies (with their band, when the panel has one)
    panel = None
    try:
        panel = read_spread_panel(cfg, store, end, start=calendar.session_offset(start, -300))
    except Exception as exc:  # noqa: BLE001 - the dashboard shows the rest and says why
        log.warning("spread proxies skipped: %s", exc)
        notes.append(f"credit proxies unavailable: {exc}")

    cards = _status_cards(cfg, store, watch, by_sym, ranges, panel, start, end)
    loop_status, loop_since, loop_rows = _loop_verdict(cards, by_sym, dq, day)
    firing_now, history = _alert_tables(alerts, dq, start, day)
    graph_view = _graph_view(cfg, store, end, cards, notes)
    charts = _charts(cfg, store, watch, mkt, start, end, panel, alerts, dq)
    events = stored_events(cfg, store)
    return DashboardData(
        as_of=day,
        start=start.isoformat(),
        end=day,
        generated_at=generated_at,
        watchlist=tuple(watch),
        cards=tuple(cards),
        loop_status=loop_status,
        loop_since=loop_since,
        graph=graph_view,
        charts=tuple(charts),
        markers=tuple(_markers(events, watch, start, end)),
        firing=tuple(r for r in firing_now if not r.data_quality),
        data_quality=tuple(r for r in firing_now if r.data_quality),
        history=tuple(history),
        links=tuple(links),
        loop_alerts=tuple(_row(a, dq) for a in loop_rows),
        notes=tuple(notes),
    )


def _status_cards(
    cfg: AppConfig,
    store: Store,
    watch: Sequence[str],
    by_sym: dict[str, list[dict[str, Any]]],
    ranges: dict[str, Any],
    panel: Any,
    start: dt.date,
    end: dt.date,
) -> list[StatusCard]:
    """One card per watched name: its status and firing alerts on ``end``, credit proxy, CDS, drawdown."""
    day = end.isoformat()
    quotes = store.read_cds_quotes()
    dd = store.read_signals(["drawdown_52w"], start=start, end=end, symbols=list(watch))
    names = display_names(cfg)
    cards = []
    for sym in watch:
        mine = by_sym.get(sym, [])
        now = [a for a in mine if firing_on(a, day)]
        status = status_of([str(a["severity"]) for a in now])
        proxy, chg, lo, hi = _proxy_now(panel, sym, end)
        cds, cds_date, cds_src = _cds_now(quotes, sym, end)
        ddv = _drawdown_now(store, dd, sym, end)
        cards.append(
            StatusCard(
                symbol=sym,
                name=names.get(sym, sym),
                status=status,
                since=status_since(mine, day) if status != "ok" else None,
                alerts=tuple(
                    str(a.get("summary") or a["rule"])
                    for a in sorted(now, key=lambda a: -{"critical": 3, "warning": 2, "info": 1}.get(a["severity"], 0))
                ),
                proxy_bp=proxy,
                proxy_change_20d_bp=chg,
                proxy_low_bp=lo,
                proxy_high_bp=hi,
                cds_bp=cds,
                cds_date=cds_date,
                cds_source=cds_src,
                drawdown=ddv,
                last_session=ranges[sym][1][:10] if sym in ranges else None,
            )
        )
    return cards


def _loop_verdict(
    cards: Sequence[StatusCard], by_sym: dict[str, list[dict[str, Any]]], dq: set[str], day: str
) -> tuple[str, str | None, list[dict[str, Any]]]:
    """(status, since, firing LOOP alerts) of the loop: market stress only (a stale feed is not the
    loop under stress)."""
    loop_all = [a for a in by_sym.get("LOOP", []) if str(a["rule"]) not in dq]
    loop_rows = [a for a in loop_all if firing_on(a, day)]
    loop_status = status_of([c.status for c in cards] + [str(a["severity"]) for a in loop_rows])
    stressed = [
        a for c in cards if c.status != "ok" for a in by_sym.get(c.symbol, []) if str(a["rule"]) not in dq
    ] + loop_all
    loop_since = status_since(stressed, day) if loop_status != "ok" else None
    return loop_status, loop_since, loop_rows


def _alert_tables(
    alerts: Sequence[dict[str, Any]], dq: set[str], start: dt.date, day: str
) -> tuple[list[AlertRow], list[AlertRow]]:
    """(alerts firing on ``day``, most severe first; market alerts fired from ``start`` to ``day``,
    latest first)."""
    firing_now = [_row(a, dq) for a in alerts if firing_on(a, day)]
    sev = {"critical": 0, "warning": 1, "info": 2}
    firing_now.sort(key=lambda r: (sev.get(r.severity, 3), r.symbol or "", r.rule))
    history = [
        _row(a, dq)
        for a in alerts
        if a.get("fired") and str(_iso(a["fired"])) <= day and str(_iso(a["fired"])) >= start.isoformat()
    ]
    history = [r for r in history if not r.data_quality]
    history.sort(key=lambda r: (r.fired or "", r.rule), reverse=True)
    return firing_now, history


def _graph_view(
    cfg: AppConfig, store: Store, end: dt.date, cards: Sequence[StatusCard], notes: list[str]
) -> GraphView | None:
    """The loop graph with nodes coloured by their card's status (None, with a note, when it fails)."""
    try:
        g = read_loop_graph(cfg, store, end)
        statuses = {c.symbol: c.status for c in cards}
        return build_graph_view(g, statuses)
    except Exception as exc:  # noqa: BLE001
        log.warning("loop graph skipped: %s", exc)
        notes.append(f"loop graph unavailable: {exc}")
        return None


def _charts(
    cfg: AppConfig,
    store: Store,
    watch: Sequence[str],
    mkt: str,
    start: dt.date,
    end: dt.date,
    panel: Any,
    alerts: Sequence[dict[str, Any]],
    dq: set[str],
) -> list[Chart]:
    """The dashboard's charts in order: prices, drawdowns, credit, loop signals, alert timeline."""
    charts = [
        _price_chart(store, watch, mkt, start, end),
        _drawdown_chart(store, watch, start, end),
        _spread_chart(cfg, store, watch, start, end, panel) if panel is not None and panel.symbols else None,
        _loop_chart(store, start, end),
        _timeline_chart(start, end, alerts, dq),
    ]
    return [c for c in charts if c is not None]


def _price_chart(store: Store, watch: Sequence[str], mkt: str, start: dt.date, end: dt.date) -> Chart | None:
    px = store.read_prices([*watch, mkt], "adj_close", start=start, end=end)
    norm = []
    for s in px.columns:
        ser = px[s].dropna()
        if not ser.empty:
            norm.append(_trace(s, ser / ser.iloc[0] * 100.0))
    if not norm:
        return None
    title = f"Prices, 100 = {start} (or first session), adjusted closes"
    return Chart("prices", title, "index", tuple(norm), log_y=True)


def _drawdown_chart(store: Store, watch: Sequence[str], start: dt.date, end: dt.date) -> Chart | None:
    dd = store.read_signals(["drawdown_52w"], start=start, end=end, symbols=watch)
    if dd.empty:
        return None
    tr = []
    for s in watch:
        g = dd[dd["symbol"] == s]
        if len(g):
            tr.append(_trace(s, g.set_index(pd.to_datetime(g["date"]))["value"]))
    return Chart("drawdowns", "Drawdown from the 52-week high", "drawdown", tuple(tr), percent=True)


def _spread_chart(
    cfg: AppConfig, store: Store, watch: Sequence[str], start: dt.date, end: dt.date, panel: Any
) -> Chart:
    tr = []
    lo_col = "spread_bp_low" in panel.names.columns and "spread_bp_high" in panel.names.columns
    for s in [x for x in watch if x in panel.symbols]:
        ser = panel.series(s)
        ser = ser[(ser.index >= pd.Timestamp(start)) & (ser.index <= pd.Timestamp(end))]
        if lo_col:
            lo, hi = panel.series(s, "spread_bp_low"), panel.series(s, "spread_bp_high")
            win = (lo.index >= pd.Timestamp(start)) & (lo.index <= pd.Timestamp(end))
            tr.append(_trace(f"{s} band", lo[win], "band_low", s))
            win = (hi.index >= pd.Timestamp(start)) & (hi.index <= pd.Timestamp(end))
            tr.append(_trace(f"{s} band", hi[win], "band_high", s))
        tr.append(_trace(f"{s} proxy", ser, group=s))
    fred = store.read_fred([c for c in FRED_NAMES if c in cfg.fred.series], start=start, end=end)
    for c in fred.columns:
        tr.append(_trace(FRED_NAMES.get(c, c), fred[c]))
    q = store.read_cds_quotes()
    if not q.empty:
        q = q[(q["date"] >= pd.Timestamp(start)) & (q["date"] <= pd.Timestamp(end))]
        for ent, g in q.groupby("entity"):
            tr.append(_trace(f"{ent} CDS quote", g.set_index("date")["spread_bp"], "markers", str(ent)))
    return Chart(
        "spreads",
        "Credit: equity-implied 5y spread proxies (shaded: parameter band), market OAS, imported CDS quotes",
        "bp",
        tuple(tr),
    )


#: Loop-level signals charted, with their legend names.
LOOP_SIGNAL_NAMES = {
    "loop_resid_corr_60d": "loop names, market-neutral correlation",
    "placebo_resid_corr_60d": "hyperscaler placebo, market-neutral correlation",
    "loop_excess_resid_corr_60d": "excess correlation (loop minus placebo)",
    "loop_stress_index": "loop stress index (exposure-weighted spread z)",
}


def _loop_chart(store: Store, start: dt.date, end: dt.date) -> Chart | None:
    loop = store.read_signals(
        ["loop_excess_resid_corr_60d", "loop_resid_corr_60d", "placebo_resid_corr_60d", "loop_stress_index"],
        start=start,
        end=end,
    )
    if loop.empty:
        return None
    tr = []
    for sig, label in LOOP_SIGNAL_NAMES.items():
        g = loop[loop["signal"] == sig]
        if len(g):
            tr.append(_trace(label, g.set_index(pd.to_datetime(g["date"]))["value"]))
    return Chart(
        "loop",
        "Loop-level signals",
        "correlation / z",
        tuple(tr),
        note="Correlations use residual returns against the market (60 sessions); the placebo basket is "
        "MSFT, META, AMZN, GOOGL. The stress index weights each name's spread z-score by its loop exposure.",
    )


def _timeline_chart(start: dt.date, end: dt.date, alerts: Sequence[dict[str, Any]], dq: set[str]) -> Chart | None:
    days = calendar.sessions_index(start, end)
    if not (len(days) and alerts):
        return None
    mk = pd.Series(0.0, index=days)
    dqs = pd.Series(0.0, index=days)
    iso = [d.date().isoformat() for d in days]
    for a in alerts:
        if not a.get("fired"):
            continue
        hit = [firing_on(a, d) for d in iso]
        if str(a["rule"]) in dq:
            dqs[hit] += 1
        else:
            mk[hit] += 1
    return Chart(
        "timeline",
        "Firing alerts per session: market stress vs data quality",
        "alerts",
        (_trace("market stress", mk), _trace("data quality (stale feeds, failed runs)", dqs)),
        markers=False,
    )


def report_links(out_dir: str | Path) -> list[tuple[str, str]]:
    """Links (label, relative href) to the reports found next to the dashboard."""
    out = Path(out_dir)
    links: list[tuple[str, str]] = []
    for p in sorted(out.glob("events/*.html")) + sorted(out.glob("*/events/*.html")):
        links.append((f"Event study: {p.stem.replace('_', ' ')}", p.relative_to(out).as_posix()))
    if (out / "graph" / "graph.html").exists():
        links.append(("Loop graph (full size)", "graph/graph.html"))
    spreads = sorted(out.glob("spreads/*.png"))
    for p in spreads:
        links.append((f"Spread chart: {p.stem.replace('_', ' ')}", p.relative_to(out).as_posix()))
    return links


def write_dashboard_report(
    cfg: AppConfig,
    store: Store,
    out_dir: str | Path,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    generated_at: str | None = None,
) -> Path:
    """Build the dashboard data (with the loop graph written to ``out_dir/graph``) and write ``index.html``."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise AimonitorError(f"{out}: cannot write the dashboard there ({exc.strerror})") from None
    data = build_dashboard_data(cfg, store, start=start, end=end, generated_at=generated_at)
    if data.graph is not None:
        g = read_loop_graph(cfg, store, dt.date.fromisoformat(data.as_of))
        write_graph(data.graph, g.to_json(), out / "graph")
    data = DashboardData(**{**data.__dict__, "links": tuple(report_links(out))})
    return write_dashboard(data, out)


def loop_graph(cfg: AppConfig, store: Store, as_of: dt.date | None) -> LoopGraph:
    """The loop graph as of ``as_of`` (default: the last stored session, else the catalog's last event)."""
    if as_of is None:
        ranges = store.bar_ranges()
        if ranges:
            as_of = max(calendar.to_date(r[1]) for r in ranges.values())
        else:
            dates = [e.announce_date for e in stored_events(cfg, store) if e.announce_date]
            as_of = max(dates) if dates else dt.date(1970, 1, 1)
    return read_loop_graph(cfg, store, as_of)


def write_graph_report(cfg: AppConfig, store: Store, graph: LoopGraph, out_dir: str | Path) -> list[Path]:
    """``graph.svg``/``graph.html``/``graph.json`` of ``graph``, nodes coloured by alerts firing on its date."""
    day = graph.as_of.isoformat()
    statuses: dict[str, str] = {}
    for a in store.read_alerts("all"):
        sym = a.get("symbol")
        if sym and firing_on(a, day):
            statuses[str(sym)] = status_of([statuses.get(str(sym), "ok"), str(a["severity"])])
    for sym in cfg.watchlist.symbols:
        statuses.setdefault(sym, "ok")
    try:
        return write_graph(build_graph_view(graph, statuses), graph.to_json(), out_dir)
    except OSError as exc:
        raise AimonitorError(f"{out_dir}: cannot write the graph there ({exc.strerror})") from None

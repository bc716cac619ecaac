"""Rendering of the spreads report: a rich terminal table and PNG charts.

Charts go through :func:`aimonitor.report.plotting.plot_lines` (the project's only
matplotlib user); the table uses rich's ``Table`` through :mod:`aimonitor.report.terminal`
(the project's rich user).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from aimonitor.analytics.spread_report import SpreadReport
from aimonitor.analytics.spreads import SpreadPanel

log = logging.getLogger(__name__)


def _fmt(x: Any, fmt: str) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return fmt.format(v) if math.isfinite(v) else "n/a"


def _colour_change(x: Any) -> str:
    s = _fmt(x, "{:+.0f}")
    try:
        v = float(x)
    except (TypeError, ValueError):
        return s
    if not math.isfinite(v):
        return s
    return f"[red]{s}[/red]" if v > 0 else (f"[green]{s}[/green]" if v < 0 else s)


def spreads_table(report: SpreadReport) -> Any:
    """A rich ``Table`` of the report (widening in red, tightening in green)."""
    from aimonitor.report import terminal  # the rich user

    t = terminal.Table(title=f"credit spreads, bp — as of {report.as_of}, changes since {report.since}")
    for col, just in (
        ("symbol", "left"),
        ("method", "left"),
        ("level", "right"),
        ("band", "right"),
        ("since", "right"),
        ("chg", "right"),
        ("chg 20d", "right"),
        ("z 1y", "right"),
        ("DD", "right"),
        ("PD 1y", "right"),
        ("benchmark", "left"),
        ("bench chg", "right"),
        ("vs bucket", "right"),
    ):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in report.rows:
        t.add_row(
            r.symbol,
            r.method,
            _fmt(r.spread_bp, "{:.0f}"),
            f"{_fmt(r.spread_bp_low, '{:.0f}')}-{_fmt(r.spread_bp_high, '{:.0f}')}",
            _fmt(r.spread_bp_since, "{:.0f}"),
            _colour_change(r.change_bp),
            _colour_change(r.change_20d_bp),
            _fmt(r.z_252, "{:+.1f}"),
            _fmt(r.distance_to_default, "{:.2f}"),
            _fmt(r.pd_1y, "{:.2%}"),
            r.benchmark_series or "-",
            _colour_change(r.benchmark_change_bp),
            _fmt(r.relative_to_bucket_bp, "{:+.0f}"),
        )
    for b in report.benchmarks:
        t.add_row(
            b.series,
            b.method,
            _fmt(b.level_bp, "{:.0f}"),
            "",
            "",
            _colour_change(b.change_bp),
            _colour_change(b.change_20d_bp),
            _fmt(b.z_252, "{:+.1f}"),
            "",
            "",
            "",
            "",
            "",
        )
    notes = [f"omitted {s}" for s, _ in report.skipped] + [
        w for w in report.warnings if not w.startswith("row omitted")
    ]
    if notes:  # one footnote per line, so they never run together
        shown = [f"{i}. {n}" for i, n in enumerate(notes[:6], 1)]
        if len(notes) > 6:
            shown.append(f"… and {len(notes) - 6} more (--json lists them all)")
        t.caption = "\n".join(shown)
        t.caption_justify = "left"
    return t


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def plot_spread_charts(
    panel: SpreadPanel,
    out_dir: str | Path,
    *,
    since: Any | None = None,
    as_of: Any | None = None,
    events: Mapping[str, Any] | Iterable[tuple[str | None, str, Any]] | None = None,
    symbols: Iterable[str] | None = None,
) -> list[Path]:
    """One PNG per name: its proxy with its parameter band, its rating bucket's OAS, imported CDS quotes, events.

    Parameters
    ----------
    panel : SpreadPanel
        From :func:`aimonitor.analytics.spreads.compute_spread_panel`.
    out_dir : path
        Directory for ``spreads_<SYMBOL>.png``.
    since, as_of : date-like, optional
        Time range shown (default: the whole history).
    events : mapping label → date, or iterable of (symbol or None, label, date), optional
        Event markers. With the iterable form only events of the chart's symbol (or
        ``None``) are drawn.
    symbols : iterable of str, optional

    Returns
    -------
    list of Path
        The files written.
    """
    from aimonitor.report.plotting import plot_lines_many

    out = Path(out_dir)
    lo = pd.Timestamp(since) if since is not None else None
    hi = pd.Timestamp(as_of) if as_of is not None else None

    def cut(s: pd.Series) -> pd.Series:
        if lo is not None:
            s = s[s.index >= lo]
        if hi is not None:
            s = s[s.index <= hi]
        return s

    jobs = []
    for sym in list(symbols) if symbols else panel.symbols:
        proxy = cut(panel.series(sym))
        if proxy.empty:
            log.info("no proxy for %s in the range; chart skipped", sym)
            continue
        series, bser = _chart_series(panel, sym, proxy, cut)
        marks = _chart_marks(events, sym, lo, hi) if events is not None else {}
        low, high = cut(panel.series(sym, "spread_bp_low")), cut(panel.series(sym, "spread_bp_high"))
        jobs.append(
            dict(
                path=out / f"spreads_{_safe(sym)}.png",
                series=series,
                title=f"{sym}: equity-implied 5y CDS proxy vs {bser or 'market'}",
                ylabel="bp",
                band=(low, high) if len(low) and len(high) else None,
                band_label="parameter band",
                markers=marks or None,
            )
        )
    return plot_lines_many(jobs)


def _chart_series(
    panel: SpreadPanel, sym: str, proxy: pd.Series, cut: Callable[[pd.Series], pd.Series]
) -> tuple[dict[str, pd.Series], str | None]:
    """The lines of ``sym``'s chart (proxy, uncalibrated proxy, bucket OAS, CDS quotes) and its bucket."""
    method = panel.names.loc[panel.names["symbol"] == sym, "method"].iloc[-1]
    series: dict[str, pd.Series] = {f"{sym} {method}": proxy}
    unc = cut(panel.series(sym, "spread_uncal_bp"))
    if (panel.names.loc[panel.names["symbol"] == sym, "method"] == "creditgrades_calibrated").any():
        series[f"{sym} uncalibrated"] = unc
    bser = panel.buckets.get(sym)
    if bser:
        b = cut(panel.benchmark(bser))
        if not b.empty:
            series[f"{bser} OAS"] = b
    q = panel.quotes
    if q is not None and len(q):
        ent = "entity" if "entity" in q.columns else "symbol"
        qs = q[q[ent].astype(str).str.upper() == sym]
        if len(qs):
            qq = cut(pd.Series(qs["spread_bp"].astype(float).values, index=pd.to_datetime(qs["date"])).sort_index())
            if len(qq):
                series[f"{sym} CDS quotes"] = qq
    return series, bser


def _chart_marks(
    events: Mapping[str, Any] | Iterable[tuple[str | None, str, Any]],
    sym: str,
    lo: pd.Timestamp | None,
    hi: pd.Timestamp | None,
) -> dict[str, Any]:
    """Label -> date of the events drawn on ``sym``'s chart (its own or symbol-less, inside the range)."""
    marks: dict[str, Any] = {}
    triples: list[tuple[str | None, str, Any]] = (
        [(None, str(k), v) for k, v in events.items()] if isinstance(events, Mapping) else list(events)
    )
    for esym, label, day in triples:
        if esym not in (None, sym):
            continue
        ts = pd.Timestamp(day)
        if (lo is None or ts >= lo) and (hi is None or ts <= hi):
            marks[str(label)] = ts
    return marks

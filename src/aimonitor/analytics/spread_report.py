"""The ``spreads`` report as an immutable data object built from a :class:`SpreadPanel`.

Pure (no I/O, no clock): :func:`build_spread_report` cuts every input at ``as_of``,
computes the panel and summarises each name: level, uncertainty band, term structure,
the composition of the debt ``D``, changes since a baseline and over 20 sessions (under
one calibration), and the benchmark moves over the same interval.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aimonitor import calendar as cal
from aimonitor.analytics.balance_sheet import asof_join
from aimonitor.analytics.benchmarks import ETF_METHOD, ETF_PAIRS
from aimonitor.analytics.spreads import (
    DEFAULT_SYMBOLS,
    CreditParams,
    SpreadPanel,
    _quotes_of,
    _wide,
    compute_spread_panel,
    compute_term_structure,
    compute_widening,
)
from aimonitor.errors import DataError, InsufficientData


def _num(x: Any, nd: int = 4) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return round(v, nd) if math.isfinite(v) else None


def _day(x: Any) -> str | None:
    return pd.Timestamp(x).date().isoformat() if x is not None and pd.notna(x) else None


@dataclass(frozen=True)
class SpreadRow:
    """One name's line of the spreads report (bp unless stated)."""

    symbol: str
    method: str
    spread_bp: float
    spread_bp_since: float
    change_bp: float
    change_20d_bp: float | None
    distance_to_default: float | None
    pd_1y: float | None
    benchmark_series: str | None
    benchmark_change_bp: float | None
    since_used: dt.date
    spread_bp_low: float | None = None
    spread_bp_high: float | None = None
    term_structure: tuple[dict[str, float], ...] = ()
    debt: dict[str, Any] = field(default_factory=dict)
    z_252: float | None = None
    relative_to_bucket_bp: float | None = None
    benchmark_level_bp: float | None = None
    dd_naive: float | None = None
    pd_1y_naive: float | None = None
    spread_uncalibrated_bp: float | None = None
    lbar: float | None = None
    vol_scale: float | None = None
    fit_residual: float | None = None
    equity_vol: float | None = None
    debt_per_share: float | None = None
    debt_filed: dt.date | None = None
    last_quote: tuple[dt.date, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "method": self.method,
            "spread_bp": _num(self.spread_bp, 2),
            "spread_bp_low": _num(self.spread_bp_low, 2),
            "spread_bp_high": _num(self.spread_bp_high, 2),
            "spread_bp_since": _num(self.spread_bp_since, 2),
            "change_bp": _num(self.change_bp, 2),
            "change_20d_bp": _num(self.change_20d_bp, 2),
            "distance_to_default": _num(self.distance_to_default),
            "pd_1y": _num(self.pd_1y, 8),
            "term_structure": [
                {
                    "tenor_years": t["tenor_years"],
                    "spread_bp": _num(t["spread_bp"], 2),
                    "default_prob": _num(t["default_prob"], 8),
                    "hazard_rate": _num(t["hazard_rate"], 8),
                }
                for t in self.term_structure
            ],
            "benchmark": (
                None
                if self.benchmark_series is None or _num(self.benchmark_change_bp) is None
                else {
                    "series": self.benchmark_series,
                    "change_bp": _num(self.benchmark_change_bp, 2),
                    "level_bp": _num(self.benchmark_level_bp, 2),
                }
            ),
            "debt": self.debt,
            "since_used": self.since_used.isoformat(),
            "z_252": _num(self.z_252, 3),
            "relative_to_bucket_bp": _num(self.relative_to_bucket_bp, 2),
            "dd_naive": _num(self.dd_naive),
            "pd_1y_naive": _num(self.pd_1y_naive, 8),
            "spread_uncalibrated_bp": _num(self.spread_uncalibrated_bp, 2),
            "lbar": _num(self.lbar),
            "vol_scale": _num(self.vol_scale),
            "fit_residual": _num(self.fit_residual),
            "equity_vol": _num(self.equity_vol),
            "debt_per_share": _num(self.debt_per_share),
            "debt_filed": self.debt_filed.isoformat() if self.debt_filed else None,
            "last_quote": (
                None
                if self.last_quote is None
                else {"date": self.last_quote[0].isoformat(), "spread_bp": _num(self.last_quote[1], 2)}
            ),
        }


@dataclass(frozen=True)
class BenchmarkRow:
    """One market benchmark's line (bp)."""

    series: str
    method: str
    level_bp: float | None
    change_bp: float | None
    change_20d_bp: float | None
    z_252: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "method": self.method,
            "level_bp": _num(self.level_bp, 2),
            "change_bp": _num(self.change_bp, 2),
            "change_20d_bp": _num(self.change_20d_bp, 2),
            "z_252": _num(self.z_252, 3),
        }


@dataclass(frozen=True)
class SpreadReport:
    """Result of :func:`build_spread_report` (immutable)."""

    as_of: dt.date
    since: dt.date
    rows: tuple[SpreadRow, ...]
    benchmarks: tuple[BenchmarkRow, ...] = ()
    warnings: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    params: CreditParams = field(default_factory=CreditParams)

    def to_json(self) -> dict[str, Any]:
        """The document of ``aimonitor spreads --json`` (no NaN: missing numbers are null)."""
        return {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat(),
            "rows": [r.to_json() for r in self.rows],
            "benchmarks": [b.to_json() for b in self.benchmarks],
            "skipped": [{"symbol": s, "reason": why} for s, why in self.skipped],
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per name (flat columns)."""
        recs = []
        for r in self.rows:
            d = dataclasses.asdict(r)
            for k in ("last_quote", "term_structure", "debt"):
                d.pop(k)
            recs.append(d)
        return pd.DataFrame(recs)

    def summary(self) -> str:
        """Plain-text table."""

        def f(x: Any, fmt: str = "{:+.0f}") -> str:
            v = _num(x)
            return "n/a" if v is None else fmt.format(v)

        lines = [
            f"Credit spreads as of {self.as_of} (changes since {self.since}), bp",
            f"{'symbol':<6} {'method':<24} {'level':>7} {'band':>11} {'since':>7} {'chg':>6} {'chg20':>6} "
            f"{'DD':>6} {'PD1y':>8}  benchmark",
        ]
        for r in self.rows:
            bench = f"{r.benchmark_series} {f(r.benchmark_change_bp)}" if r.benchmark_series else "-"
            band = f"{f(r.spread_bp_low, '{:.0f}')}-{f(r.spread_bp_high, '{:.0f}')}"
            lines.append(
                f"{r.symbol:<6} {r.method:<24} {f(r.spread_bp, '{:.0f}'):>7} {band:>11} "
                f"{f(r.spread_bp_since, '{:.0f}'):>7} {f(r.change_bp):>6} {f(r.change_20d_bp):>6} "
                f"{f(r.distance_to_default, '{:.2f}'):>6} {f(r.pd_1y, '{:.2%}'):>8}  {bench}"
            )
        if self.benchmarks:
            lines.append(
                "benchmarks: "
                + "; ".join(f"{b.series} {f(b.level_bp, '{:.0f}')} ({f(b.change_bp)})" for b in self.benchmarks)
            )
        lines += [f"skipped {s}: {why}" for s, why in self.skipped]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _snap(day: Any, index: pd.DatetimeIndex, what: str) -> pd.Timestamp:
    """``day`` snapped to the last session on or before it that is in ``index``."""
    d = cal.to_date(day)
    try:
        d = cal.session_on_or_before(d)
    except DataError:
        pass
    pos = index.searchsorted(pd.Timestamp(d), side="right") - 1
    if pos < 0:
        raise InsufficientData(
            f"no stored session on or before {what} {cal.to_date(day)}; "
            f"the data start on {index[0].date() if len(index) else 'n/a'}"
        )
    return index[pos]


def _cut(frame: pd.DataFrame | None, as_ts: pd.Timestamp, col: str | None = None) -> pd.DataFrame | None:
    if frame is None or len(frame) == 0:
        return None if frame is None else frame
    if col is not None:
        return frame[pd.to_datetime(frame[col]) <= as_ts]
    w = _wide(frame)
    return w[w.index <= as_ts]


def _cut_events(events: Iterable[Mapping[str, Any]] | pd.DataFrame | None, as_ts: pd.Timestamp) -> list[dict]:
    if events is None:
        return []
    recs = events.to_dict("records") if isinstance(events, pd.DataFrame) else [dict(e) for e in events]
    keep = []
    for e in recs:
        d = pd.to_datetime(e.get("announce_date"), errors="coerce")
        if pd.notna(d) and d <= as_ts:
            keep.append(e)
    return keep


def _debt_composition(last: pd.Series) -> dict[str, Any]:
    ids = str(last.get("debt_bridge_events") or "")
    return {
        "filed_usd": _num(last["total_debt"], 0),
        "filed_on": _day(last["debt_filed"]),
        "bridged_usd": _num(last["debt_bridged"], 0),
        "bridged_events": [x for x in ids.split(";") if x],
        "leases_usd": _num(last["debt_cg"] - last["total_debt"] - last["debt_bridged"], 0),
        "total_usd": _num(last["debt_cg"], 0),
        "shares": _num(last["shares"], 0),
        "per_share": _num(last["debt_per_share"]),
    }


def _name_row(
    panel: SpreadPanel,
    sym: str,
    as_ts: pd.Timestamp,
    since_ts: pd.Timestamp,
    bench: dict[str, Any] | None,
    quotes: pd.DataFrame | None,
    warns: list[str],
) -> SpreadRow | str:
    """One name's row, or the reason it has none on ``as_of``."""
    p = panel.params
    nm = panel.frame(sym)
    s = nm["spread_bp"].dropna()
    if s.empty or s.index[-1] < as_ts:
        return (
            f"{sym}: no proxy on {as_ts.date()} (listed {nm.index[0].date()}; the equity volatility needs "
            f"{p.min_vol_observations} returns and a filed share count)"
            if len(nm)
            else f"{sym}: no data"
        )
    w = compute_widening(
        s, since=since_ts, as_of=as_ts, change_window=p.change_window, z_window=p.z_window, z_min_obs=p.z_min_obs
    )
    if w["since_used"] != since_ts:
        warns.append(
            f"{sym}: no proxy on {since_ts.date()}; change measured from its first value on {w['since_used'].date()}"
        )
    last = nm.loc[as_ts]
    bchg = None
    if bench is not None:
        b_on = panel.benchmark(bench["series"])
        b0 = b_on[b_on.index <= w["since_used"]]
        bchg = bench["level"] - (float(b0.iloc[-1]) if not b0.empty else math.nan)
    lq = None
    qn = _quotes_of(quotes, sym, p.tenor_years) if quotes is not None else None
    if qn is not None and not qn.empty:
        lq = (qn["date"].iloc[-1].date(), float(qn["spread_bp"].iloc[-1]))
    ts = compute_term_structure(
        float(last["close"]),
        float(last["equity_vol"]),
        float(last["debt_per_share"]),
        float(last["rate"]),
        p,
        vol_scale=float(last["vol_scale"]),
    )
    return SpreadRow(
        symbol=sym,
        method=str(last["method"]),
        spread_bp=w["level"],
        spread_bp_since=w["level_since"],
        change_bp=w["change"],
        change_20d_bp=w["change_short"],
        distance_to_default=last["dd_merton"],
        pd_1y=last["pd1y_merton"],
        benchmark_series=bench["series"] if bench is not None else None,
        benchmark_change_bp=bchg,
        since_used=w["since_used"].date(),
        spread_bp_low=min(float(last["spread_bp_low"]), w["level"]),
        spread_bp_high=max(float(last["spread_bp_high"]), w["level"]),
        term_structure=tuple(ts),
        debt=_debt_composition(last),
        z_252=w["z"],
        relative_to_bucket_bp=(w["level"] - bench["level"]) if bench is not None else None,
        benchmark_level_bp=bench["level"] if bench is not None else None,
        dd_naive=last["dd_naive"],
        pd_1y_naive=last["pd1y_naive"],
        spread_uncalibrated_bp=last["spread_uncal_bp"],
        lbar=last["lbar"],
        vol_scale=last["vol_scale"],
        fit_residual=last["fit_residual"],
        equity_vol=last["equity_vol"],
        debt_per_share=last["debt_per_share"],
        debt_filed=pd.Timestamp(last["debt_filed"]).date() if pd.notna(last["debt_filed"]) else None,
        last_quote=lq,
    )


def build_spread_report(
    closes: pd.DataFrame,
    fundamentals: pd.DataFrame,
    rates: pd.DataFrame | None,
    fred: pd.DataFrame | None = None,
    cds_quotes: pd.DataFrame | None = None,
    *,
    as_of: Any,
    since: Any,
    symbols: Sequence[str] | None = None,
    bucket_map: Mapping[str, str] | None = None,
    params: CreditParams | None = None,
    adj_closes: pd.DataFrame | None = None,
    events: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
) -> SpreadReport:
    """Spread levels, bands, term structures and widening of each name at ``as_of``.

    Parameters
    ----------
    closes, fundamentals, rates, fred, cds_quotes, adj_closes, events
        As in :func:`aimonitor.analytics.spreads.compute_spread_panel`. Everything dated
        after ``as_of`` (prices, filings by ``filed_date``, FRED prints, quotes, events) is
        dropped first.
    as_of, since : date-like
        Evaluation session and baseline of the changes (a non-session, or a day after the
        last stored close, snaps to the previous stored session).
    symbols : sequence of str, optional
    bucket_map : mapping, optional
    params : CreditParams, optional

    Returns
    -------
    SpreadReport

    Raises
    ------
    DataError
        ``since`` after ``as_of``.
    InsufficientData
        No stored session on or before ``as_of``/``since``, or no name could be modelled.
    """
    params = params or CreditParams()
    c = _wide(closes)
    if c.empty:
        raise InsufficientData("no closes stored; run `aimonitor fetch` first")
    a_req, s_req = cal.to_date(as_of), cal.to_date(since)
    if s_req > a_req:
        raise DataError(f"--since {s_req} is after --as-of {a_req}; pick an earlier baseline")
    c = c[c.index <= pd.Timestamp(a_req)]
    if c.empty:
        raise InsufficientData(f"no stored session on or before --as-of {a_req}; the data start later")
    idx = pd.DatetimeIndex(c.index)
    as_ts, since_ts = _snap(a_req, idx, "--as-of"), _snap(s_req, idx, "--since")
    c = c[c.index <= as_ts]
    f = fundamentals if fundamentals is not None else pd.DataFrame(columns=["symbol", "filed_date"])
    q = _cut(cds_quotes, as_ts, "date") if cds_quotes is not None and len(cds_quotes) else None
    panel = compute_spread_panel(
        c,
        _cut(f, as_ts, "filed_date") if len(f) else f,
        _cut(rates, as_ts),
        _cut(fred, as_ts),
        q,
        symbols=symbols,
        bucket_map=bucket_map,
        params=params,
        adj_closes=_cut(adj_closes, as_ts),
        events=_cut_events(events, as_ts),
    )
    warns = list(panel.warnings)
    if as_ts.date() != a_req:
        warns.insert(0, f"--as-of {a_req} is not a stored session; using {as_ts.date()}")
    if since_ts.date() != s_req:
        warns.insert(0, f"--since {s_req} is not a stored session; using {since_ts.date()}")
    sessions = idx[idx <= as_ts]
    bench_cache: dict[str, dict[str, Any]] = {}

    def bench_stats(series: str) -> dict[str, Any]:
        if series not in bench_cache:
            b = panel.benchmark(series)
            on = asof_join(sessions, pd.DataFrame({"d": b.index, "v": b.values}), "d", ["v"])["v"]
            st = compute_widening(
                on,
                since=since_ts,
                as_of=as_ts,
                change_window=params.change_window,
                z_window=params.z_window,
                z_min_obs=params.z_min_obs,
            )
            bench_cache[series] = {**st, "series": series}
        return bench_cache[series]

    skipped = dict(panel.skipped)
    rows: list[SpreadRow] = []
    for sym in panel.symbols:
        bser = panel.buckets.get(sym)
        bench = bench_stats(bser) if bser and bser in panel.benchmarks.columns else None
        if bench is not None and bench["as_of_used"] is None:
            bench = None
        if bser and bench is None:
            warns.append(f"{sym}: benchmark {bser} not available; fetch FRED {bser}")
        row = _name_row(panel, sym, as_ts, since_ts, bench, q, warns)
        if isinstance(row, str):
            skipped[sym] = row
        else:
            rows.append(row)
    warns += [f"row omitted: {why}" for why in skipped.values()]
    if not rows:
        raise InsufficientData(
            "no spread proxy could be computed: " + "; ".join(skipped.values())
            if skipped
            else f"no names to model on {as_ts.date()}"
        )
    order = {s: i for i, s in enumerate([s.upper() for s in symbols] if symbols else DEFAULT_SYMBOLS)}
    rows.sort(key=lambda r: order.get(r.symbol, len(order)))
    brow = []
    for col in panel.benchmarks.columns:
        st = bench_stats(col)
        if st["as_of_used"] is not None:
            brow.append(
                BenchmarkRow(
                    col,
                    ETF_METHOD if col in ETF_PAIRS else "fred_oas",
                    st["level"],
                    st["change"],
                    st["change_short"],
                    st["z"],
                )
            )
    return SpreadReport(
        as_of=as_ts.date(),
        since=since_ts.date(),
        rows=tuple(rows),
        benchmarks=tuple(brow),
        warnings=tuple(warns),
        skipped=tuple(skipped.items()),
        params=params,
    )

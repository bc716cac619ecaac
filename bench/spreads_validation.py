"""Validate the equity-implied CDS proxy against public 5-year CDS prints (declared protocol).

Run: ``python bench/spreads_validation.py [--all]``

Data
----
``bench/data/cds_5y_public.csv``: public 5y CDS prints for ORCL and CRWV with the source of
each (news retellings of Bloomberg / ICE / S&P Global data), committed BEFORE any candidate
below was scored. Column ``role``:

* ``choose`` - the points visible in issue #9 (ORCL ~36 June 2025, ORCL under 60 early
  September 2025 scored as the interval [45, 60], ORCL ~125 on 2025-11-25, CRWV ~368 on
  2025-10-06). Only these choose the defaults.
* ``report`` - further prints found afterwards (ORCL 2025-11-14 ~118, 2025-12-02 ~128,
  2025-12-11 ~139; CRWV 2025-11-14 ~699, 2025-12-05 ~643). They never choose anything; they
  are printed as held-out figures. (Undated reports that could not be scored: CRWV
  December 2025 peak 881; ORCL 151 "highest since 2009"; ORCL ~73, ~80, 108 and CRWV 675
  without a day. No January 2026 print with a day was found.)

Declared protocol (written before scoring; applied mechanically by :func:`select_default`)
---------------------------------------------------------------------------------------------
Fixed, not tuned: CreditGrades ``L̄ = 0.5``, ``λ = 0.3`` (technical document), CDS recovery
0.4, DGS5 usable from the next session (FRED lag 1), debt raises of the event catalog
bridged between filings (confirmed, single-company events only), leases off, no quotes
(uncalibrated), short listings pooled only with same-risk-class peers (none for CRWV in the
default watchlist, so CRWV uses its own volatility).

Candidates (``CANDIDATES``): volatility estimator in {squared (classic), downside
semivariance, MedRV (jump-robust), truncated 4σ (both signs)} × averaging in {window 125,
window 250, window 500 (expanding while shorter), blend 250 + EWMA hl 30, EWMA hl 30,
EWMA hl 60} × IPO aftermarket exclusion in {21, 0} sessions: 48 candidates.

1. Eligible: ORCL's proxy widens from the September point to 2025-11-25, and CRWV's proxy
   is above ORCL's on 2025-10-06.
2. Among eligible: the smallest mean |log(proxy/market)| over the four choosing points (the
   interval point scores 0 inside [45, 60], else the log distance to the nearer end). Ties
   at 2 decimals -> the earlier candidate in the list (simpler first).

Amendment v2 (declared after the v1 run, before any v2 candidate was scored). The v1 run
showed that every v1 candidate puts CRWV far above its choosing point (own volatility,
~1300 bp vs ~368); that run also printed the held-out points for the code default of the
time (classic, window 250), so the held-out set is no longer untouched by the author: it
was seen once, and nothing below was chosen on it. v2 adds the issue's suggested
risk-class prior: ``vol_prior = "peers_or_oas"`` (a short listing with no same-class peer
is pooled with the volatility implied by its rating bucket's FRED OAS, high yield for
CRWV) crossed with the 48 v1 candidates (96 in all), and two narrower band boxes B0a
σ×[0.85, 1.15], L̄ [0.45, 0.55], λ [0.25, 0.35] and B0b σ×[0.8, 1.2], L̄ [0.45, 0.55], λ 0.3
placed first (the v1 boxes were all wider than 4 on the choosing points). The rules 1-2
and the band rule are unchanged.

Amendment v3 (band only; declared after the v2 run, before scoring the new boxes). With the
v2 rule no box was informative (median high/low <= 4) on the choosing points and the rule's
fallback picked B0b (median 16 on the choosing points, 8 on the reporting points): the L̄
range double-counts the barrier uncertainty that λ already carries inside CreditGrades.
From here on every printed figure on the reporting points is a DEVELOPMENT figure too (the
author has seen them twice); only a set the author has never seen is held out. v3 boxes (λ
fixed at 0.3; σ ranges about 1, 2 and 3 standard errors of a 250-return volatility
estimate, about 4.5% each): S1 σ×[0.95, 1.05]; S2 σ×[0.95, 1.05], L̄ [0.45, 0.55]; S3
σ×[0.9, 1.1]; S4 σ×[0.9, 1.1], L̄ [0.45, 0.55]; S5 σ×[0.85, 1.15]. Rule v3: the widest (last
listed) box whose median high/low over the choosing points is <= 4; if none, S1.

Amendment v4 (estimator; declared after looking at the daily ORCL path of the v2 choice
and of the robust estimators, i.e. DEVELOPMENT on every point). The v2 choice (classic
blend) fits ORCL in November only because ORCL's +36% good-news jump of 2025-09-10 sits in
its window: it reads 14 bp on 2025-09-05 and about 200 bp a week later. The jump-robust
estimators read 5-60 bp for ORCL through December (market 55 -> 139): equity volatility
alone does not carry ORCL's level. v4 candidates (``CANDIDATES``): estimator in {classic,
downside, MedRV, truncated-rises 4σ} (blend 250 + EWMA hl 30, IPO-21, OAS prior for short
listings) × ``oas_prior_weight`` in {0, 0.25, 0.5, 0.75} (every name's variance pooled
with the variance implied by its rating bucket's OAS: shrinkage toward the rating class).
Rule v4: eligible = v1 rule 1 AND ORCL's proxy changes by <= +0.5 bp from 2025-09-09 to
2025-09-10 (an isolated good-news jump must not widen it; the check of the previous
protocol); then v1 rule 2. The v1/v2 candidates stay listed (``CANDIDATES_V2``, ``--v2``).

Band v1/v2 (``BANDS_V2``, parameter boxes of σ-scale × L̄ × λ, narrowest first): B1 σ×[0.9, 1.1],
L̄ [0.4, 0.6]; B2 σ×[0.85, 1.15], L̄ [0.4, 0.6], λ [0.25, 0.35]; B3 σ×[0.8, 1.2], L̄ [0.4,
0.6], λ [0.2, 0.4]; B4 σ×[0.75, 1.25], L̄ [0.35, 0.65], λ [0.2, 0.4]. Rule: with the selected
estimator, the first band (narrowest) that holds at least 3 of the 4 choosing points with a
median high/low <= 4 over them; if none, the one holding the most (ties -> narrower).

Printed: the candidate table (choosing score only), the selection, and for the default
(``CreditParams()``) each point's proxy and band, the mean |log error| of the choosing
points (DEVELOPMENT figure: they chose the defaults) and of the reporting points (held
out), band coverage and median high/low, CRWV > ORCL on every session Sept 2025 - Jan 2026,
and the September -> December 2025 change of the monthly mean proxy of both names.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aimonitor.analytics.spreads import CreditParams, compute_spread_panel
from aimonitor.events.catalog import default_catalog_path
from aimonitor.sources.snapshot import load_snapshot_bars, load_snapshot_fred, load_snapshot_fundamentals

POINTS_CSV = Path(__file__).parent / "data" / "cds_5y_public.csv"
SYMBOLS = ["ORCL", "CRWV"]

_EST = [("squared", "classic"), ("downside", "downside"), ("medrv", "MedRV"), ("truncated", "truncated 4σ")]
_AVG: list[tuple[str, dict[str, Any]]] = [
    ("window 125", {"vol_method": "window", "vol_window": 125}),
    ("window 250", {"vol_method": "window", "vol_window": 250}),
    ("window 500", {"vol_method": "window", "vol_window": 500}),
    ("blend 250+hl30", {"vol_method": "blend", "vol_window": 250, "vol_halflife": 30.0}),
    ("EWMA hl30", {"vol_method": "ewma", "vol_halflife": 30.0}),
    ("EWMA hl60", {"vol_method": "ewma", "vol_halflife": 60.0}),
]
CANDIDATES_V2: dict[str, dict[str, Any]] = {
    f"{label}, {avg}, IPO-{ipo}{', OAS prior' if prior == 'peers_or_oas' else ''}": {
        "vol_estimator": est,
        "vol_jump_threshold": 4.0,
        **kw,
        "listing_exclude_sessions": ipo,
        "vol_prior": prior,
    }
    for prior in ("peers", "peers_or_oas")
    for est, label in _EST
    for avg, kw in _AVG
    for ipo in (21, 0)
}
_BLEND = {"vol_method": "blend", "vol_window": 250, "vol_halflife": 30.0, "listing_exclude_sessions": 21}
CANDIDATES: dict[str, dict[str, Any]] = {
    f"{label}, blend 250+hl30, OAS weight {w:g}": {
        "vol_estimator": est,
        "vol_jump_threshold": 4.0,
        **_BLEND,
        "vol_prior": "peers_or_oas",
        "oas_prior_weight": w,
    }
    for est, label in [
        ("squared", "classic"),
        ("downside", "downside"),
        ("medrv", "MedRV"),
        ("truncated_up", "trunc-up 4σ"),
    ]
    for w in (0.0, 0.25, 0.5, 0.75)
}
JUMP = ("ORCL", "2025-09-09", "2025-09-10", 0.5)
BANDS: dict[str, dict[str, Any]] = {
    "S1": {"band_vol_scale": (0.95, 1.05), "band_lbar": (0.5, 0.5), "band_lambda": (0.3, 0.3)},
    "S2": {"band_vol_scale": (0.95, 1.05), "band_lbar": (0.45, 0.55), "band_lambda": (0.3, 0.3)},
    "S3": {"band_vol_scale": (0.9, 1.1), "band_lbar": (0.5, 0.5), "band_lambda": (0.3, 0.3)},
    "S4": {"band_vol_scale": (0.9, 1.1), "band_lbar": (0.45, 0.55), "band_lambda": (0.3, 0.3)},
    "S5": {"band_vol_scale": (0.85, 1.15), "band_lbar": (0.5, 0.5), "band_lambda": (0.3, 0.3)},
}
BANDS_V2: dict[str, dict[str, Any]] = {
    "B0a": {"band_vol_scale": (0.85, 1.15), "band_lbar": (0.45, 0.55), "band_lambda": (0.25, 0.35)},
    "B0b": {"band_vol_scale": (0.8, 1.2), "band_lbar": (0.45, 0.55), "band_lambda": (0.3, 0.3)},
    "B1": {"band_vol_scale": (0.9, 1.1), "band_lbar": (0.4, 0.6), "band_lambda": (0.3, 0.3)},
    "B2": {"band_vol_scale": (0.85, 1.15), "band_lbar": (0.4, 0.6), "band_lambda": (0.25, 0.35)},
    "B3": {"band_vol_scale": (0.8, 1.2), "band_lbar": (0.4, 0.6), "band_lambda": (0.2, 0.4)},
    "B4": {"band_vol_scale": (0.75, 1.25), "band_lbar": (0.35, 0.65), "band_lambda": (0.2, 0.4)},
}
#: Parameters the protocol fixes for every candidate (the defaults keep them).
FIXED: dict[str, Any] = {"calibrate": False}


def load_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    bars = load_snapshot_bars()
    closes = bars.pivot(index="date", columns="symbol", values="close")
    closes.index = pd.to_datetime(closes.index)
    fred = load_snapshot_fred()
    w = fred.pivot(index="date", columns="series", values="value") * 100.0  # percent -> bp
    w.index = pd.to_datetime(w.index)
    events = pd.read_csv(default_catalog_path(), dtype=str)
    rates = w[["DGS5", "DGS10"]]
    oas = w[["BAMLC0A0CM", "BAMLC0A4CBBB", "BAMLH0A0HYM2"]]
    return closes, load_snapshot_fundamentals(), rates, oas, events


def load_points() -> pd.DataFrame:
    p = pd.read_csv(POINTS_CSV)
    p["date"] = pd.to_datetime(p["date"])
    return p


def _err(value: float, ref: float, kind: str) -> float:
    """|log error|; the interval point scores 0 inside [45, 60]."""
    if not (value > 0):
        return math.inf
    if kind.startswith("interval"):
        lo, hi = (float(x) for x in kind.removeprefix("interval").split("_"))
        return 0.0 if lo <= value <= hi else min(abs(math.log(value / lo)), abs(math.log(value / hi)))
    return abs(math.log(value / ref))


def _held(low: float, high: float, ref: float, kind: str) -> bool:
    if kind.startswith("interval"):
        lo, hi = (float(x) for x in kind.removeprefix("interval").split("_"))
        return low <= hi and high >= lo
    return low <= ref <= high


def evaluate(inputs: tuple, params: CreditParams, points: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    closes, fund, rates, oas, events = inputs
    panel = compute_spread_panel(closes, fund, rates, oas, symbols=SYMBOLS, params=params, events=events)
    rows = []
    for p in points.itertuples(index=False):
        f = panel.frame(p.symbol)
        f = f[f.index <= p.date]
        if f.empty or not np.isfinite(f["spread_bp"].iloc[-1]):
            v = lo = hi = math.nan
        else:
            v, lo, hi = (float(f[c].iloc[-1]) for c in ("spread_bp", "spread_bp_low", "spread_bp_high"))
        rows.append(
            {
                "symbol": p.symbol,
                "date": p.date.date(),
                "market": p.spread_bp,
                "kind": p.kind,
                "role": p.role,
                "proxy": v,
                "low": lo,
                "high": hi,
                "abs_log_err": _err(v, p.spread_bp, p.kind),
                "held": _held(lo, hi, p.spread_bp, p.kind) if math.isfinite(v) else False,
                "width": hi / lo if lo and lo > 0 else math.inf,
            }
        )
    return pd.DataFrame(rows), panel


def _eligible(res: pd.DataFrame) -> bool:
    ch = res[res["role"] == "choose"].set_index(["symbol", "kind"])
    o_sep = float(ch.loc[("ORCL", "interval45_60"), "proxy"])
    o_nov = float(res[(res["symbol"] == "ORCL") & (res["date"].astype(str) == "2025-11-25")]["proxy"].iloc[0])
    c_oct = float(ch.loc[("CRWV", "approx"), "proxy"])
    return bool(o_nov > o_sep and c_oct > 0), o_nov, o_sep, c_oct  # type: ignore[return-value]


def select_default(inputs: tuple, points: pd.DataFrame) -> tuple[str | None, list[dict[str, Any]]]:
    """Apply the declared rule to :data:`CANDIDATES` on the choosing points only."""
    choose = points[points["role"] == "choose"]
    recs = []
    for name, kw in CANDIDATES.items():
        res, panel = evaluate(inputs, CreditParams(**FIXED, **kw), choose)
        o = panel.series("ORCL")
        c = panel.series("CRWV")
        crwv_above = bool(c.get(pd.Timestamp("2025-10-06"), -1) > o.get(pd.Timestamp("2025-10-06"), math.inf))
        ok_widen = bool(
            res.loc[res["date"].astype(str) == "2025-11-25", "proxy"].iloc[0]
            > res.loc[res["kind"] == "interval45_60", "proxy"].iloc[0]
        )
        jump = float(o.loc[JUMP[2]] - o.loc[JUMP[1]])
        m = float(res["abs_log_err"].mean())
        recs.append(
            {"name": name, "eligible": crwv_above and ok_widen and jump <= JUMP[3], "m": m, "res": res, "jump": jump}
        )
    pool = [r for r in recs if r["eligible"] and math.isfinite(r["m"])]
    if not pool:
        return None, recs
    best = min(pool, key=lambda r: round(r["m"], 2))  # min() keeps the first of equal keys
    return best["name"], recs


def select_band(inputs: tuple, points: pd.DataFrame, base: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    choose = points[points["role"] == "choose"]
    recs: list[dict[str, Any]] = []
    for name, kw in BANDS.items():
        res, _ = evaluate(inputs, CreditParams(**FIXED, **{**base, **kw}), choose)
        recs.append({"name": name, "held": int(res["held"].sum()), "width": float(res["width"].median())})
    ok = [str(r["name"]) for r in recs if r["width"] <= 4.0]  # rule v3: the widest informative box
    return (ok[-1] if ok else "S1"), recs


def _print_points(res: pd.DataFrame, title: str) -> None:
    print(f"\n== {title}")
    print(f"{'symbol':<5} {'date':<10} {'role':<6} {'market':>8} {'proxy':>7} {'band':>15} {'|log err|':>9} held")
    for r in res.itertuples(index=False):
        mk = "45-60" if r.kind.startswith("interval") else f"{r.market:.0f}"
        print(
            f"{r.symbol:<5} {r.date!s:<10} {r.role:<6} {mk:>8} {r.proxy:7.1f} "
            f"{f'{r.low:.0f}-{r.high:.0f}':>15} {r.abs_log_err:9.2f} {'yes' if r.held else 'NO'}"
        )
    for role, label in (
        ("choose", "choosing points (chose the defaults: DEVELOPMENT)"),
        ("report", "reporting points (not used to choose; seen by the author: development)"),
    ):
        s = res[res["role"] == role]
        if s.empty:
            continue
        print(
            f"{label}: n={len(s)}  mean |log(proxy/market)| = {s['abs_log_err'].mean():.3f}  "
            f"band holds {int(s['held'].sum())}/{len(s)}  median high/low = {s['width'].median():.2f}"
        )


def _structure(panel: Any) -> None:
    o, c = panel.series("ORCL"), panel.series("CRWV")
    both = pd.concat([o, c], axis=1, join="inner").loc["2025-09-01":"2026-01-31"]
    print(
        f"CRWV above ORCL on every session 2025-09-01..2026-01-31: {bool((both['CRWV'] > both['ORCL']).all())} "
        f"({int((both['CRWV'] > both['ORCL']).sum())}/{len(both)})"
    )
    for s, name in ((o, "ORCL"), (c, "CRWV")):
        sep, dec = s.loc["2025-09-01":"2025-09-30"].mean(), s.loc["2025-12-01":"2025-12-31"].mean()
        print(
            f"{name}: mean proxy Sept 2025 {sep:.0f} bp -> Dec 2025 {dec:.0f} bp ({'widens' if dec > sep else 'DOES NOT widen'})"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--all", action="store_true", help="print every candidate's choosing points")
    args = ap.parse_args(argv)
    inputs = load_inputs()
    points = load_points()
    print("== declared protocol: see the module docstring (candidates scored on the 4 choosing points only)")
    chosen, recs = select_default(inputs, points)
    print(f"{'candidate':<46} {'jump Δbp':>8} {'eligible':>8} {'m (choose)':>10}")
    for r in sorted(recs, key=lambda r: r["m"]):
        print(f"{r['name']:<46} {r['jump']:+8.1f} {'yes' if r['eligible'] else 'NO':>8} {r['m']:10.3f}")
        if args.all:
            print(r["res"][["symbol", "date", "market", "proxy", "abs_log_err"]].to_string(index=False))
    print(f"selected by the rule: {chosen}")
    band, brecs = select_band(inputs, points, CANDIDATES[chosen] if chosen else {})
    for b in brecs:
        print(
            f"band {b['name']}: {BANDS[b['name']]} holds {b['held']}/4 choosing points, median high/low {b['width']:.2f}"
        )
    print(f"selected band: {band}")
    want = {**(CANDIDATES[chosen] if chosen else {}), **BANDS[band]}
    d = CreditParams()
    same = all(getattr(d, k) == v for k, v in want.items())
    print(f"CreditParams() defaults {'MATCH' if same else 'DO NOT MATCH'} the selection: {want}")
    res, panel = evaluate(inputs, CreditParams(), points)
    _print_points(res, "DEFAULT proxy (CreditParams(), no quotes imported), every point")
    _structure(panel)
    return 0


if __name__ == "__main__":
    sys.exit(main())

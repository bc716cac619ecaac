"""Benchmark: our batched event-study engine vs the PyPI ``eventstudy`` 0.1a12 package.

Workload: market model vs SPY on the bundled snapshot (adjusted closes, NYSE sessions),
simple returns, L=250, G=10, window [-1, 1]; random (symbol, day 0) firm-events with a
fixed seed, restricted to symbols and days where both engines can run (full history, no
missing prices: the peer cannot handle NaN inside its windows).

* ours: ``compute_event_study`` on the whole batch with every step of a catalog study on:
  clean estimation windows (the bundled catalog's event windows and jump days beyond 4
  robust sigmas left out, windows extended back to L clean sessions), per-firm AR/SAR/CAR
  with corrected variances, t and p; AAR/CAAR, cross-sectional t, Patell Z, BMP,
  Kolari-Pynnonen on the pairs of firm-events whose windows overlap (pairwise Pearson
  correlations on common dates), Corrado-Zivney and Corrado rank Z, generalised sign Z,
  calendar-time portfolio Z over same-day clusters and a 1,000-draw bootstrap CAAR interval.
  The random firm-events are not news, so their own windows are not left out of each
  other's estimation windows (the product leaves out catalog events' windows, as here);
* check: a second, untimed run with cleaning off must reproduce the peer's ARs;
* peer: ``Single.market_model`` per firm-event (one statsmodels OLS each) then
  ``Multiple(list)`` (its AAR/CAAR t-test only). Returns are handed to it through its own
  class-level store (``Single._save_parameter("returns", ...)``, what ``import_returns``
  does after reading a CSV), so file parsing is not timed for either side.

If the peer is not installed (``pip install eventstudy==0.1a12``, or the ``bench`` extra),
a per-firm statsmodels OLS loop stands in and is labelled as such.

Run: ``/work/venv/bin/python bench/eventstudy.py [--n 2000] [--big 10000]``. Prints only;
nothing here is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import aimonitor
from aimonitor.analytics.eventstudy import FirmEvent, compute_event_study
from aimonitor.analytics.returns import compute_returns
from aimonitor.calendar import sessions_index
from aimonitor.events.catalog import load_catalog

BARS = Path(aimonitor.__file__).parent / "data" / "snapshot" / "bars.csv.gz"
L, G, WINDOW = 250, 10, (-1, 1)
MARKET = "SPY"


def load_returns() -> pd.DataFrame:
    with gzip.open(BARS, "rt") as fh:
        bars = pd.read_csv(fh)
    w = bars.pivot(index="date", columns="symbol", values="adj_close")
    w.index = pd.to_datetime(w.index)
    w = w.reindex(sessions_index(w.index.min(), w.index.max()))
    return compute_returns(w, "simple")


def workload(rets: pd.DataFrame, n: int, seed: int = 20251122) -> list[FirmEvent]:
    A, B = WINDOW
    full = [c for c in rets.columns if c != MARKET and rets[c].iloc[1:].notna().all()]
    first = 1 + L + G - A  # first row whose estimation window is all inside the data
    last = len(rets) - 1 - B
    rng = np.random.default_rng(seed)
    si = rng.integers(0, len(full), n)
    di = rng.integers(first, last + 1, n)
    idx = rets.index
    return [FirmEvent(full[s], f"e{k}", idx[d].date(), idx[d].date()) for k, (s, d) in enumerate(zip(si, di))]


CATALOG_WINDOWS = [(t, e.day0) for e in load_catalog(None) if e.day0 is not None for t in e.tickers]


def run_ours(rets: pd.DataFrame, events: list[FirmEvent], clean: bool = True):
    firms, market = rets.drop(columns=[MARKET]), rets[MARKET]
    return compute_event_study(
        firms,
        market,
        events,
        window=WINDOW,
        model="market",
        estimation_length=L,
        gap=G,
        min_estimation=60,
        returns_kind="simple",
        clean=clean,
        exclude_windows=CATALOG_WINDOWS,
        bootstrap=1000 if clean else 0,
        seed=1,
    )


def time_ours(rets: pd.DataFrame, events: list[FirmEvent], repeat: int = 5) -> tuple[float, float, object]:
    times = []
    res = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = run_ours(rets, events)
        times.append(time.perf_counter() - t0)
    return times[0], statistics.median(times), res


def time_peer(rets: pd.DataFrame, events: list[FirmEvent]) -> tuple[str, float, dict]:
    # this script is itself named eventstudy.py: keep its folder off the import path
    here = Path(__file__).resolve().parent
    sys.path[:] = [q for q in sys.path if Path(q or ".").resolve() != here]
    sys.modules.pop("eventstudy", None)
    try:
        from eventstudy import Multiple, Single  # type: ignore[import-not-found]
    except ImportError:
        return time_statsmodels_loop(rets, events)
    data = {"date": rets.index.values.astype("datetime64[D]")}
    for c in rets.columns:
        data[c] = rets[c].to_numpy()
    Single._save_parameter("returns", data)
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        sample = [
            Single.market_model(
                e.symbol,
                MARKET,
                event_date=np.datetime64(e.day0),
                event_window=WINDOW,
                estimation_size=L,
                buffer_size=G,
            )
            for e in events
        ]
        agg = Multiple(sample)
        dt_ = time.perf_counter() - t0
    out["ar"] = np.array([s.AR for s in sample])
    out["aar"] = np.asarray(agg.AAR)
    return "PyPI eventstudy 0.1a12 (Single.market_model + Multiple)", dt_, out


def time_statsmodels_loop(rets: pd.DataFrame, events: list[FirmEvent]) -> tuple[str, float, dict]:
    import statsmodels.api as sm

    A, B = WINDOW
    pos = {d: i for i, d in enumerate(rets.index.date)}
    t0 = time.perf_counter()
    ars = []
    for e in events:
        p = pos[e.day0]
        est = rets.iloc[p + A - G - L : p + A - G]
        win = rets.iloc[p + A : p + B + 1]
        fit = sm.OLS(est[e.symbol].to_numpy(), sm.add_constant(est[MARKET].to_numpy())).fit()
        ars.append(win[e.symbol].to_numpy() - fit.params[0] - fit.params[1] * win[MARKET].to_numpy())
    ar = np.array(ars)
    dt_ = time.perf_counter() - t0
    return "STAND-IN PEER: per-firm statsmodels OLS loop (eventstudy not installed)", dt_, {"ar": ar, "aar": ar.mean(0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="firm-events for the head-to-head run")
    ap.add_argument("--big", type=int, default=10000, help="firm-events for our engine alone")
    args = ap.parse_args()

    rets = load_returns()
    events = workload(rets, args.n)
    cold, warm, res = time_ours(rets, events)
    label, peer_s, peer = time_peer(rets, events)
    assert res.n == len(events), f"ours skipped {len(res.skipped)} firm-events"
    plain = run_ours(rets, events, clean=False)  # untimed: same windows as the peer
    diff = float(np.max(np.abs(np.asarray(plain.ar) - peer["ar"])))
    excluded = [len(x) for x in res.excluded_days]
    print(
        f"workload: {args.n} firm-events, market model vs {MARKET}, L={L}, G={G}, window {WINDOW}, "
        f"{rets.shape[1] - 1} symbols x {len(rets)} sessions"
    )
    print(f"peer   : {label}")
    print(f"         {peer_s:8.3f} s total, {peer_s / args.n * 1e6:9.1f} us per firm-event")
    print(
        f"ours   : {warm:8.3f} s total (median of 5; first call {cold:.3f} s), "
        f"{warm / args.n * 1e6:9.1f} us per firm-event, clean windows + full test battery"
    )
    print(f"ratio  : ours is {peer_s / warm:.1f}x faster per firm-event (first call: {peer_s / cold:.1f}x)")
    print(
        f"check  : cleaning off, max |AR ours - AR peer| = {diff:.2e}; "
        f"max |AAR diff| = {float(np.max(np.abs(plain.day_stats['aar'] - peer['aar']))):.2e}"
    )
    print(
        f"clean  : excluded days per firm-event median {statistics.median(excluded):.0f}, max {max(excluded)}; "
        f"overlapping pairs {res.aggregate.n_pairs}, KP factor {res.aggregate.kp_factor:.3f}"
    )

    big = workload(rets, args.big, seed=7)
    cold_b, warm_b, res_b = time_ours(rets, big)
    print(
        f"ours {args.big} firm-events: {warm_b:.3f} s (median of 5; first call {cold_b:.3f} s), "
        f"{warm_b / args.big * 1e6:.1f} us per firm-event; estimated {res_b.n}, skipped {len(res_b.skipped)}"
    )


if __name__ == "__main__":
    main()

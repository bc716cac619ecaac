"""Loop-level signals on the bundled snapshot: threshold candidates and the matrix-form speed-up.

Prints (no assertions):

1. the market-neutral excess correlation (loop minus hyperscaler placebo) and raw corr_60d
   on dates the issue names (April 2025 tariff shock, November 2025), and its distribution
   on the DEVELOPMENT window 2024-06-01..2025-05-31 (where the rule threshold was chosen)
   and on the REPORT window 2025-06-02..2026-02-27 (the demo window, only reported);
2. how many episodes each written-down threshold candidate (0.10, 0.20, 0.30; 3 sessions
   to fire, clear 0.05 lower) gives in each window;
3. the time of the matrix-form average pairwise correlation against the former pair loop.

Run: ``python bench/loop_signals.py``
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np
import pandas as pd

import aimonitor
from aimonitor.analytics.signals import SignalInputs, compute_signals

LOOP = ["ORCL", "CRWV", "AMD", "NVDA"]
DEV = ("2024-06-01", "2025-05-31")
REPORT = ("2025-06-02", "2026-02-27")
CANDIDATES = (0.10, 0.20, 0.30)


def load() -> pd.DataFrame:
    with gzip.open(Path(aimonitor.__file__).parent / "data" / "snapshot" / "bars.csv.gz", "rt") as fh:
        bars = pd.read_csv(fh)
    w = bars.pivot(index="date", columns="symbol", values="adj_close")
    w.index = pd.to_datetime(w.index)
    return w


def episodes(s: pd.Series, thr: float, clear: float, need: int = 3) -> list[str]:
    out, run, firing = [], 0, False
    for d, v in s.items():
        if firing:
            if v <= clear:
                firing, run = False, 0
            continue
        run = run + 1 if v > thr else 0
        if run >= need:
            firing = True
            out.append(pd.Timestamp(d).date().isoformat())
    return out


def old_pair_loop(r: pd.DataFrame, window: int = 60, min_obs: int = 40) -> np.ndarray:
    counts = r.notna().astype(float).rolling(window, min_periods=1).sum().to_numpy()
    ok = counts >= min_obs
    total, npairs = np.zeros(len(r)), np.zeros(len(r))
    cols = list(r.columns)
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            a, b = r.iloc[:, i], r.iloc[:, j]
            both = a.notna() & b.notna()
            av, bv = a.where(both, 0.0), b.where(both, 0.0)
            f = pd.DataFrame({"n": both.astype(float), "a": av, "b": bv, "aa": av * av, "bb": bv * bv, "ab": av * bv})
            s = f.rolling(window, min_periods=1).sum()
            n = s["n"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                ma, mb = s["a"].to_numpy() / n, s["b"].to_numpy() / n
                rho = (s["ab"].to_numpy() - n * ma * mb) / np.sqrt(
                    (s["aa"].to_numpy() - n * ma * ma) * (s["bb"].to_numpy() - n * mb * mb)
                )
            use = ok[:, i] & ok[:, j] & np.isfinite(rho) & (n >= 3)
            total[use] += np.clip(rho[use], -1, 1)
            npairs[use] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(npairs > 0, total / np.where(npairs > 0, npairs, 1), np.nan)


def main() -> None:
    w = load()
    inp = SignalInputs(closes=w, market="SPY", watchlist=LOOP)
    names = ["corr_60d", "loop_resid_corr_60d", "placebo_resid_corr_60d", "loop_excess_resid_corr_60d"]
    df = compute_signals(inp, names=names)
    p = df.pivot_table(index="date", columns="signal", values="value")
    p.index = pd.to_datetime(p.index)
    print("value on dates the issue names (raw corr, loop resid, placebo resid, excess):")
    for d in ("2025-04-09", "2025-04-30", "2025-11-20", "2025-11-28"):
        row = p.loc[:d].iloc[-1]
        print(f"  {d}: " + "  ".join(f"{n}={row[n]:+.3f}" for n in names))
    x = p["loop_excess_resid_corr_60d"]
    for label, (a, b) in (("DEVELOPMENT", DEV), ("REPORT (demo window)", REPORT)):
        part = x[(x.index >= a) & (x.index <= b)]
        q = part.quantile([0.5, 0.9, 0.95, 0.99])
        print(
            f"{label} {a}..{b}: n={len(part)} max={part.max():+.3f} median={q[0.5]:+.3f} "
            f"p95={q[0.95]:+.3f} p99={q[0.99]:+.3f}"
        )
        for thr in CANDIDATES:
            ep = episodes(part, thr, thr - 0.05)
            print(f"    threshold {thr:.2f}: {len(ep)} episode(s) {ep}")
    r = w[[*LOOP, "MSFT", "META", "AMZN", "GOOGL", "AVGO"]].pct_change(fill_method=None)
    t0 = time.perf_counter()
    for _ in range(5):
        old = old_pair_loop(r)
    t_old = (time.perf_counter() - t0) / 5
    from aimonitor.analytics.signals import _average_pairwise

    t0 = time.perf_counter()
    for _ in range(5):
        new = _average_pairwise(r, partial_on=None)
    t_new = (time.perf_counter() - t0) / 5
    diff = np.nanmax(np.abs(old - new))
    print(
        f"average pairwise correlation, {r.shape[1]} names x {len(r)} sessions: pair loop {t_old * 1e3:.1f} ms, "
        f"matrix form {t_new * 1e3:.1f} ms (ratio {t_old / t_new:.1f}x), max |difference| {diff:.1e}"
    )


if __name__ == "__main__":
    main()

"""Vectorised replay vs session-by-session replay of the default rules, signals in memory.

A seeded synthetic long signal frame (10 years = 2,514 NYSE sessions; per symbol the signals
the packaged default rules read, as AR(1) series so breaches come in runs, with a few
symbols that list late, have missing values or go stale for a stretch; plus the two FRED OAS
series and the market-wide LOOP signals) is replayed with the packaged default rules by
``backtest()`` (vectorised, the default) and by ``backtest(vectorised=False)`` (the
``evaluate_inputs`` session-by-session path the live cycle's engine runs). The old path runs
only up to ``--old-cap`` symbols; where both run, the results are compared and the ratio
printed. Times are wall and CPU (``time.process_time``; the machine is shared, CPU is the
steadier figure) of the replay alone, the frame already built.

    python bench/replay_speed.py                       # 10, 100, 500 symbols; old path up to 100
    python bench/replay_speed.py --sizes 10,50 --old-cap 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from aimonitor.calendar import sessions
from aimonitor.rules import BacktestResult, backtest, load_default_rules

NAMED = ["ORCL", "NVDA", "AMD", "CRWV", "AVGO", "MSFT", "META", "AMZN", "GOOGL", "SMH", "SOXX", "QQQ"]
FIRST, LAST = "2016-01-04", "2025-12-31"  # 2,514 NYSE sessions
#: signal -> (AR(1) coefficient, innovation scale, offset)
PER_SYMBOL = {
    "spread_change_20d_bp": (0.95, 9.0, 0.0),
    "drawdown_52w": (0.995, 0.02, -0.12),
    "sar_1d": (0.0, 1.3, 0.0),
    "vol_20d_z": (0.93, 0.45, 0.0),
}
MARKET = {
    "corr_60d": (0.98, 0.03, 0.45),
    "loop_excess_resid_corr_60d": (0.98, 0.02, 0.05),
    "loop_stress_index": (0.95, 0.35, 0.0),
}


def symbols(n: int) -> list[str]:
    return (NAMED + [f"S{i:03d}" for i in range(n)])[:n]


def _ar1(rng: np.random.Generator, t: int, k: int, phi: float, scale: float, offset: float) -> np.ndarray:
    e = rng.normal(0.0, scale, (t, k))
    x = np.empty((t, k))
    x[0] = e[0]
    for i in range(1, t):
        x[i] = phi * x[i - 1] + e[i]
    return x + offset


def signal_frame(n: int, seed: int = 14) -> tuple[pd.DataFrame, list]:
    """The long frame ``date, symbol, signal, value`` and the replayed sessions."""
    days = sessions(FIRST, LAST)
    t = len(days)
    rng = np.random.default_rng(seed)
    syms = symbols(n)
    dates = pd.DatetimeIndex(days)
    present = np.ones((t, n), dtype=bool)
    for j in range(n):
        if j % 7 == 3:  # lists late
            present[: rng.integers(50, t // 2), j] = False
        if j % 11 == 5:  # a stale stretch (no rows at all)
            a = int(rng.integers(0, t - 30))
            present[a : a + int(rng.integers(2, 25)), j] = False
    parts = []

    def add(sig: str, names: list[str], values: np.ndarray, mask: np.ndarray) -> None:
        ii, jj = np.nonzero(mask)
        parts.append(
            pd.DataFrame(
                {"date": dates[ii], "symbol": np.asarray(names, dtype=object)[jj], "signal": sig, "value": values[mask]}
            )
        )

    add("staleness_sessions", syms, np.zeros((t, n)), present)
    for sig, (phi, scale, offset) in PER_SYMBOL.items():
        x = _ar1(rng, t, n, phi, scale, offset)
        if sig == "drawdown_52w":
            x = np.minimum(x, 0.0)
        keep = present & (rng.random((t, n)) > 0.002)  # a missing value now and then
        add(sig, syms, x, keep)
    fred = ["BAMLH0A0HYM2", "BAMLC0A4CBBB"]
    add("fred_oas_change_20d_bp", fred, _ar1(rng, t, 2, 0.95, 8.0, 0.0), np.ones((t, 2), dtype=bool))
    for sig, (phi, scale, offset) in MARKET.items():
        add(sig, ["LOOP"], _ar1(rng, t, 1, phi, scale, offset), np.ones((t, 1), dtype=bool))
    # the order Store.read_signals returns (ORDER BY date, symbol, signal)
    df = pd.concat(parts, ignore_index=True).sort_values(["date", "symbol", "signal"], ignore_index=True)
    return df, days


def timed(rules: list, df: pd.DataFrame, days: list, **kw: bool) -> tuple[BacktestResult, float, float]:
    """The replay's result, wall seconds and CPU seconds."""
    w, c = time.perf_counter(), time.process_time()
    out = backtest(rules, df, days, **kw)
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100,500")
    ap.add_argument("--old-cap", type=int, default=100, help="largest size the session-by-session path runs on")
    args = ap.parse_args()
    rules = load_default_rules()
    print(f"{len(rules)} default rules; sessions {FIRST}..{LAST}")
    print(
        f"{'symbols':>7} {'rows':>9} {'new wall':>9} {'new cpu':>8} {'old wall':>9} {'old cpu':>8} {'old/new cpu':>11} same"
    )
    for n in (int(x) for x in args.sizes.split(",") if x):
        df, days = signal_frame(n)
        new, nw, nc = timed(rules, df, days)
        old_cols = f"{'-':>9} {'-':>8} {'-':>11} -"
        if n <= args.old_cap:
            old, ow, oc = timed(rules, df, days, vectorised=False)
            same = old.transitions == new.transitions and list(old.states.items()) == list(new.states.items())
            old_cols = f"{ow:>9.2f} {oc:>8.2f} {oc / nc:>11.1f} {same}"
        fired = sum(new.summary.values())
        print(
            f"{n:>7} {len(df):>9} {nw:>9.2f} {nc:>8.2f} {old_cols}   ({len(new.transitions)} transitions, {fired} firings)"
        )


if __name__ == "__main__":
    main()

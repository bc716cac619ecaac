"""How backtest time grows with the number of replayed sessions: vectorised replay, the
session-by-session cursor and the live path.

Synthetic long signal frame (12 symbols x 6 signals per session, plus staleness rows),
default-like rules. Prints seconds per replay and the ratios to the vectorised replay
(``backtest()``'s default, rules/replay.py); the cursor (``vectorised=False``) should grow
about in proportion to sessions, the live path (``linear=False``: whole-frame scan per
session) faster. bench/replay_speed.py times 10 to 500 symbols over ten years.

    python bench/backtest_scaling.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from aimonitor.calendar import sessions
from aimonitor.rules import Rule, backtest

SYMBOLS = [f"S{i:02d}" for i in range(12)]
SIGNALS = ["ret_1d", "drawdown_52w", "vol_20d_z", "sar_1d", "spread_change_20d_bp", "spread_z_1y"]


def frame(days: list) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for d in days:
        for sym in SYMBOLS:
            rows.append((d, sym, "staleness_sessions", 0.0))
            for sig in SIGNALS:
                rows.append((d, sym, sig, float(rng.normal(0, 50 if sig.endswith("bp") else 1))))
    return pd.DataFrame(rows, columns=["date", "symbol", "signal", "value"])


RULES = [
    Rule(name="w", signal="spread_change_20d_bp", op=">", threshold=40, clear_threshold=25, for_sessions=2),
    Rule(name="c", signal="spread_change_20d_bp", op=">", threshold=100, severity="critical"),
    Rule(name="dd", signal="drawdown_52w", op="<", threshold=-1.5),
    Rule(name="ab", signal="sar_1d", op=">", threshold=2.5, absolute=True),
    Rule(name="v", signal="vol_20d_z", op=">", threshold=2.0, repeat_sessions=5),
]


def timed(days: list, df: pd.DataFrame, **kw: bool) -> float:
    t0 = time.perf_counter()
    backtest(RULES, df, days, **kw)
    return time.perf_counter() - t0


def main() -> None:
    all_days = sessions("2023-01-03", "2026-02-27")
    print(
        f"{'sessions':>8} {'rows':>8} {'vector s':>9} {'cursor s':>9} {'live s':>8} {'cursor/vec':>10} {'live/vec':>9}"
    )
    for n in (100, 200, 400):
        days = all_days[-n:]
        df = frame(days)
        vec, cur, live = timed(days, df), timed(days, df, vectorised=False), timed(days, df, linear=False)
        print(f"{n:>8} {len(df):>8} {vec:>9.2f} {cur:>9.2f} {live:>8.2f} {cur / vec:>10.1f} {live / vec:>9.1f}")


if __name__ == "__main__":
    main()

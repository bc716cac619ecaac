"""Signal storage speed: µs per value to write, re-write and read a derivation-sized long frame.

A seeded long frame of ``--days`` sessions x ``--symbols`` symbols x ``--signals`` signals
(the shape ``compute_signals`` returns, sorted by date, signal, symbol) is written into a
fresh store (all new), written again with 1 value in 1,000 changed (the upsert path), read
back whole (what a replay reads) and read for one signal and a few symbols over a month.
Prints wall and CPU µs per value. Run it against any checkout with PYTHONPATH at its src:

    PYTHONPATH=src python bench/signal_store.py --symbols 100
    PYTHONPATH=/path/to/other/src python bench/signal_store.py --symbols 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def long_frame(days: int, symbols: int, signals: int, seed: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = np.array([dt.date(2016, 1, 4) + dt.timedelta(days=i) for i in range(days)], dtype=object)
    syms = np.array([f"S{i:03d}" for i in range(symbols)], dtype=object)
    names = np.array([f"sig_{i:02d}" for i in range(signals)], dtype=object)
    d, g, s = np.meshgrid(np.arange(days), np.arange(signals), np.arange(symbols), indexing="ij")
    return pd.DataFrame(
        {
            "date": dates[d.ravel()],
            "symbol": syms[s.ravel()],
            "signal": names[g.ravel()],
            "value": rng.normal(0, 1, d.size),
        }
    )


def timed(label: str, n: int, fn) -> object:
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    w, c = time.perf_counter() - w0, time.process_time() - c0
    print(f"{label:<28} {n:>10,} values  wall {w:7.2f} s  cpu {c:7.2f} s  {1e6 * c / max(n, 1):7.3f} µs/value (cpu)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=2514)
    ap.add_argument("--symbols", type=int, default=100)
    ap.add_argument("--signals", type=int, default=10)
    a = ap.parse_args()
    from aimonitor.store import Store

    f = long_frame(a.days, a.symbols, a.signals)
    n = len(f)
    with tempfile.TemporaryDirectory() as tmp:
        st = Store(Path(tmp) / "b.db")
        timed("write (all new)", n, lambda: st.write_signals(f))
        g = f.copy()
        g.loc[g.index[::1000], "value"] += 1.0
        c = timed("re-write (0.1% changed)", n, lambda: st.write_signals(g))
        print(f"  counts: {c}")
        got = timed("read all", n, lambda: st.read_signals())
        assert len(got) == n
        m = f[(f["signal"] == "sig_00") & f["symbol"].isin(["S000", "S001"])].iloc[:40]
        timed(
            "read 1 signal, 2 symbols",
            len(m),
            lambda: st.read_signals(["sig_00"], m["date"].min(), m["date"].max(), ["S000", "S001"]),
        )
        st.close()
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()

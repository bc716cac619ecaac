"""A late FRED print that restarts the derivation in an earlier history segment than the last
derived session: ``update_signals`` derives again every session it forgot, also when it is
asked for a session before the last derived one (issue #14)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aimonitor import calendar, pipeline
from aimonitor.pipeline import update_signals
from aimonitor.store import Store

D = dt.date
HY = "BAMLH0A0HYM2"
#: 1,006 sessions: past 772, so the last sessions have a later history start than the first
#: (see pipeline._history_start), i.e. two history segments.
FIRST, LAST = D(2016, 1, 4), D(2019, 12, 31)


def _fill(store: Store) -> list[dt.date]:
    days = calendar.sessions(FIRST, LAST)
    iso = [d.isoformat() for d in days]
    rng = np.random.default_rng(3)
    for sym in ("SPY", "ORCL", "NVDA"):
        close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, len(days))))
        frame = pd.DataFrame(
            {"date": iso, "open": close, "high": close * 1.01, "low": close * 0.99, "close": close}
            | {"adj_close": close, "volume": 1e6}
        )
        store.write_bars(sym, frame, source="synthetic", fetched_at="2020-01-02T00:00:00+00:00")
    # stored in basis points, as the FRED source converts them
    for series, level in (
        (HY, 400.0),
        ("BAMLC0A0CM", 120.0),
        ("BAMLC0A4CBBB", 150.0),
        ("DGS5", 200.0),
        ("DGS10", 250.0),
    ):
        values = np.maximum(20.0, level + np.cumsum(rng.normal(0, 2.0, len(days))))
        store.write_fred(
            series,
            pd.DataFrame({"date": iso, "value": values}),
            unit="bp",
            source="synthetic",
            fetched_at="2020-01-02T00:00:00+00:00",
        )
    return days


@pytest.mark.slow
def test_a_restart_in_an_earlier_segment_derives_again_through_the_last_derived_session(cfg, store, tmp_path):
    days = _fill(store)
    first_bar = days[0]
    # the late print's session lies in the first segment; the last session in the second
    late_day = days[700]
    assert pipeline._segment_end(first_bar, late_day) < days[-1]
    row = store.conn.execute(
        "SELECT value FROM fred WHERE series = ? AND date = ?", (HY, late_day.isoformat())
    ).fetchone()
    store.conn.execute("DELETE FROM fred WHERE series = ? AND date = ?", (HY, late_day.isoformat()))
    update_signals(cfg, store, days[-1])
    # the print arrives late; the next call asks only for a session before the last derived one
    store.write_fred(
        HY,
        pd.DataFrame({"date": [late_day.isoformat()], "value": [row[0]]}),
        unit="bp",
        source="late",
        fetched_at="2020-01-03T00:00:00+00:00",
    )
    assert update_signals(cfg, store, days[702]) > 0
    # the sessions the restart forgot are derived again, not only those up to days[702] or the
    # end of the late print's segment (before the fix the store ended at 2019-01-28)
    assert store.signal_session_range()[1] == days[-1].isoformat()
    # everything stored equals a derivation that had the print on time
    with Store(tmp_path / "clean.db") as clean:
        _fill(clean)
        update_signals(cfg, clean, days[-1])
        want = clean.read_signals()
    pd.testing.assert_frame_equal(store.read_signals(), want)

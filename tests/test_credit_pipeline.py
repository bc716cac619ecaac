"""The credit proxy through the monitoring cycle: a CDS quote import alone fires no widening."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from aimonitor.ingest import run_fetch
from aimonitor.pipeline import update_signals
from aimonitor.sources.snapshot import SnapshotSource


def test_quote_import_alone_does_not_fire_the_widening_signal(cfg, store):
    """ORCL traded near 55 bp in early September 2025 while the proxy read ~40. Importing a
    150 bp quote on 2025-09-05 lifts the stored proxy onto the quote, but the 20-session
    change the ``credit_proxy_widening`` rule reads (warning above 40 bp) is measured under
    one calibration and stays small."""
    day0, day1 = dt.date(2025, 9, 4), dt.date(2025, 9, 5)
    run_fetch(cfg, store, SnapshotSource(), as_of=day1)
    update_signals(cfg, store, day0)
    before = store.read_signals(start=day0, end=day0)
    q = pd.DataFrame(
        {"entity": ["ORCL"], "date": ["2025-09-05"], "tenor": ["5Y"], "spread_bp": [150.0], "source": ["t"]}
    )
    store.write_cds_quotes(q)
    update_signals(cfg, store, day1)
    after = store.read_signals(start=day1, end=day1)

    def val(frame: pd.DataFrame, signal: str) -> float:
        row = frame[(frame["symbol"] == "ORCL") & (frame["signal"] == signal)]
        return float(row["value"].iloc[0])

    assert val(after, "spread_proxy_bp") > val(before, "spread_proxy_bp") + 60  # the level moved to the quote
    assert abs(val(after, "spread_proxy_bp") - 150.0) < 1.0
    assert val(after, "spread_change_20d_bp") < 40.0

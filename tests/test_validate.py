"""Every batch is validated before it is stored; bad rows are named, good rows kept."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from aimonitor.validate import validate_bars, validate_fred

D = dt.date


def test_bad_bars_are_rejected_with_symbol_and_date_and_good_rows_kept():
    f = pd.DataFrame(
        {
            "date": [
                D(2025, 1, 8),
                D(2025, 1, 9),
                D(2025, 1, 10),
                D(2025, 1, 10),
                D(2025, 1, 13),
                D(2025, 1, 14),
                D(2025, 1, 15),
                D(2025, 1, 16),
                D(2025, 1, 17),
            ],
            "open": [10, 10, 10, 10, 10, -1, 10, 10, 10],
            "high": [11, 11, 11, 11, 9, 11, 11, 11, 11],
            "low": [9, 9, 9, 9, 9, 9, 9, 9, 10.5],
            "close": [10, 10, 10, 10, 10, 10, np.nan, 10, 10],
            "adj_close": [10.0] * 9,
            "volume": [1.0] * 9,
        }
    )
    good, rej = validate_bars("ORCL", f, as_of=D(2025, 1, 16))
    assert good["date"].tolist() == [D(2025, 1, 8), D(2025, 1, 16)]
    assert [str(r) for r in rej] == [
        "ORCL 2025-01-09: not an exchange session",  # national day of mourning
        "ORCL 2025-01-10: duplicate date in batch",
        "ORCL 2025-01-10: duplicate date in batch",
        "ORCL 2025-01-13: high 9 below max(open, close)",
        "ORCL 2025-01-14: non-positive price",
        "ORCL 2025-01-15: missing close",
        "ORCL 2025-01-17: after as-of 2025-01-16 (session not closed)",
    ]


def test_low_above_body_is_rejected():
    f = pd.DataFrame(
        {
            "date": [D(2025, 1, 17)],
            "open": [10.0],
            "high": [11.0],
            "low": [10.5],
            "close": [10.2],
            "adj_close": [10.2],
            "volume": [5.0],
        }
    )
    _, rej = validate_bars("AMD", f, as_of=D(2025, 1, 17))
    assert [str(r) for r in rej] == ["AMD 2025-01-17: low 10.5 above min(open, close)"]


def test_fred_rows():
    f = pd.DataFrame({"date": [D(2024, 1, 2), D(2024, 1, 3), D(2024, 1, 3)], "value": [354.0, np.nan, 360.0]})
    good, rej = validate_fred("BAMLH0A0HYM2", f)
    assert good["value"].tolist() == [354.0]
    assert {r.reason for r in rej} == {"duplicate date in batch"}

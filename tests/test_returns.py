"""Row-to-row returns: hand computations on Oracle's closes around its 2025-09-09 results
(241.51 on 2025-09-09, 328.33 on 2025-09-10: +35.95 %, the README's fact) and gap rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aimonitor.analytics.returns import compute_returns
from aimonitor.errors import DataError

IDX = pd.to_datetime(["2025-09-08", "2025-09-09", "2025-09-10", "2025-09-11"])
ORCL = pd.Series([238.48, 241.51, 328.33, 307.86], index=IDX, name="ORCL")


def test_simple_and_log_returns_by_hand():
    simple = compute_returns(ORCL, "simple")
    assert isinstance(simple, pd.Series) and simple.name == "ORCL"
    assert math.isnan(simple.iloc[0])
    assert simple.iloc[2] == pytest.approx(0.3595, abs=5e-5)  # +35.95 %
    assert simple.iloc[1] == pytest.approx(241.51 / 238.48 - 1, rel=1e-12)
    log = compute_returns(ORCL, "log")
    assert log.iloc[2] == pytest.approx(math.log(328.33 / 241.51), rel=1e-12)
    assert log.iloc[3] == pytest.approx(math.log(307.86 / 328.33), rel=1e-12)


def test_a_missing_price_blanks_its_own_and_the_next_return_and_is_never_filled():
    wide = pd.DataFrame({"ORCL": ORCL.to_numpy(), "X": [10.0, np.nan, 11.0, 12.1]}, index=IDX)
    r = compute_returns(wide)
    assert list(r.columns) == ["ORCL", "X"] and r.index.equals(IDX)
    assert r["X"].isna().tolist() == [True, True, True, False]
    assert r["X"].iloc[3] == pytest.approx(0.1, rel=1e-12)
    assert r["ORCL"].notna().sum() == 3


def test_non_positive_prices_are_not_prices():
    r = compute_returns(pd.Series([10.0, 0.0, 12.0, -1.0, 13.0]))
    assert r.isna().all()


def test_unknown_kind_is_a_one_line_data_error():
    with pytest.raises(DataError, match="return kind must be one of simple, log; got 'pct'"):
        compute_returns(ORCL, "pct")

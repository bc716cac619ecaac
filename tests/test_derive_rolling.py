"""The one-pass rolling statistics of the signals equal pandas' column-by-column ones bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aimonitor.analytics.signals import rolling_stat


def _frame(seed: int, rows: int = 300, cols: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.02, (rows, cols)) * rng.uniform(0.5, 500.0, cols)
    x[rng.random((rows, cols)) < 0.1] = np.nan  # scattered gaps
    x[:40, 1] = np.nan  # a late listing
    x[100:180, 2] = np.nan  # a gap longer than a window: the running sums start again
    x[50:120, 3] = 1.25  # a constant stretch (pandas returns the constant exactly)
    x[7, 4], x[9, 4] = np.inf, -np.inf  # infinities count as missing
    x[:, 5] = np.nan  # nothing at all
    x[200:, 6] = 1e12 * x[200:, 6]  # a change of scale (compensated sums)
    idx = pd.bdate_range("2020-01-01", periods=rows)
    return pd.DataFrame(x, index=idx, columns=[f"S{j}" for j in range(cols)])


@pytest.mark.parametrize("stat", ["sum", "mean", "std", "max"])
@pytest.mark.parametrize(("window", "min_periods"), [(20, 20), (252, 120), (250, 1), (5, 1), (400, 3)])
def test_rolling_stat_equals_pandas_bit_for_bit(stat, window, min_periods):
    x = _frame(window + min_periods)
    roll = x.rolling(window, min_periods=min_periods)
    want = roll.std(ddof=1) if stat == "std" else getattr(roll, stat)()
    got = rolling_stat(x, window, min_periods, stat)
    assert list(got.columns) == list(x.columns) and got.index.equals(x.index)
    a, b = want.to_numpy(), got.to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(a.view(np.int64)[~np.isnan(a)], b.view(np.int64)[~np.isnan(b)])
    assert np.isfinite(a).sum() > 0


def test_rolling_stat_keeps_pandas_for_other_frames():
    x = pd.DataFrame({"a": [1, 2, 3, 4]}, index=pd.bdate_range("2020-01-01", periods=4))  # integers
    assert rolling_stat(x, 2, 1, "sum")["a"].tolist() == [1.0, 3.0, 5.0, 7.0]
    empty = pd.DataFrame(index=pd.DatetimeIndex([]), columns=["a"], dtype=float)
    assert rolling_stat(empty, 2, 1, "mean").empty

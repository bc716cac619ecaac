"""The scale rewrite of compute_signals (#14) gives what the old implementation gave.

The reference is ``tests/store_reference_signals.py``: a frozen copy of
``aimonitor.analytics.signals`` as it was on main before the rewrite (cumulative-sum
``(T, N, N)`` correlations, ``sort_values`` over the long frame). Both compute every
registered signal on the same inputs: the bundled snapshot (with FRED OAS, spread proxy,
CDS quotes and last-bar dates) and a synthetic universe with gaps, constant stretches and
a market with a missing session. Rows, order, dtypes and values must be identical, bit for
bit. Baskets wider than ``EXACT_MAX_COLUMNS`` take the O(W N) average-correlation path,
which sums the same terms in another order: it agrees with the old code to 1e-12.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aimonitor
from aimonitor import calendar as cal
from aimonitor.analytics import signals as S

sys.path.insert(0, str(Path(__file__).resolve().parent))
import store_reference_signals as REF  # noqa: E402  (the frozen reference lives next to this file)

SNAPSHOT = Path(aimonitor.__file__).parent / "data" / "snapshot"
#: signals computed from rolling correlations
CORR = {"corr_60d", "loop_resid_corr_60d", "placebo_resid_corr_60d", "loop_excess_resid_corr_60d"}


def _both(kwargs: dict, **call) -> tuple[pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = S.compute_signals(S.SignalInputs(**kwargs), **call)
        old = REF.compute_signals(REF.SignalInputs(**kwargs), **call)
    return new, old


def _assert_same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    assert list(new.columns) == list(old.columns) == S.COLUMNS
    assert list(new.dtypes) == list(old.dtypes)
    assert len(new) == len(old) and len(new) > 0
    for c in ("date", "symbol", "signal"):
        assert (new[c].to_numpy() == old[c].to_numpy()).all(), c
    assert old["signal"].isin(CORR).any()
    assert np.array_equal(new["value"].to_numpy(), old["value"].to_numpy())  # bit for bit


@pytest.fixture(scope="module")
def snapshot_inputs() -> dict:
    bars = pd.read_csv(SNAPSHOT / "bars.csv.gz", parse_dates=["date"])
    adj = bars.pivot(index="date", columns="symbol", values="adj_close").sort_index()
    fred = pd.read_csv(SNAPSHOT / "fred.csv.gz", parse_dates=["date"])
    fred = fred[fred["series"].str.startswith("BAML")]
    oas = fred.pivot(index="date", columns="series", values="value") * 100.0
    sess = cal.sessions_index(adj.index[0], adj.index[-1])
    proxy = 150.0 + (adj[["ORCL", "AMD", "NVDA", "CRWV"]].pct_change() * 1000).cumsum()
    quotes = pd.DataFrame(
        {"date": pd.to_datetime(["2025-09-10", "2025-10-01", "2025-11-03"]), "entity": "ORCL", "value": [90, 110, 140]}
    )
    last = {s: adj[s].dropna().index[-1] for s in adj.columns}
    return {
        "closes": adj,
        "market": "SPY",
        "watchlist": ["ORCL", "CRWV", "AMD", "NVDA", "AVGO", "MSFT", "META", "AMZN", "GOOGL"],
        "fred_oas": oas,
        "sessions": sess,
        "spread_proxy": proxy,
        "cds_quotes": quotes,
        "last_bar": last,
        "fred_lag_sessions": 1,
    }


def _synthetic(n: int, t: int, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    idx = cal.sessions_index("2019-01-02", "2030-12-31")[:t]
    market = rng.normal(0.0003, 0.011, t)
    cols = {"SPY": 100 * np.exp(np.cumsum(market))}
    names = ["MSFT", "META", "AMZN", "GOOGL"] + [f"S{i:03d}" for i in range(n - 4)]
    for name in names:
        r = rng.uniform(0.5, 1.5) * market + rng.normal(0, rng.uniform(0.01, 0.03), t)
        cols[name] = rng.uniform(20, 300) * np.exp(np.cumsum(r))
    closes = pd.DataFrame(cols, index=idx)
    closes.iloc[100:180, 5] = np.nan  # a long gap: the name leaves the correlations for a while
    closes.iloc[300:305, 6] = np.nan  # a short gap: pairwise-complete windows differ
    closes.iloc[::7, 7] = np.nan  # a name missing every 7th session
    closes.iloc[400:520, 8] = closes.iloc[400, 8]  # constant: zero returns, undefined correlations
    closes.iloc[250, 0] = np.nan  # the market misses one session
    closes.iloc[: t // 3, 9] = np.nan  # a late listing
    return {"closes": closes, "market": "SPY", "watchlist": names[:-2], "sessions": idx}


def test_snapshot_all_signals_identical_to_the_old_implementation(snapshot_inputs):
    _assert_same(*_both(snapshot_inputs))


def test_snapshot_window_identical_to_the_old_implementation(snapshot_inputs):
    _assert_same(*_both(snapshot_inputs, start="2025-09-02", end="2025-11-28"))


def test_synthetic_universe_with_gaps_identical_to_the_old_implementation():
    _assert_same(*_both(_synthetic(40, 700)))


def test_synthetic_subset_of_names_identical():
    new, old = _both(_synthetic(12, 600, seed=5), names=["staleness_sessions", "corr_60d", "ret_5d"], end="2020-06-30")
    _assert_same(new, old)


@pytest.mark.parametrize("partial", [False, True])
def test_average_pairwise_exact_path_is_bit_identical(partial):
    inp = _synthetic(30, 600, seed=11)
    r = inp["closes"].pct_change(fill_method=None)
    names = [c for c in r.columns if c != "SPY"]
    m = r["SPY"] if partial else None
    new = S._average_pairwise(r[names], m)
    old = REF._average_pairwise(r[names], m)
    assert np.isfinite(old).sum() > 400
    assert np.array_equal(new, old, equal_nan=True)


@pytest.mark.parametrize("partial", [False, True])
def test_average_pairwise_wide_basket_fast_path(partial):
    """More than EXACT_MAX_COLUMNS names: the O(W N) path, equal to the old matrix form to 1e-12."""
    inp = _synthetic(S.EXACT_MAX_COLUMNS + 16, 500, seed=12)
    r = inp["closes"].pct_change(fill_method=None)
    names = [c for c in r.columns if c != "SPY"]
    assert len(names) > S.EXACT_MAX_COLUMNS
    m = r["SPY"] if partial else None
    new = S._average_pairwise(r[names], m)
    old = REF._average_pairwise(r[names], m)
    assert np.array_equal(np.isnan(new), np.isnan(old))
    assert np.isfinite(old).sum() > 300
    np.testing.assert_allclose(new, old, rtol=0, atol=1e-12)

"""The vectorised credit panel gives the numbers of the old per-name path (issue #14).

The reference is ``tests/credit_speed_reference``: main's credit modules frozen at commit
6070c04, before the panel was vectorised (per-name ``compute_name_proxy`` calls, one
``merge_asof`` per balance-sheet field, one CreditGrades evaluation per name and step).
Every number of ``SpreadPanel`` (daily columns, bands, calibration, debt composition,
benchmarks), its warnings and its skipped names must agree to 1e-9 relative (the floats
are in fact bit-identical on the snapshot), on the real snapshot under the product's and
several other parameter sets, and on a synthetic universe of 27 names (two risk classes,
late listings, gaps, odd filings, quotes, debt raises) that exercises the leave-one-out
peer prior and every skip reason.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import credit_speed_reference.balance_sheet as old_bs
import credit_speed_reference.benchmarks as old_bench
import credit_speed_reference.credit as old_credit
import credit_speed_reference.spreads as old_spreads
from aimonitor.analytics import balance_sheet, benchmarks, credit, spreads
from aimonitor.analytics.spreads import CreditParams, SpreadPanel
from aimonitor.config import packaged_default_path, parse_config
from aimonitor.errors import DataError
from aimonitor.events.catalog import load_catalog
from aimonitor.pipeline import credit_params
from aimonitor.sources.cdsquotes import load_cds_quotes_csv, tenor_years

RTOL = 1e-9
FIX = Path(__file__).parent / "fixtures" / "credit"


# ---------------------------------------------------------------- comparison


def assert_same_frame(old: pd.DataFrame, new: pd.DataFrame, what: str) -> None:
    """Same columns, dtypes, index and non-float values; floats equal to RTOL (NaN where NaN)."""
    assert list(old.columns) == list(new.columns), what
    pd.testing.assert_index_equal(old.index, new.index, obj=f"{what} index")
    for c in old.columns:
        a, b = old[c], new[c]
        assert a.dtype == b.dtype, f"{what}[{c}]: {a.dtype} != {b.dtype}"
        if a.dtype.kind == "f":
            x, y = a.to_numpy(), b.to_numpy()
            assert np.array_equal(np.isnan(x), np.isnan(y)), f"{what}[{c}]: NaN pattern differs"
            ok = ~np.isnan(x)
            np.testing.assert_allclose(y[ok], x[ok], rtol=RTOL, atol=0, err_msg=f"{what}[{c}]")
        else:
            assert a.equals(b), f"{what}[{c}] differs"


def assert_same_panel(old: SpreadPanel, new: SpreadPanel) -> None:
    assert_same_frame(old.names, new.names, "names")
    assert_same_frame(old.benchmarks, new.benchmarks, "benchmarks")
    assert_same_frame(old.quotes, new.quotes, "quotes")
    assert old.warnings == new.warnings
    assert old.skipped == new.skipped
    assert old.buckets == new.buckets


def both_panels(*args: Any, **kw: Any) -> tuple[SpreadPanel, SpreadPanel]:
    return old_spreads.compute_spread_panel(*args, **kw), spreads.compute_spread_panel(*args, **kw)


# ---------------------------------------------------------------- the snapshot


@pytest.fixture(scope="module")
def snap(credit_inputs: dict[str, Any]) -> dict[str, Any]:
    quotes = load_cds_quotes_csv(FIX / "cds_reference_points.csv")
    quotes = quotes.assign(tenor_years=[tenor_years(t) for t in quotes["tenor"].astype(str)])
    cfg = parse_config(packaged_default_path().read_text())
    return {
        "closes": credit_inputs["closes"],
        "adj": credit_inputs["adj"],
        "fred": credit_inputs["fred_all"],
        "fund": credit_inputs["fund"],
        "quotes": quotes,
        "events": [r.to_row() for r in load_catalog(cfg.events.catalog)],
        "cfg": cfg,
    }


def test_product_panel_equals_the_old_path(snap):
    # what pipeline.compute_panel asks for: the watchlist, its config, quotes, catalog events
    cfg = snap["cfg"]
    closes = snap["closes"].iloc[-521:]  # pipeline.HISTORY_SESSIONS of history
    old, new = both_panels(
        closes,
        snap["fund"],
        snap["fred"],
        snap["fred"],
        snap["quotes"],
        symbols=list(cfg.watchlist.symbols),
        bucket_map=cfg.credit.rating_buckets,
        params=credit_params(cfg),
        adj_closes=snap["adj"].iloc[-521:],
        events=snap["events"],
    )
    assert set(new.symbols) == {"ORCL", "CRWV", "AMD", "NVDA"}
    assert (new.names["method"] == "creditgrades_calibrated").any()  # the quotes calibrate
    assert (new.names["debt_bridged"] > 0).any()  # a debt raise is bridged
    assert_same_panel(old, new)


VARIANTS: list[dict[str, Any]] = [
    {},
    {"vol_estimator": "squared", "vol_method": "window", "oas_prior_weight": 0.0},
    {"vol_estimator": "medrv", "vol_method": "ewma", "fred_lag_sessions": 0},
    {"vol_estimator": "bipower", "vol_prior": "peers", "debt_includes_leases": True},
    {"vol_estimator": "truncated_up", "vol_prior": "none", "debt_include_unconfirmed": True},
    {"vol_estimator": "medrv_ewma", "band_vol_scale": (0.8, 1.2), "band_lbar": (0.4, 0.6), "band_lambda": (0.2, 0.4)},
    {"calibrate": False, "global_recovery": 0.7, "vol_scale_bounds": (0.9, 1.1), "vol_window": 120},
]


@pytest.mark.parametrize("overrides", VARIANTS, ids=[",".join(v) or "defaults" for v in VARIANTS])
def test_snapshot_panel_equals_the_old_path_under_other_parameters(snap, overrides):
    params = CreditParams(**overrides)
    end = "2025-07-31" if overrides.get("calibrate", True) else None  # a short CRWV history: pooling
    closes = snap["closes"] if end is None else snap["closes"].loc[:end]
    old, new = both_panels(
        closes,
        snap["fund"],
        snap["fred"][["DGS5", "DGS10"]],
        snap["fred"],
        snap["quotes"],
        params=params,
        adj_closes=snap["adj"],
        events=snap["events"],
    )
    assert new.symbols
    assert_same_panel(old, new)


def test_name_proxy_equals_the_old_path(snap):
    params = CreditParams()
    px = snap["closes"]["CRWV"]
    rate = old_spreads._rate_cc(snap["fred"], "DGS5", pd.DatetimeIndex(px.dropna().index))
    oas = snap["fred"]["BAMLH0A0HYM2"].dropna()
    ev = balance_sheet.debt_raise_events(snap["events"])
    kw: dict[str, Any] = dict(new_listing=True, events=ev, bucket_oas=oas)
    a, wa = old_spreads.compute_name_proxy(px, snap["fund"], rate, "CRWV", snap["quotes"], params, **kw)
    b, wb = spreads.compute_name_proxy(px, snap["fund"], rate, "CRWV", snap["quotes"], params, **kw)
    assert_same_frame(a, b, "CRWV")
    assert wa == wb


def test_balance_sheet_equals_the_old_path(snap):
    dates = pd.bdate_range("2023-06-01", "2026-03-31")
    for sym in ("ORCL", "CRWV", "AMD", "NVDA", "MSFT"):
        a, wa = old_bs.compute_balance_sheet_pit(snap["fund"], sym, dates)
        b, wb = balance_sheet.compute_balance_sheet_pit(snap["fund"], sym, dates)
        assert_same_frame(a, b, sym)
        assert wa == wb
        ev = balance_sheet.debt_raise_events(snap["events"])
        for unconfirmed in (False, True):
            x = old_bs.compute_debt_bridge(ev, a, sym, include_unconfirmed=unconfirmed)
            y = balance_sheet.compute_debt_bridge(ev, b, sym, include_unconfirmed=unconfirmed)
            pd.testing.assert_series_equal(x[0], y[0])
            pd.testing.assert_series_equal(x[1], y[1])


def test_benchmarks_equal_the_old_path(snap):
    fred, closes, adj = snap["fred"], snap["closes"], snap["adj"]
    gappy = closes.copy()
    gappy.loc[gappy.index[10:15], "IEF"] = np.nan  # sessions only one ETF has
    gappy.loc[gappy.index[:30], "LQD"] = np.nan  # a later start
    for c, a in ((closes, adj), (closes, None), (gappy, adj)):
        assert_same_frame(
            old_bench.compute_benchmarks(fred, c, adj_closes=a),
            benchmarks.compute_benchmarks(fred, c, adj_closes=a),
            "benchmarks",
        )


# ---------------------------------------------------------------- model functions


def test_equity_vol_equals_the_old_path_for_every_estimator():
    px = synthetic_universe(12, 700, seed=3)["closes"]
    px.iloc[300:303, 2] = np.nan  # a gap: the window must not bridge it
    for est in credit.VOL_ESTIMATORS:
        for method in ("window", "ewma", "blend"):
            kw: dict[str, Any] = dict(method=method, window=120, min_obs=40, estimator=est, skip_first=5)
            a, b = old_credit.compute_equity_vol(px, **kw), credit.compute_equity_vol(px, **kw)
            assert_same_frame(a, b, f"{est}/{method}")
            s = px.iloc[:, 4]
            pd.testing.assert_series_equal(
                old_credit.compute_equity_vol(s, **kw), credit.compute_equity_vol(s, **kw), rtol=RTOL
            )


def test_merton_and_implied_vol_equal_the_old_path():
    rng = np.random.default_rng(5)
    e = rng.lognormal(3, 1, 400)
    se = rng.uniform(0.05, 3.0, 400)  # very high volatilities: some elements need the root solver
    f = rng.lognormal(3, 1.5, 400)
    r = rng.uniform(0.0, 0.06, 400)
    e[:5] = [np.nan, -1.0, 0.0, 1.0, 1.0]
    se[5] = 0.0
    for x, y in zip(old_credit.merton_distance_to_default(e, se, f, r), credit.merton_distance_to_default(e, se, f, r)):
        np.testing.assert_allclose(y, x, rtol=RTOL, equal_nan=True)
    tgt = rng.uniform(1.0, 3000.0, 400)
    tgt[:3] = [np.nan, 0.0, 1e9]
    params = CreditParams()
    np.testing.assert_allclose(
        spreads.implied_equity_vol(e, f / 10, r, tgt, params),
        old_spreads.implied_equity_vol(e, f / 10, r, tgt, params),
        rtol=RTOL,
        equal_nan=True,
    )


# ---------------------------------------------------------------- a wide synthetic universe


def synthetic_universe(n: int, sessions: int, seed: int = 0) -> dict[str, Any]:
    """Random-walk closes of ``n`` names with filings, OAS and Treasury series, quotes and
    debt raises; some names list late, have gaps, odd filings or bad data on purpose."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2016-01-04", periods=sessions)
    syms = [f"N{i:03d}" for i in range(n)]
    vol = rng.uniform(0.012, 0.045, n)
    logp = np.cumsum(rng.normal(0, vol, (sessions, n)), axis=0) + np.log(rng.uniform(10, 300, n))
    closes = pd.DataFrame(np.exp(logp), index=idx, columns=syms)
    for j in range(0, n, 7):  # late listings
        closes.iloc[: int(rng.integers(50, sessions // 2)), j] = np.nan
    for j in range(3, n, 11):  # a few missing sessions
        k = int(rng.integers(100, sessions - 10))
        closes.iloc[k : k + 3, j] = np.nan
    fred = pd.DataFrame(
        {
            "DGS5": 250 + np.cumsum(rng.normal(0, 3, sessions)),
            "BAMLC0A0CM": 120 + np.cumsum(rng.normal(0, 1, sessions)).clip(-80, None),
            "BAMLH0A0HYM2": 400 + np.cumsum(rng.normal(0, 4, sessions)).clip(-250, None),
        },
        index=idx,
    )
    fred.iloc[rng.choice(sessions, sessions // 20, replace=False), 0] = np.nan  # unpublished days
    rows = []
    quarters = pd.date_range(idx[0] - pd.Timedelta(days=200), idx[-1], freq="QE")
    for j, s in enumerate(syms):
        shares = rng.uniform(1e8, 5e9)
        debt = rng.uniform(0.05, 2.0) * shares * float(np.exp(logp[0, j]))
        for q in quarters:
            debt *= rng.uniform(0.9, 1.15)
            st, lt = debt * 0.2, debt * 0.8
            row = {
                "symbol": s,
                "period_end": q,
                "filed_date": q + pd.Timedelta(days=int(rng.integers(25, 50))),
                "short_term_debt": st,
                "long_term_debt": lt,
                "total_debt": debt if j % 4 else np.nan,  # some report only the split
                "operating_lease_liabilities": debt * 0.1 if j % 3 == 0 else np.nan,
                "shares_outstanding": shares,
                "weighted_avg_basic_shares": shares * 0.99,
            }
            if j % 9 == 1 and rng.uniform() < 0.3:  # a filing without debt
                row.update(short_term_debt=np.nan, long_term_debt=np.nan, total_debt=np.nan)
            if j % 10 == 2 and q < quarters[len(quarters) // 2]:  # no point-in-time count yet
                row["shares_outstanding"] = np.nan
            rows.append(row)
    fund = pd.DataFrame(rows)
    fund = fund[~(fund["symbol"] == syms[5])]  # no filings at all
    fund.loc[(fund["symbol"] == syms[6]) & (fund["period_end"] > quarters[-6]), "total_debt"] = 0.0  # zero debt
    if n > 8:
        closes.iloc[sessions // 2, 8] = -1.0  # a bad print
    if n > 9:
        closes.iloc[: sessions - 40, 9] = np.nan  # too short to model
    qrows = []
    for s in syms[: n // 3 : 2]:
        for d in rng.choice(idx[sessions // 3 :], 4, replace=False):
            qrows.append({"entity": s, "date": d, "tenor": "5Y", "spread_bp": float(rng.uniform(40, 900))})
    qrows.append({"entity": syms[0], "date": idx[-5], "tenor": "3Y", "spread_bp": 50.0})  # other tenor
    events = [
        {
            "event_id": f"E{k}",
            "announce_date": str(idx[int(rng.integers(sessions // 2, sessions))].date()),
            "timing": ["pre", "intraday", "post", "unknown"][k % 4],
            "tickers": syms[k % n],
            "event_type": "debt_raise",
            "amount_usd": float(rng.uniform(1e8, 5e9)),
            "date_confirmed": "no" if k % 5 == 0 else "yes",
        }
        for k in range(0, 3 * n, 2)
    ]
    classes = tuple((s, "ig" if j % 3 else "hy") for j, s in enumerate(syms) if j % 13 != 12)
    buckets = {s: ("BAMLC0A0CM" if c == "ig" else "BAMLH0A0HYM2") for s, c in classes}
    params = CreditParams(vol_prior_symbols=tuple(syms), risk_classes=classes, min_vol_observations=60)
    return {
        "closes": closes,
        "fred": fred,
        "fund": fund,
        "quotes": pd.DataFrame(qrows),
        "events": events,
        "params": params,
        "buckets": buckets,
        "symbols": syms,
    }


@pytest.fixture(scope="module")
def universe() -> dict[str, Any]:
    # 27 names: every special case of synthetic_universe occurs (the last, a name without a risk
    # class, is N025); an odd count gives every name a catalog event; the old path costs ~0.1 s a name
    return synthetic_universe(27, 700)


@pytest.mark.slow  # 27 names x 700 sessions through both implementations: ~3 s
def test_wide_universe_panel_equals_the_old_path(universe):
    u = universe
    old, new = both_panels(
        u["closes"],
        u["fund"],
        u["fred"],
        u["fred"],
        u["quotes"],
        symbols=u["symbols"],
        bucket_map=u["buckets"],
        params=u["params"],
        events=u["events"],
    )
    # every path is exercised: pooled late listings, peers of both classes, skips, calibrations
    assert set(new.skipped) == {"N005", "N008", "N009"}  # no filing with debt, a bad print, too short
    assert list(new.symbols) == [s for s in u["symbols"] if s not in new.skipped]
    assert not {s for s, _ in u["params"].risk_classes} >= set(new.symbols)  # names without a class
    warned = " | ".join(new.warnings)
    for case in (
        "pooled with its hy peers",
        "pooled with its ig peers",
        "no point-in-time share count filed yet",
        "report no debt; the previous filing's debt is used",
        "debt is zero from",
        "is at its bound",
    ):
        assert case in warned, case
    assert (new.names["vol_prior_weight"] > 0).any()
    assert (new.names["method"] == "creditgrades_calibrated").any()
    assert (new.names["debt_bridged"] > 0).any()
    assert_same_panel(old, new)


def test_wide_universe_without_the_rate_series_skips_every_name_alike(universe):
    u = universe
    old, new = both_panels(
        u["closes"].iloc[:, :12],
        u["fund"],
        u["fred"].drop(columns="DGS5"),
        None,
        symbols=u["symbols"][:12],
        params=u["params"],
    )
    assert set(new.skipped) == set(u["symbols"][:12])
    assert_same_panel(old, new)


@pytest.mark.filterwarnings("ignore:Could not infer format")
def test_an_unreadable_date_is_a_data_error(universe):
    u = universe
    fund = u["fund"].astype({"filed_date": object})
    fund.iloc[0, fund.columns.get_loc("filed_date")] = "not a date"
    with pytest.raises(DataError, match="fundamentals"):
        spreads.compute_spread_panel(u["closes"], fund, u["fred"], symbols=u["symbols"][:3], params=u["params"])
    q = u["quotes"].astype({"date": object})
    q.iloc[0, q.columns.get_loc("date")] = "31/31/2025"
    with pytest.raises(DataError, match="CDS quotes"):
        spreads.compute_spread_panel(u["closes"], u["fund"], u["fred"], None, q, symbols=u["symbols"][:3])


def test_one_name_alone_is_the_same_as_in_a_wide_panel(universe):
    # linear in names: a name's numbers do not depend on which other names are modelled
    # beyond its class peers (same candidates, so the same prior)
    u = universe
    kw: dict[str, Any] = dict(bucket_map=u["buckets"], params=u["params"], events=u["events"])
    args = (u["closes"], u["fund"], u["fred"], u["fred"], u["quotes"])
    wide = spreads.compute_spread_panel(*args, symbols=u["symbols"], **kw)
    alone = spreads.compute_spread_panel(*args, symbols=["N014"], **kw)
    # (the unit of calibrated_on follows the panel's mix of names, as before: compare values)
    a = wide.frame("N014").reset_index(drop=True).astype({"calibrated_on": "datetime64[ns]"})
    b = alone.frame("N014").reset_index(drop=True).astype({"calibrated_on": "datetime64[ns]"})
    assert_same_frame(a, b, "N014")
    assert math.isfinite(float(b["spread_bp"].iloc[-1]))


def test_panel_series_is_the_names_frame_filtered(universe):
    # SpreadPanel.series reads positions kept per symbol: the same Series as filtering
    u = universe
    panel = spreads.compute_spread_panel(
        u["closes"], u["fund"], u["fred"], u["fred"], u["quotes"], symbols=u["symbols"][:20], params=u["params"]
    )
    for sym in [*panel.symbols, "ABSENT"]:
        for col in ("spread_bp", "equity_vol", "dd_merton", "method", "calibrated_on"):
            n = panel.names[panel.names["symbol"] == sym]
            want = n.set_index("date")[col].dropna().rename(sym)
            pd.testing.assert_series_equal(panel.series(sym, col), want, check_exact=True)


def test_lag_to_sessions_equals_the_old_path():
    # daily observations (several land on one session after a holiday or weekend) or
    # business-day ones (one per session): the same frame either way
    rng = np.random.default_rng(0)
    sessions = pd.bdate_range("2024-01-01", periods=300).delete([20, 21, 50])
    fr = pd.DataFrame(
        rng.normal(size=(400, 3)), index=pd.date_range("2023-12-20", periods=400, freq="D"), columns=list("abc")
    )
    fr.iloc[::7, 1] = np.nan
    for lag in (0, 1, 2):
        for f in (fr, fr.iloc[::3], fr[fr.index.day_of_week < 5]):
            want = old_spreads.lag_to_sessions(f, sessions, lag)
            pd.testing.assert_frame_equal(spreads.lag_to_sessions(f, sessions, lag), want, check_exact=True)


def test_implied_vol_memo_returns_what_the_bisection_returns(monkeypatch):
    # a second call with overlapping inputs takes the shared elements from the memo: the
    # numbers are the bisection's, and the memo never grows past its size
    rng = np.random.default_rng(9)
    p, d = rng.lognormal(3, 0.5, 300), rng.lognormal(2, 1, 300)
    r, t = rng.uniform(0, 0.05, 300), rng.uniform(50, 900, 300)
    t[:3] = [np.nan, 0.0, -1.0]
    params = CreditParams()
    monkeypatch.setattr(spreads, "_IMPLIED_MEMO", {})
    monkeypatch.setattr(spreads, "IMPLIED_MEMO_SIZE", 400)

    def direct(sl: slice) -> np.ndarray:
        return credit.creditgrades_implied_vol(p[sl], d[sl], r[sl], t[sl])

    first = spreads.implied_equity_vol(p[:200], d[:200], r[:200], t[:200], params)
    again = spreads.implied_equity_vol(p[100:], d[100:], r[100:], t[100:], params)  # half remembered
    np.testing.assert_array_equal(first, direct(slice(0, 200)))
    np.testing.assert_array_equal(again, direct(slice(100, 300)))
    assert sum(len(m) for m in spreads._IMPLIED_MEMO.values()) <= 400
    np.testing.assert_array_equal(first, old_spreads.implied_equity_vol(p[:200], d[:200], r[:200], t[:200], params))

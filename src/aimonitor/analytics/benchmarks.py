"""Market credit benchmarks in bp: FRED ICE BofA OAS and duration-hedged credit-ETF proxies.

Pure pandas (no I/O). ``HYG-IEF`` / ``LQD-IEF`` (method ``etf_duration_excess_bp``): the
cumulative duration-hedged excess return of the credit ETF over IEF, divided by the
credit ETF's spread duration and sign-flipped, in bp. It is an *index of relative
performance* (0 at the first common session): its changes approximate OAS changes, its
level is not a spread. With total-return closes the distribution carry is removed using
the trailing-year distribution yield.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from aimonitor.analytics import credit

OAS_SERIES = ("BAMLC0A0CM", "BAMLC0A4CBBB", "BAMLH0A0HYM2")
#: Approximate effective durations (years) of the bond ETFs (iShares fact sheets, 2025).
ETF_DURATIONS: dict[str, float] = {"HYG": 3.1, "LQD": 8.3, "IEF": 7.1}
ETF_PAIRS: dict[str, tuple[str, str]] = {"HYG-IEF": ("HYG", "IEF"), "LQD-IEF": ("LQD", "IEF")}
ETF_METHOD = "etf_duration_excess_bp"


def _wide(frame: pd.DataFrame | None) -> pd.DataFrame:
    """A copy with a sorted tz-naive DatetimeIndex (accepts a ``date`` column too); a frame
    already so is returned as is (analytics.spreads reads its inputs with it too)."""
    if frame is None or len(frame) == 0:
        return pd.DataFrame(index=pd.DatetimeIndex([]))
    idx = frame.index
    wide = "date" not in frame.columns and isinstance(idx, pd.DatetimeIndex) and idx.tz is None
    if wide and idx.is_monotonic_increasing:
        return frame  # already wide and sorted: read as is (never modified here)
    f = frame.copy()
    if "date" in f.columns:
        f = f.set_index("date")
    idx = pd.DatetimeIndex(pd.to_datetime(f.index))
    f.index = idx.tz_localize(None) if idx.tz is not None else idx
    return f.sort_index()


def _shift1(x: np.ndarray) -> np.ndarray:
    """``Series.shift(1)`` of a float array."""
    return np.concatenate([[np.nan], x[:-1]]) if len(x) else x


def _bfill(x: np.ndarray) -> np.ndarray:
    """``Series.bfill()`` of a float array: each NaN takes the next non-NaN value."""
    n = len(x)
    nxt = np.where(np.isnan(x), n, np.arange(n))
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]
    return np.where(nxt < n, x[np.minimum(nxt, n - 1)], np.nan) if n else x


def compute_etf_spread_proxy(
    credit_px: pd.Series,
    treasury_px: pd.Series,
    *,
    credit_duration: float,
    treasury_duration: float,
    credit_tr: pd.Series | None = None,
    treasury_tr: pd.Series | None = None,
) -> pd.Series:
    """ETF spread proxy in bp: a duration-hedged relative-performance index.

    Parameters
    ----------
    credit_px, treasury_px : Series
        Unadjusted closes of the credit ETF (HYG, LQD) and the Treasury ETF (IEF).
    credit_duration, treasury_duration : float
        Effective durations (years).
    credit_tr, treasury_tr : Series, optional
        Total-return closes (``adj_close``). When both are given, daily total returns are
        used net of a carry equal to the trailing-year distribution yield (distributions
        recovered from the ``adj_close/close`` steps), which spreads each ex-date drop
        over the year instead of showing it as a jump.

    Returns
    -------
    Series
        ``-1e4 · Σ (r_c - (D_c/D_t) r_t) / D_c``, 0 at the first common session. Changes
        approximate changes in the credit ETF's spread over Treasuries; the level is not
        a spread.
    """

    def returns(px: pd.Series, tr: pd.Series | None) -> tuple[pd.Index, np.ndarray]:
        v = px.to_numpy(dtype=float)
        keep = ~np.isnan(v)
        idx, p = px.index[keep], v[keep]
        r_px = p / _shift1(p) - 1.0
        if tr is None:
            return idx, r_px
        t = tr.reindex(idx).to_numpy(dtype=float)
        r_tr = t / _shift1(t) - 1.0
        # distribution per share on each day: total return minus price return, times price
        dist = (r_tr - r_px) * _shift1(p)
        dist = np.where(dist < 0.0, 0.0, dist)  # as Series.clip(lower=0): NaN and -0.0 kept
        yld = pd.Series(dist).rolling(credit.TRADING_DAYS, min_periods=20).sum().to_numpy() / p
        return idx, r_tr - _bfill(_shift1(yld)) / credit.TRADING_DAYS

    use_tr = credit_tr is not None and treasury_tr is not None
    ci, rc = returns(credit_px, credit_tr if use_tr else None)
    ti, rt = returns(treasury_px, treasury_tr if use_tr else None)
    # the sessions both have (in the credit ETF's order), then rows with both returns
    if ci.equals(ti):
        common, a, b = ci, rc, rt
    else:
        common = ci.intersection(ti, sort=False)
        a, b = rc[ci.get_indexer(common)], rt[ti.get_indexer(common)]
    keep = ~np.isnan(a) & ~np.isnan(b)
    if not keep.any():
        return pd.Series(dtype=float)
    common, a, b = common[keep], a[keep], b[keep]
    beta = credit_duration / treasury_duration
    excess = a - beta * b
    idx = -1e4 * np.cumsum(excess) / credit_duration
    # the index is 0 on the session before the first return, then accumulates
    prev = ci[ci < common[0]]
    if len(prev):
        return pd.Series(np.concatenate([[0.0], idx]), index=common.insert(0, prev[-1]).rename(None))
    return pd.Series(idx, index=common)


def compute_benchmarks(
    fred: pd.DataFrame | None,
    closes: pd.DataFrame | None = None,
    *,
    adj_closes: pd.DataFrame | None = None,
    durations: Mapping[str, float] = ETF_DURATIONS,
) -> pd.DataFrame:
    """Market credit benchmarks in bp, one column per series.

    Parameters
    ----------
    fred : DataFrame
        FRED series in bp (date index, a column per series); the OAS series are kept.
    closes : DataFrame, optional
        Unadjusted closes incl. HYG, LQD, IEF for the ETF proxies.
    adj_closes : DataFrame, optional
        Total-return closes for the same ETFs (carry-corrected ETF proxies).
    durations : mapping
        ETF effective durations.

    Returns
    -------
    DataFrame
        Date index; OAS columns as published (bp) and ``HYG-IEF``/``LQD-IEF`` proxies.
    """
    parts: list[pd.Series] = []
    f = _wide(fred)
    for s in OAS_SERIES:
        if s in f.columns:
            parts.append(f[s].dropna().astype(float).rename(s))
    c = _wide(closes)
    a = _wide(adj_closes) if adj_closes is not None else None
    for name, (cr, tr) in ETF_PAIRS.items():
        if cr in c.columns and tr in c.columns:
            has_tr = a is not None and cr in a.columns and tr in a.columns
            s = compute_etf_spread_proxy(
                c[cr],
                c[tr],
                credit_duration=durations[cr],
                treasury_duration=durations[tr],
                credit_tr=a[cr] if a is not None and has_tr else None,
                treasury_tr=a[tr] if a is not None and has_tr else None,
            )
            parts.append(s.rename(name))
    if not parts:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    if all(p.index.is_unique for p in parts):
        # the outer join of pd.concat(parts, axis=1, sort=True): the sorted union of the dates
        union = parts[0].index
        for p in parts[1:]:
            if not union.equals(p.index):
                union = union.union(p.index)
        union = union.sort_values()
        out = pd.DataFrame({p.name: p.reindex(union).to_numpy() for p in parts}, index=union)
    else:
        out = pd.concat(parts, axis=1, sort=True).sort_index()
    out.index.name = "date"
    return out

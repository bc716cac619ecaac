"""Point-in-time balance sheet of a company: debt and share count on each session.

Pure pandas (no I/O, no clock). Every value on session ``t`` uses only what was known at
``t``'s close:

* debt from the latest filing with ``filed_date <= t`` that reports debt (``total_debt``,
  else ``short_term_debt + long_term_debt``). A later filing whose debt is blank leaves
  the previous filing's figure in use, with a warning.
* **debt between filings**: a debt raise (bond, loan, private credit) announced in the
  event catalog with an amount (``event_type`` containing ``debt_raise``, one ticker,
  ``amount_usd``) is added to the filed debt from its first tradable session (the
  announcement session for ``pre``/``intraday`` news, the next session otherwise) until
  the first filing whose period ends on or after the announcement includes it. Events
  whose ``date_confirmed`` is ``no`` (reported talks, loans to third parties building
  sites leased to the company) count only with ``include_unconfirmed=True``: they are
  mostly off-balance-sheet commitments.
* shares: the latest point-in-time count filed on or before ``t``; if none yet, the
  weighted-average basic count of the latest filing that has one (with a warning).

Every look-up is a binary search of the session dates in the filing dates (one sorted
set of filing dates per field: the filings that report it).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

_NUMERIC = (
    "short_term_debt",
    "long_term_debt",
    "total_debt",
    "shares_outstanding",
    "weighted_avg_basic_shares",
    "operating_lease_liabilities",
)


def fundamentals_of(fundamentals: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """One company's filings, typed and sorted by filing date."""
    f = fundamentals[fundamentals["symbol"] == symbol].copy()
    for c in ("period_end", "filed_date"):
        f[c] = pd.to_datetime(f[c])
    for c in _NUMERIC:
        f[c] = pd.to_numeric(f[c], errors="coerce") if c in f.columns else np.nan
    return f.sort_values(["filed_date", "period_end"]).reset_index(drop=True)


def asof_join(dates: pd.DatetimeIndex, rows: pd.DataFrame, on: str, cols: Iterable[str]) -> pd.DataFrame:
    """For each date, ``on`` and ``cols`` of the last row with ``rows[on] <= date`` (NaN if none).

    One :func:`pandas.merge_asof` (rows with the same ``on`` date: the last one wins).
    """
    cols = list(cols)
    idx = pd.DatetimeIndex(dates)
    left = pd.DataFrame({"_d": idx.as_unit("ns")})
    if rows.empty:
        out = pd.DataFrame({on: pd.NaT, **{c: np.nan for c in cols}}, index=idx)
        return out[[on, *cols]]
    right = rows[[on, *cols]].copy()
    right[on] = pd.to_datetime(right[on]).dt.as_unit("ns")
    right = right.dropna(subset=[on]).sort_values(on, kind="stable").drop_duplicates(on, keep="last")
    right["_d"] = right[on]
    left["_o"] = np.arange(len(left))
    merged = pd.merge_asof(left.sort_values("_d"), right, on="_d", direction="backward").sort_values("_o")
    merged.index = idx
    return merged[[on, *cols]]


def to_ns(values: Any) -> np.ndarray:
    """Datetimes as int64 nanoseconds (NaT as the smallest int64, before every date)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[ns]").view("i8")
    if isinstance(values, pd.DatetimeIndex) and values.tz is None:
        return values.as_unit("ns").asi8
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def asof_positions(keys_ns: np.ndarray, dates_ns: np.ndarray) -> np.ndarray:
    """Row of the last key ``<= date`` for each date (-1 if none), as :func:`asof_join` picks it.

    ``keys_ns`` must be sorted (stably, NaT rows removed); among equal keys the last row wins.
    """
    return np.searchsorted(keys_ns, dates_ns, side="right") - 1


def _take(values: np.ndarray, pos: np.ndarray, fill: Any) -> np.ndarray:
    if len(values) == 0:
        return np.full(len(pos), fill, dtype=values.dtype if values.dtype.kind == "M" else float)
    out = values[np.maximum(pos, 0)]
    if out.dtype.kind not in "fM":
        out = out.astype(float)
    out[pos < 0] = fill
    return out


_NAT = np.iinfo(np.int64).min


def filing_arrays(filings: pd.DataFrame) -> dict[str, np.ndarray]:
    """One company's typed, sorted filings (:func:`fundamentals_of`) as numpy arrays:
    ``filed`` (int64 ns, NaT smallest), ``period`` (datetime64) and the numeric fields."""
    out = {c: filings[c].to_numpy(dtype=float) for c in _NUMERIC}
    out["filed"] = to_ns(filings["filed_date"])
    out["period"] = filings["period_end"].to_numpy()
    return out


def filing_arrays_by_symbol(fundamentals: pd.DataFrame, symbols: Iterable[str]) -> dict[str, dict[str, np.ndarray]]:
    """:func:`filing_arrays` of :func:`fundamentals_of` for each symbol, the frame typed once."""
    want = list(symbols)
    if len(fundamentals) == 0 or "symbol" not in fundamentals.columns:
        return {}
    f = fundamentals[fundamentals["symbol"].isin(want)]
    period = pd.to_datetime(f["period_end"]).to_numpy() if "period_end" in f.columns else None
    filed = to_ns(pd.to_datetime(f["filed_date"])) if "filed_date" in f.columns else None
    if period is None or filed is None:
        raise KeyError("period_end" if period is None else "filed_date")
    nums = {
        c: pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=float) if c in f.columns else np.full(len(f), np.nan)
        for c in _NUMERIC
    }
    sym = f["symbol"].to_numpy()
    big = np.iinfo(np.int64).max
    per_key = np.where(pd.isna(period), big, to_ns(period))
    fil_key = np.where(filed == _NAT, big, filed)
    out: dict[str, dict[str, np.ndarray]] = {}
    # each symbol's rows in row order: grouped by one stable sort, not one scan per symbol
    codes, uniques = pd.factorize(sym)
    by_code = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[by_code], np.arange(len(uniques) + 1))
    group = {u: by_code[bounds[k] : bounds[k + 1]] for k, u in enumerate(uniques)}
    for s in dict.fromkeys(want):
        rows = group.get(s)
        if rows is None or not len(rows):
            continue
        # as fundamentals_of sorts: by filing date, then period end, NaT last, ties kept in order
        rows = rows[np.lexsort((per_key[rows], fil_key[rows]))]
        out[s] = {c: v[rows] for c, v in nums.items()} | {"filed": filed[rows], "period": period[rows]}
    return out


def _asof_field(f: Mapping[str, np.ndarray], field: str, dates_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filing date (ns) and value of the last filing reporting ``field`` on each date."""
    rows = ~np.isnan(f[field]) & (f["filed"] != _NAT)
    keys = f["filed"][rows]
    pos = asof_positions(keys, dates_ns)
    return _take(keys.view("M8[ns]"), pos, np.datetime64("NaT")), _take(f[field][rows], pos, np.nan)


def balance_sheet_arrays(
    f: Mapping[str, np.ndarray], symbol: str, dates: pd.DatetimeIndex
) -> tuple[dict[str, Any], list[str]]:
    """:func:`compute_balance_sheet_pit` as numpy arrays, from one company's :func:`filing_arrays`.

    Keys: ``total_debt``, ``default_point``, ``debt_filed`` (datetime64[ns]), ``debt_period``,
    ``shares``, ``shares_kind`` (object: ``"count"``, ``"weighted_avg"`` or None),
    ``shares_filed``, ``operating_leases``.
    """
    warns: list[str] = []
    d_ns = to_ns(dates)
    st, lt, tot = f["short_term_debt"], f["long_term_debt"], f["total_debt"]
    total = np.where(np.isnan(tot), st + lt, tot)
    dp = np.where(~np.isnan(st) & ~np.isnan(lt), st + 0.5 * lt, total)
    filed_ok = f["filed"] != _NAT
    has = ~np.isnan(total) & filed_ok
    keys = f["filed"][has]
    pos = asof_positions(keys, d_ns)
    debt_filed = _take(keys.view("M8[ns]"), pos, np.datetime64("NaT"))
    # no filing with debt at all: a float NaN column, as the merge of no rows gave it
    debt_period = _take(f["period"][has], pos, np.datetime64("NaT")) if len(keys) else np.full(len(dates), np.nan)
    total_d = _take(total[has], pos, np.nan)
    dp_d = _take(dp[has], pos, np.nan)
    any_keys = f["filed"][filed_ok]
    any_pos = asof_positions(any_keys, d_ns)
    stale = np.zeros(len(dates), dtype=bool)
    if len(keys):  # a later filing without debt than the one whose debt is in use
        stale = (pos >= 0) & (any_keys[np.maximum(any_pos, 0)] > keys[np.maximum(pos, 0)])
    if stale.any():
        latest_period = pd.DatetimeIndex(f["period"][filed_ok][any_pos[stale]])
        periods = sorted({p.date().isoformat() for p in latest_period})
        on = dates[stale]
        warns.append(
            f"{symbol}: filing(s) for period {', '.join(periods)} report no debt; the previous "
            f"filing's debt is used from {on[0].date()} to {on[-1].date()}"
        )
    c_filed, count = _asof_field(f, "shares_outstanding", d_ns)
    w_filed, wavg = _asof_field(f, "weighted_avg_basic_shares", d_ns)
    _, leases = _asof_field(f, "operating_lease_liabilities", d_ns)
    use_w = np.isnan(count) & ~np.isnan(wavg)
    if use_w.any():
        on = dates[use_w]
        warns.append(
            f"{symbol}: no point-in-time share count filed yet; weighted-average basic shares used "
            f"from {on[0].date()} to {on[-1].date()}"
        )
    kind = np.full(len(dates), None, dtype=object)
    kind[~np.isnan(count)] = "count"
    kind[use_w] = "weighted_avg"
    return {
        "total_debt": total_d,
        "default_point": dp_d,
        "debt_filed": debt_filed,
        "debt_period": debt_period,
        "shares": np.where(use_w, wavg, count),
        "shares_kind": kind,
        "shares_filed": np.where(use_w, w_filed, c_filed),
        "operating_leases": np.where(np.isnan(leases), 0.0, leases),
    }, warns


def compute_balance_sheet_pit(
    fundamentals: pd.DataFrame, symbol: str, dates: pd.DatetimeIndex
) -> tuple[pd.DataFrame, list[str]]:
    """Point-in-time filed debt and share count of one company on each date.

    Parameters
    ----------
    fundamentals : DataFrame
        Columns of the snapshot's ``fundamentals.csv`` (any symbols).
    symbol : str
        The company.
    dates : DatetimeIndex
        Sessions to evaluate.

    Returns
    -------
    (DataFrame, list of str)
        Index ``dates``; columns ``total_debt``, ``default_point`` (current + ½ long-term
        debt, or total debt when the split is missing), ``debt_filed``, ``debt_period``,
        ``shares``, ``shares_kind`` (``"count"``/``"weighted_avg"``), ``shares_filed``,
        ``operating_leases`` (latest filed operating lease liabilities, 0 if none); and
        the warnings raised (stale debt, weighted-average shares). NaN before any filing.
    """
    dates = pd.DatetimeIndex(dates)
    a, warns = balance_sheet_arrays(filing_arrays(fundamentals_of(fundamentals, symbol)), symbol, dates)
    out = pd.DataFrame(
        {
            "total_debt": a["total_debt"],
            "default_point": a["default_point"],
            "debt_filed": a["debt_filed"],
            "debt_period": a["debt_period"],
            "shares": a["shares"],
            "shares_kind": pd.Series(a["shares_kind"], index=dates, dtype=pd.Series(["count"]).dtype),
            "shares_filed": a["shares_filed"],
            "operating_leases": a["operating_leases"],
        },
        index=dates,
    )
    return out, warns


# ---------------------------------------------------------------------------- debt between filings


@functools.lru_cache(maxsize=4096)
def _parse_day_cached(value: Any) -> pd.Timestamp:
    return pd.to_datetime(value, errors="coerce")


def _parse_day(value: Any) -> pd.Timestamp:
    """``pd.to_datetime(value, errors="coerce")``, remembered for the same text or date
    (the same catalog is read on every cycle)."""
    try:
        return _parse_day_cached(value)
    except TypeError:  # unhashable
        return pd.to_datetime(value, errors="coerce")


def debt_raise_events(events: Iterable[Mapping[str, Any]] | pd.DataFrame | None) -> pd.DataFrame:
    """Normalise catalog/imported events to the debt raises that can enter ``D``.

    Parameters
    ----------
    events : iterable of mappings or DataFrame, optional
        Event records with ``event_id, announce_date, timing, tickers`` (``;``-separated
        or a list), ``event_type`` (``;``-separated), ``amount_usd`` and optionally
        ``date_confirmed``.

    Returns
    -------
    DataFrame
        ``event_id, symbol, announce_date, timing, amount_usd, confirmed`` for events
        typed ``debt_raise`` with one ticker, a date and a positive amount (aggregates
        over several companies cannot be attributed and are left out).
    """
    cols = ["event_id", "symbol", "announce_date", "timing", "amount_usd", "confirmed"]
    if events is None:
        return pd.DataFrame(columns=cols)
    recs = events.to_dict("records") if isinstance(events, pd.DataFrame) else list(events)
    out = []
    for e in recs:
        types = str(e.get("event_type") or "").replace(",", ";").split(";")
        if "debt_raise" not in [t.strip() for t in types]:
            continue
        tick = e.get("tickers")
        ticks = [t.strip().upper() for t in (tick if isinstance(tick, list | tuple) else str(tick or "").split(";"))]
        ticks = [t for t in ticks if t and t.lower() != "nan"]
        try:
            amt = float(str(e.get("amount_usd")))
        except (TypeError, ValueError):
            continue
        day = _parse_day(e.get("announce_date"))
        if len(ticks) != 1 or not math.isfinite(amt) or amt <= 0 or pd.isna(day):
            continue
        conf = str(e.get("date_confirmed")).strip().lower() not in ("no", "0", "0.0", "false")
        out.append([str(e.get("event_id")), ticks[0], day, str(e.get("timing") or "unknown"), amt, conf])
    return pd.DataFrame(out, columns=cols)


def compute_debt_bridge(
    events: pd.DataFrame,
    balance_sheet: pd.DataFrame,
    symbol: str,
    *,
    include_unconfirmed: bool = False,
) -> tuple[pd.Series, pd.Series]:
    """Debt announced after the filing in use, on each session (USD), point in time.

    Parameters
    ----------
    events : DataFrame
        From :func:`debt_raise_events`.
    balance_sheet : DataFrame
        From :func:`compute_balance_sheet_pit` (index = sessions; ``debt_period``).
    symbol : str
        The company.
    include_unconfirmed : bool, default False
        Also count events whose date/fact is not confirmed (mostly off-balance-sheet).

    Returns
    -------
    (Series, Series)
        The bridged amount on each session, and the ids of the events counted
        (``;``-joined, empty string when none).
    """
    dates = pd.DatetimeIndex(balance_sheet.index)
    ev = events[events["symbol"] == symbol] if len(events) else events
    total, ids = bridge_arrays(ev, dates, to_ns(balance_sheet["debt_period"]), include_unconfirmed=include_unconfirmed)
    return pd.Series(total, index=dates), pd.Series(ids, index=dates)


def bridge_arrays(
    events: pd.DataFrame, dates: pd.DatetimeIndex, period_ns: np.ndarray, *, include_unconfirmed: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`compute_debt_bridge` on arrays: ``events`` are one company's, ``period_ns`` the
    period end (int64 ns, NaT smallest) of the filing in use on each of ``dates``."""
    total = np.zeros(len(dates))
    ids = np.array([""] * len(dates), dtype=object)
    if len(events) == 0:
        return total, ids
    rows = np.arange(len(dates))
    for e in events.itertuples(index=False):
        if not (e.confirmed or include_unconfirmed):
            continue
        day = pd.Timestamp(e.announce_date)
        side = "left" if e.timing in ("pre", "intraday") else "right"
        first = dates.searchsorted(day, side=side)
        # a filing whose period ends on or after the announcement includes the raise (NaT: no filing)
        included = (period_ns >= day.as_unit("ns").value) & (period_ns != np.iinfo(np.int64).min)
        on = (rows >= first) & ~included
        total[on] += e.amount_usd
        ids[on] = [f"{x};{e.event_id}" if x else e.event_id for x in ids[on]]
    return total, ids

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

All look-ups are one ``pandas.merge_asof`` per field.
"""

from __future__ import annotations

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
    f = fundamentals_of(fundamentals, symbol)
    warns: list[str] = []
    st, lt, tot = f["short_term_debt"], f["long_term_debt"], f["total_debt"]
    f["_total"] = tot.where(tot.notna(), st + lt)
    f["_dp"] = (st + 0.5 * lt).where(st.notna() & lt.notna(), f["_total"])
    debt_rows = f[f["_total"].notna()].rename(columns={"filed_date": "debt_filed", "period_end": "debt_period"})
    d = asof_join(dates, debt_rows, "debt_filed", ["debt_period", "_total", "_dp"])
    latest = asof_join(dates, f.rename(columns={"filed_date": "any_filed"}), "any_filed", ["period_end"])
    stale = d["debt_filed"].notna() & (latest["any_filed"] > d["debt_filed"])
    if stale.any():
        periods = sorted({p.date().isoformat() for p in latest.loc[stale, "period_end"]})
        warns.append(
            f"{symbol}: filing(s) for period {', '.join(periods)} report no debt; the previous "
            f"filing's debt is used from {stale[stale].index[0].date()} to {stale[stale].index[-1].date()}"
        )
    c = asof_join(
        dates,
        f[f["shares_outstanding"].notna()].rename(columns={"filed_date": "count_filed"}),
        "count_filed",
        ["shares_outstanding"],
    )
    w = asof_join(
        dates,
        f[f["weighted_avg_basic_shares"].notna()].rename(columns={"filed_date": "w_filed"}),
        "w_filed",
        ["weighted_avg_basic_shares"],
    )
    leases = asof_join(
        dates,
        f[f["operating_lease_liabilities"].notna()].rename(columns={"filed_date": "l_filed"}),
        "l_filed",
        ["operating_lease_liabilities"],
    )["operating_lease_liabilities"]
    use_w = c["shares_outstanding"].isna() & w["weighted_avg_basic_shares"].notna()
    if use_w.any():
        warns.append(
            f"{symbol}: no point-in-time share count filed yet; weighted-average basic shares used "
            f"from {use_w[use_w].index[0].date()} to {use_w[use_w].index[-1].date()}"
        )
    out = pd.DataFrame(
        {
            "total_debt": d["_total"].astype(float),
            "default_point": d["_dp"].astype(float),
            "debt_filed": d["debt_filed"],
            "debt_period": d["debt_period"],
            "shares": c["shares_outstanding"].where(~use_w, w["weighted_avg_basic_shares"]).astype(float),
            "shares_kind": pd.Series("count", index=dates)
            .where(c["shares_outstanding"].notna(), None)
            .where(~use_w, "weighted_avg"),
            "shares_filed": c["count_filed"].where(~use_w, w["w_filed"]),
            "operating_leases": leases.astype(float).fillna(0.0),
        },
        index=dates,
    )
    return out, warns


# ---------------------------------------------------------------------------- debt between filings


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
        day = pd.to_datetime(e.get("announce_date"), errors="coerce")
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
    total = np.zeros(len(dates))
    ids = np.array([""] * len(dates), dtype=object)
    ev = events[events["symbol"] == symbol] if len(events) else events
    period = pd.to_datetime(balance_sheet["debt_period"])
    for e in ev.itertuples(index=False):
        if not (e.confirmed or include_unconfirmed):
            continue
        day = pd.Timestamp(e.announce_date)
        side = "left" if e.timing in ("pre", "intraday") else "right"
        first = dates.searchsorted(day, side=side)
        on = (np.arange(len(dates)) >= first) & ~(period >= day).to_numpy()
        total[on] += e.amount_usd
        ids[on] = [f"{x};{e.event_id}" if x else e.event_id for x in ids[on]]
    return pd.Series(total, index=dates), pd.Series(ids, index=dates)

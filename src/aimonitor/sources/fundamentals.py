"""Load quarterly debt and share counts from a fundamentals CSV (the snapshot's format).

Columns (see the snapshot's PROVENANCE): ``symbol, period_end, filed_date,
short_term_debt, long_term_debt, total_debt, operating_lease_liabilities,
shares_outstanding, source, notes, shares_as_of, shares_basis,
weighted_avg_basic_shares, shares_source``. Only ``symbol``, ``period_end`` and
``filed_date`` are required; a blank number stays missing (NaN): nothing is filled in.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path

import pandas as pd

from aimonitor.csvsafe import read_csv_rows
from aimonitor.errors import DataError

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("symbol", "period_end", "filed_date")
NUMBER_COLUMNS = (
    "short_term_debt",
    "long_term_debt",
    "total_debt",
    "operating_lease_liabilities",
    "shares_outstanding",
    "weighted_avg_basic_shares",
)
DATE_COLUMNS = ("period_end", "filed_date", "shares_as_of")
TEXT_COLUMNS = ("source", "notes", "shares_basis", "shares_source")
#: |total - (short + long)| above this fraction of the total is an inconsistent row.
_TOTAL_TOLERANCE = 0.005


def _number(text: str, col: str, where: str) -> float:
    t = text.strip().replace(",", "")
    if t == "":
        return math.nan
    try:
        v = float(t)
    except ValueError:
        raise DataError(f"{where}: {col}: expected a number, got {text!r}; fix the cell or leave it blank") from None
    if not math.isfinite(v) or v < 0:
        raise DataError(f"{where}: {col}: expected a finite non-negative number, got {text!r}")
    return v


def _date(text: str, col: str, where: str, required: bool) -> dt.date | None:
    t = text.strip()
    if t == "":
        if required:
            raise DataError(f"{where}: {col} is empty; every row needs a {col} (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(t)
    except ValueError:
        raise DataError(f"{where}: {col}: expected an ISO date YYYY-MM-DD, got {text!r}") from None


def load_fundamentals_csv(path: str | Path) -> pd.DataFrame:
    """Parse and validate a fundamentals CSV.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8, header row).

    Returns
    -------
    pandas.DataFrame
        One row per (symbol, period_end), sorted; dates as ``datetime64[ns]``, numbers as
        float (NaN where blank), text columns as str.

    Raises
    ------
    DataError
        The file cannot be read, a required column is missing, or a row is invalid; the
        message names the file and line (all bad lines are listed, up to five).
    """
    p = Path(path)
    rows: list[dict[str, object]] = []
    errors: list[str] = []
    seen: dict[tuple[str, object], int] = {}
    records = read_csv_rows(
        p, what="fundamentals", expected=f"at least {', '.join(REQUIRED_COLUMNS)}", required=REQUIRED_COLUMNS
    )
    for row in records:
        where, raw = row.where, row.cells
        try:
            if row.error:
                raise DataError(f"{where}: {row.error}")
            sym = raw["symbol"].strip().upper()
            if not sym:
                raise DataError(f"{where}: symbol is empty")
            rec: dict[str, object] = {"symbol": sym}
            for c in DATE_COLUMNS:
                if c in raw:
                    rec[c] = _date(raw[c], c, where, required=c in REQUIRED_COLUMNS)
            for c in NUMBER_COLUMNS:
                rec[c] = _number(raw[c], c, where) if c in raw else math.nan
            for c in TEXT_COLUMNS:
                if c in raw:
                    rec[c] = raw[c].strip()
            if rec["filed_date"] < rec["period_end"]:  # type: ignore[operator]
                raise DataError(f"{where}: filed_date {rec['filed_date']} is before period_end {rec['period_end']}")
            st, lt, tot = (
                float(rec["short_term_debt"]),  # type: ignore[arg-type]
                float(rec["long_term_debt"]),  # type: ignore[arg-type]
                float(rec["total_debt"]),  # type: ignore[arg-type]
            )
            if not (math.isnan(st) or math.isnan(lt) or math.isnan(tot)):
                if abs(tot - (st + lt)) > _TOTAL_TOLERANCE * max(tot, 1.0):
                    raise DataError(f"{where}: total_debt {tot:.0f} != short_term_debt + long_term_debt {st + lt:.0f}")
            key: tuple[str, object] = (sym, rec["period_end"])
            if key in seen:
                raise DataError(
                    f"{where}: duplicate row for {sym} period_end {rec['period_end']} (first at line {seen[key]})"
                )
            seen[key] = row.line
            rows.append(rec)
        except DataError as exc:
            errors.append(str(exc))
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise DataError(f"{len(errors)} bad row(s) in fundamentals: " + "; ".join(errors[:5]) + more)
    df = pd.DataFrame(rows, columns=["symbol", *[c for c in DATE_COLUMNS], *NUMBER_COLUMNS, *[c for c in TEXT_COLUMNS]])
    for c in DATE_COLUMNS:
        df[c] = pd.to_datetime(df[c])
    for c in NUMBER_COLUMNS:
        df[c] = df[c].astype(float)
    df = df.sort_values(["symbol", "period_end"]).reset_index(drop=True)
    log.debug("loaded %d fundamentals rows from %s", len(df), p)
    return df

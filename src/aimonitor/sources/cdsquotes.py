"""Load user-supplied CDS quotes from CSV: ``entity, date, tenor, spread_bp, source``.

CDS quotes are paid data; users who have some can import them so the equity-implied
proxy is calibrated to the market's level. Bad rows are rejected one by one with a
:class:`~aimonitor.errors.DataWarning` naming the file and line; good rows are kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import warnings
from pathlib import Path

import pandas as pd

from aimonitor.csvsafe import read_csv_rows
from aimonitor.errors import DataWarning

log = logging.getLogger(__name__)

COLUMNS = ("entity", "date", "tenor", "spread_bp", "source")
REQUIRED = ("entity", "date", "tenor", "spread_bp")
#: Quotes above this are treated as typos (distressed names trade points upfront, not bp).
MAX_SPREAD_BP = 10_000.0
_TENOR_RX = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([YyMm]?)\s*$")


def normalise_tenor(text: str) -> str:
    """``"5Y"``, ``"5y"``, ``"5"``, ``"60M"`` → ``"5Y"``; raise ``ValueError`` otherwise."""
    m = _TENOR_RX.match(str(text))
    if not m:
        raise ValueError(f"not a tenor: {text!r} (use e.g. 5Y or 6M)")
    n, unit = float(m.group(1)), (m.group(2) or "Y").upper()
    years = n / 12.0 if unit == "M" else n
    if years <= 0 or years > 30:
        raise ValueError(f"tenor out of range: {text!r}")
    return f"{years:g}Y" if years >= 1 or unit == "Y" else f"{n:g}M"


def tenor_years(tenor: str) -> float:
    """Years of a normalised tenor string (``"5Y"`` → 5.0, ``"6M"`` → 0.5)."""
    t = str(tenor).strip().upper()
    return float(t[:-1]) / 12.0 if t.endswith("M") else float(t.rstrip("Y"))


def load_cds_quotes_csv(
    path: str | Path, *, default_source: str = "user", latest: dt.date | None = None
) -> pd.DataFrame:
    """Read CDS quotes; reject bad rows with a warning, keep the good ones.

    A quote dated on a Saturday or Sunday (no dealer quotes a 5y CDS then: a typo or a time-zone
    slip) or after ``latest`` (the caller's today: a quote from the future) is rejected.

    Parameters
    ----------
    path : str or Path
        CSV with a header containing ``entity, date, tenor, spread_bp`` and optionally
        ``source``. ``entity`` is the ticker (``ORCL``); ``spread_bp`` is the par spread
        in basis points.
    default_source : str
        Source label for rows with no ``source`` cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``entity`` (upper-case), ``date`` (datetime64), ``tenor`` (normalised,
        e.g. ``"5Y"``), ``spread_bp`` (float), ``source`` (str); sorted, duplicates (same
        entity/date/tenor/source) keep the last row. ``df.attrs["rejected"]`` lists the
        rejected rows as ``"file:line: reason"`` strings.

    Raises
    ------
    DataError
        The file cannot be read or lacks a required column.
    """
    good: list[dict[str, object]] = []
    rejected: list[str] = []
    rows = read_csv_rows(
        path,
        what="CDS quotes",
        expected=",".join(COLUMNS),
        required=REQUIRED,
        encoding="utf-8-sig",
        lower=True,
        rename={"symbol": "entity"},
        empty_hint=",".join(COLUMNS),
    )
    for row in rows:
        try:
            if row.error:
                raise ValueError(row.error)
            raw = {k: v.strip() for k, v in row.cells.items()}
            entity = raw["entity"].upper()
            if not entity:
                raise ValueError("entity is empty")
            try:
                day = dt.date.fromisoformat(raw["date"])
            except ValueError:
                raise ValueError(f"date: expected YYYY-MM-DD, got {raw['date']!r}") from None
            if day.weekday() >= 5:
                raise ValueError(f"date: {day} is a {day:%A}; CDS quotes are dated on weekdays")
            if latest is not None and day > latest:
                raise ValueError(f"date: {day} is in the future (today is {latest})")
            tenor = normalise_tenor(raw["tenor"])
            try:
                spread = float(raw["spread_bp"])
            except ValueError:
                raise ValueError(f"spread_bp: expected a number, got {raw['spread_bp']!r}") from None
            if not math.isfinite(spread) or spread <= 0 or spread > MAX_SPREAD_BP:
                raise ValueError(f"spread_bp: expected 0 < spread <= {MAX_SPREAD_BP:g} bp, got {raw['spread_bp']!r}")
            good.append(
                {
                    "entity": entity,
                    "date": day,
                    "tenor": tenor,
                    "spread_bp": spread,
                    "source": raw.get("source") or default_source,
                }
            )
        except ValueError as exc:
            msg = f"{row.where}: {exc}; row skipped"
            rejected.append(msg)
            warnings.warn(msg, DataWarning, stacklevel=2)
            log.warning("%s", msg)
    df = pd.DataFrame(good, columns=list(COLUMNS))
    df["date"] = pd.to_datetime(df["date"])
    df["spread_bp"] = df["spread_bp"].astype(float)
    df = (
        df.drop_duplicates(["entity", "date", "tenor", "source"], keep="last")
        .sort_values(["entity", "date", "tenor", "source"])
        .reset_index(drop=True)
    )
    df.attrs["rejected"] = rejected
    return df

"""Cells that a spreadsheet would run as a formula are neutralised before we write CSV.

Article text and event ids reach CSV files that analysts open in Excel or LibreOffice. A cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read there as a
formula (OWASP "CSV injection"); prefixing it with a single quote makes it plain text and is
what both spreadsheets recommend. Numbers are left alone: only strings are touched, so a
negative return stays a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` with a leading quote if it is a string a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a CSV row (mapping) with every string cell neutralised."""
    return {k: safe_cell(v) for k, v in row.items()}


def safe_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [safe_row(r) for r in rows]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose string (object) cells are neutralised; numeric columns untouched."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    return out

"""CSV files in and out: cells a spreadsheet would run as a formula are neutralised before
we write CSV, and user CSV files (CDS quotes, fundamentals) are read by one reader.

Article text and event ids reach CSV files that analysts open in Excel or LibreOffice. A cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read there as a
formula (OWASP "CSV injection"); prefixing it with a single quote makes it plain text and is
what both spreadsheets recommend. Numbers are left alone: only strings are touched, so a
negative return stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from aimonitor.errors import DataError

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` with a leading quote if it is a string a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose string (object) cells are neutralised; numeric columns untouched."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    return out


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CsvRow:
    """One non-blank record of a user CSV file."""

    line: int  # first line of the record in the file
    where: str  # "path:line", the prefix of every message about the record
    cells: dict[str, str]  # header name -> cell text as written (not stripped)
    error: str | None  # "expected N fields, got M" when the record's width is not the header's


def read_csv_rows(
    path: str | Path,
    *,
    what: str,
    expected: str,
    required: Sequence[str],
    encoding: str = "utf-8",
    lower: bool = False,
    rename: Mapping[str, str] | None = None,
    empty_hint: str = "row",
) -> Iterator[CsvRow]:
    """The records of a user CSV file (CDS quotes, fundamentals), header checked.

    The header is stripped (and lower-cased with ``lower``); a header name in ``rename``
    is renamed when its target is absent. Raises :class:`~aimonitor.errors.DataError` naming
    the file (and line) when it cannot be opened, is empty, lacks a ``required`` column
    (``expected`` says what was expected) or stops parsing; every wholly blank record is
    skipped. Row-level checks are the caller's: a record of the wrong width comes with
    ``error`` set.
    """
    p = Path(path)
    try:
        fh = p.open(newline="", encoding=encoding)
    except OSError as exc:
        raise DataError(f"{p}: cannot read {what} file ({exc.strerror})") from exc
    with fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lower() if lower else h.strip() for h in next(reader)]
        except StopIteration:
            raise DataError(f"{p}: empty {what} file; expected a header {empty_hint}") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{p}:1: cannot parse the header ({exc})") from exc
        for old, new in (rename or {}).items():
            if old in header and new not in header:
                header[header.index(old)] = new
        missing = [c for c in required if c not in header]
        if missing:
            raise DataError(f"{p}:1: missing column(s) {', '.join(missing)}; expected {expected}")
        start = 2
        try:
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not any(c.strip() for c in cells):
                    continue
                width = None if len(cells) == len(header) else f"expected {len(header)} fields, got {len(cells)}"
                yield CsvRow(line, f"{p}:{line}", dict(zip(header, cells)), width)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{p}:{start}: cannot parse the file ({exc})") from exc

"""CDS quotes and fundamentals loaders: bad rows named (file, line), good rows kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from aimonitor.errors import DataError, DataWarning
from aimonitor.sources.cdsquotes import load_cds_quotes_csv, normalise_tenor
from aimonitor.sources.fundamentals import load_fundamentals_csv

FIX = Path(__file__).parent / "fixtures" / "credit"
SNAP = Path(__file__).parents[1] / "src" / "aimonitor" / "data" / "snapshot" / "fundamentals.csv"


def test_bad_rows_named_and_good_rows_kept():
    path = FIX / "cds_quotes_bad_row.csv"
    with pytest.warns(DataWarning) as rec:
        q = load_cds_quotes_csv(path)
    msgs = [str(w.message) for w in rec]
    assert any(f"{path}:3:" in m and "date" in m for m in msgs)
    assert any(f"{path}:5:" in m and "spread_bp" in m for m in msgs)
    assert any(f"{path}:7:" in m for m in msgs)
    assert len(q.attrs["rejected"]) == 3
    assert list(q["entity"]) == ["CRWV", "ORCL", "ORCL"]
    assert list(q["tenor"]) == ["5Y", "5Y", "5Y"]  # 60M and 5y normalised
    assert q.loc[q["entity"] == "ORCL", "spread_bp"].tolist() == [36.0, 125.0]
    assert q["date"].dtype.kind == "M"


def test_missing_column_and_missing_file(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("entity,date,spread_bp\nORCL,2025-01-02,50\n")
    with pytest.raises(DataError, match="tenor"):
        load_cds_quotes_csv(p)
    with pytest.raises(DataError, match="cannot read"):
        load_cds_quotes_csv(tmp_path / "nope.csv")


def test_tenor_normalisation():
    assert normalise_tenor("5") == "5Y" and normalise_tenor("6m") == "6M" and normalise_tenor("120M") == "10Y"
    with pytest.raises(ValueError):
        normalise_tenor("five")


def test_fundamentals_snapshot_parses():
    f = load_fundamentals_csv(SNAP)
    assert len(f) == 38
    assert f["filed_date"].dtype.kind == "M"
    orcl = f[(f["symbol"] == "ORCL") & (f["period_end"] == "2025-08-31")].iloc[0]
    assert orcl["total_debt"] == 91_315_000_000 and pd.isna(orcl["shares_outstanding"])
    assert orcl["weighted_avg_basic_shares"] == 2_826_000_000
    # blank stays blank (AMD 2025-03-29 debt is left out on purpose)
    amd = f[(f["symbol"] == "AMD") & (f["period_end"] == "2025-03-29")].iloc[0]
    assert pd.isna(amd["total_debt"])


def test_fundamentals_bad_cell_names_file_and_line(tmp_path):
    p = tmp_path / "f.csv"
    shutil.copy(SNAP, p)
    lines = p.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("2024-05-31,2024-06-20,10605000000", "2024-05-31,2024-06-20,lots", 1)
    p.write_text("".join(lines))
    with pytest.raises(DataError, match=rf"{p}:4: short_term_debt: expected a number"):
        load_fundamentals_csv(p)


def test_weekend_and_future_quote_dates_are_rejected(tmp_path):
    p = tmp_path / "q.csv"
    # 2025-11-29 is a Saturday; 2099-01-05 a Monday far after "today" (2026-11-30 here)
    p.write_text(
        "entity,date,tenor,spread_bp,source\n"
        "ORCL,2025-11-28,5Y,125,desk\n"
        "ORCL,2025-11-29,5Y,126,desk\n"
        "ORCL,2099-01-05,5Y,127,desk\n",
        encoding="utf-8",
    )
    with pytest.warns(DataWarning) as rec:
        q = load_cds_quotes_csv(p, latest=pd.Timestamp("2026-11-30").date())
    msgs = [str(w.message) for w in rec]
    assert any(f"{p}:3:" in m and "Saturday" in m for m in msgs)
    assert any(f"{p}:4:" in m and "future" in m for m in msgs)
    assert q["spread_bp"].tolist() == [125.0]

"""``csv:DIR``: a user's own folder of CSV files.

Prices are Oracle's and Nvidia's real closes typed from the bundled snapshot (ORCL closed
at 241.51 on 2025-09-09 and 328.33 on 2025-09-10, after its results); FRED's ICE BofA IG
OAS was 1.06 % on 2024-01-02 (106 bp); Oracle's 10-Q for the quarter ended 2025-08-31 was
filed on 2025-09-10 (total debt $91.3B, from the bundled filings table).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from aimonitor.errors import DataError, FetchError
from aimonitor.sources.csvdir import CsvDirSource, load_bars_csv

D = dt.date
HEADER = "date,open,high,low,close,adj_close,volume\n"
ORCL = (
    HEADER + "2025-09-08,239.0,242.5,236.7,238.48,235.79,12000000\n"
    "2025-09-09,239.5,243.49,237.6,241.51,238.79,13000000\n"
    "2025-09-10,319.19,345.72,312.0,328.33,324.63,131000000\n"
    "2025-09-11,330.0,331.5,302.0,307.86,304.39,65000000\n"
)


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "mine"
    d.mkdir()
    (d / "ORCL.csv").write_text(ORCL, encoding="utf-8")
    # an index file named the way the shared data names it, with a blank adj_close
    (d / "VIX_index.csv").write_text(HEADER + "2025-09-10,15.0,15.6,14.7,15.35,,0\n", encoding="utf-8")
    (d / "FRED_BAMLC0A0CM.csv").write_text("date,value\n2024-01-02,1.06\n2024-01-03,.\n2024-01-04,1.09\n")
    (d / "FRED_VIXCLS.csv").write_text("observation_date,VIXCLS\n2024-01-02,13.20\n")
    return d


def test_bars_are_read_and_cut_at_as_of(folder):
    src = CsvDirSource(folder)
    assert src.name == f"csv:{folder}"
    (orcl,) = src.fetch_bars(["ORCL"], D(2025, 9, 9), D(2025, 9, 30), as_of=D(2025, 9, 10))
    assert orcl.error is None
    f = orcl.frame
    assert list(f["date"]) == [D(2025, 9, 9), D(2025, 9, 10)]  # nothing before start, nothing after as_of
    assert f["close"].tolist() == [241.51, 328.33]
    assert f["close"].iloc[1] / f["close"].iloc[0] - 1 == pytest.approx(0.3595, abs=5e-5)  # +35.95 %


def test_index_file_names_and_blank_adjusted_close(folder):
    (vix,) = CsvDirSource(folder).fetch_bars(["^VIX"], D(2025, 9, 1), D(2025, 9, 30), as_of=D(2025, 9, 30))
    assert vix.error is None and vix.name == "^VIX"
    assert vix.frame["adj_close"].tolist() == [15.35]  # blank adj_close is the close


def test_a_missing_or_broken_file_fails_that_symbol_only(folder):
    (folder / "NVDA.csv").write_text(HEADER + "2025-09-10,170.0,oops,168.0,177.33,177.32,1\n", encoding="utf-8")
    got = {
        r.name: r
        for r in CsvDirSource(folder).fetch_bars(["ORCL", "NVDA", "AMD"], D(2025, 9, 1), D(2025, 9, 30), D(2025, 9, 30))
    }
    assert got["ORCL"].error is None and len(got["ORCL"].frame) == 4
    assert got["NVDA"].frame is None
    assert got["NVDA"].error == f"{folder / 'NVDA.csv'}: line 2: column high: not a number: 'oops'"
    assert got["AMD"].frame is None and got["AMD"].error == f"no file AMD.csv in {folder}"


def test_no_rows_in_the_window_is_named(folder):
    (r,) = CsvDirSource(folder).fetch_bars(["ORCL"], D(2024, 1, 1), D(2024, 12, 31), as_of=D(2024, 12, 31))
    assert r.frame is None and "no rows between 2024-01-01 and 2024-12-31" in r.error


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("date,open,high\n2025-09-10,1,2\n", "line 1: missing column(s) close"),
        (HEADER + "2025-09-10,1,2,1,1.5,1.5,10\n10/09/2025,1,2,1,1.5,1.5,10\n", "line 3: bad date '10/09/2025'"),
        (HEADER.encode("utf-8") + "2025-09-10,1,2,1,1.5,1.5,10 # café\n".encode("latin-1"), "not UTF-8 text"),
        (b"\x00\x01\x02binary", "binary file, not CSV text"),
    ],
)
def test_malformed_files_are_one_line_errors_naming_file_and_line(tmp_path, content, message):
    p = tmp_path / "X.csv"
    (p.write_bytes if isinstance(content, bytes) else p.write_text)(content)
    with pytest.raises(DataError) as exc:
        load_bars_csv(p)
    assert str(exc.value).startswith(str(p)) and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_utf8_bom_is_accepted(tmp_path):
    p = tmp_path / "ORCL.csv"
    p.write_bytes("\ufeff".encode() + ORCL.encode())
    assert load_bars_csv(p)["close"].tolist() == [238.48, 241.51, 328.33, 307.86]


def test_not_a_folder_is_a_fetch_error(tmp_path):
    with pytest.raises(FetchError, match="not a folder"):
        CsvDirSource(tmp_path / "absent")


def test_fred_percent_becomes_basis_points_and_levels_stay(folder):
    got = {
        r.name: r
        for r in CsvDirSource(folder).fetch_fred(["BAMLC0A0CM", "VIXCLS", "DGS10"], D(2024, 1, 1), D(2024, 12, 31))
    }
    ig = got["BAMLC0A0CM"]
    assert ig.unit == "bp"
    assert list(ig.frame["date"]) == [D(2024, 1, 2), D(2024, 1, 4)]  # "." is missing, dropped
    assert ig.frame["value"].tolist() == pytest.approx([106.0, 109.0])
    assert got["VIXCLS"].unit == "level" and got["VIXCLS"].frame["value"].tolist() == [13.2]
    assert got["DGS10"].frame is None and got["DGS10"].error == f"no file FRED_DGS10.csv in {folder}"


def test_fundamentals_known_on_as_of_only(folder):
    cols = (
        "symbol,period_end,filed_date,short_term_debt,long_term_debt,total_debt,"
        "operating_lease_liabilities,shares_outstanding,source,notes\n"
    )
    (folder / "fundamentals.csv").write_text(
        cols + "ORCL,2025-05-31,2025-06-18,7271000000,85297000000,92568000000,,2807000000,10-K,\n"
        "ORCL,2025-08-31,2025-09-10,9079000000,82236000000,91315000000,,,10-Q,\n",
        encoding="utf-8",
    )
    src = CsvDirSource(folder)
    before = src.fetch_fundamentals(["ORCL", "AMD"], as_of=D(2025, 9, 9))
    assert before.frame["period_end"].dt.date.tolist() == [D(2025, 5, 31)]  # the 10-Q was not filed yet
    assert before.errors == {"AMD": "no rows in fundamentals.csv"}
    after = src.fetch_fundamentals(["ORCL"], as_of=D(2025, 9, 10))
    assert after.frame["period_end"].dt.date.tolist() == [D(2025, 5, 31), D(2025, 8, 31)]
    assert after.frame["total_debt"].tolist() == [92568000000.0, 91315000000.0]


def test_no_fundamentals_file_is_a_per_symbol_error(folder):
    res = CsvDirSource(folder).fetch_fundamentals(["ORCL"], as_of=D(2025, 9, 10))
    assert res.frame.empty and res.errors == {"ORCL": f"no fundamentals.csv in {folder}"}


def test_fetch_from_csv_dir_through_the_cli_is_partial_success(folder, tmp_path, run_cli):
    """ORCL is stored, the absent NVDA file is named, and the exit code is 3 (partial success)."""
    res = run_cli(
        "--db",
        str(tmp_path / "c.db"),
        "fetch",
        "--source",
        f"csv:{folder}",
        "--symbols",
        "ORCL,NVDA",
        "--start",
        "2025-09-08",
        "--as-of",
        "2025-09-11",
        "--json",
    )
    assert res.exit_code == 3, res.stderr
    doc = json.loads(res.stdout)
    assert doc["source"] == f"csv:{folder}"
    orcl, nvda = doc["symbols"]["ORCL"], doc["symbols"]["NVDA"]
    assert (orcl["rows_new"], orcl["first"], orcl["last"], orcl["error"]) == (4, "2025-09-08", "2025-09-11", None)
    assert nvda["rows_new"] == 0 and f"no file NVDA.csv in {folder}" in nvda["error"]

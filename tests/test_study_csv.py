"""The user-CSV path: load_price_csv errors, study_from_prices and the written report."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from aimonitor.errors import DataError
from aimonitor.report.eventstudy import study_table, write_study_report
from aimonitor.study import StudyOptions, load_price_csv, study_from_prices

FIX = Path(__file__).parent / "fixtures"


def _write(tmp_path: Path, text: str | bytes, name: str = "p.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_blank_cells_are_missing_prices():
    df = load_price_csv(FIX / "eventstudy" / "prices_small.csv")
    assert list(df.columns) == ["AAA", "MKT"]
    assert len(df) == 4 and df.index[0].date() == dt.date(2024, 1, 2)
    assert math.isnan(df.loc["2024-01-04", "AAA"]) and math.isnan(df.loc["2024-01-03", "MKT"])
    assert df.loc["2024-01-05", "AAA"] == 10.1


@pytest.mark.parametrize(
    "text,where,what",
    [
        ("day,A\n2024-01-02,1\n", ":1:", "no 'date' column"),
        ("date,A\n2024-01-02,1\n2024/01/03,2\n", ":3:", "bad date"),
        ("date,A\n2024-01-02,1\n2024-01-03,abc\n", ":3:", "not a number"),
        ("date,A\n2024-01-02,1\n2024-01-03,2\n2024-01-02,3\n", ":4:", "duplicate date 2024-01-02 (also on line 2)"),
        ("date\n2024-01-02\n", ":1:", "no price columns"),
        ("date,A\n2024-01-02,1,5\n", ":2:", "cells"),
    ],
)
def test_load_errors_name_file_and_line(tmp_path, text, where, what):
    p = _write(tmp_path, text)
    with pytest.raises(DataError) as ei:
        load_price_csv(p)
    msg = str(ei.value)
    assert str(p) + where in msg and what in msg and "\n" not in msg


def test_non_utf8(tmp_path):
    p = _write(tmp_path, "date,A\n2024-01-02,1\n2024-01-03,\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"p\.csv:3: not UTF-8"):
        load_price_csv(p)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        load_price_csv(tmp_path / "nope.csv")


def test_unknown_market_column():
    df = load_price_csv(FIX / "peer" / "estudy2_covid2020" / "input_prices_close.csv")
    with pytest.raises(DataError, match="market column '\\^GSPC' not in the prices"):
        study_from_prices(df, "^GSPC", "2020-03-16", None, StudyOptions())


def test_event_date_on_weekend_maps_to_next_row():
    df = load_price_csv(FIX / "peer" / "estudy2_covid2020" / "input_prices_close.csv")
    opts = StudyOptions(
        window=(0, 4), estimation_start=dt.date(2019, 4, 1), estimation_end=dt.date(2020, 3, 13), returns="log"
    )
    res = study_from_prices(df, "GSPC", "2020-03-14", ["AMZN"], opts)  # a Saturday
    doc = res.to_json()
    assert doc["firms"][0]["event_date"] == "2020-03-14" and doc["firms"][0]["day0"] == "2020-03-16"


def test_report_files(tmp_path):
    df = load_price_csv(FIX / "peer" / "estudy2_covid2020" / "input_prices_close.csv")
    opts = StudyOptions(
        window=(0, 4),
        estimation_start=dt.date(2019, 4, 1),
        estimation_end=dt.date(2020, 3, 13),
        returns="log",
        clean=False,  # the published case: ARs comparable with estudy2's
    )
    res = study_from_prices(df, "GSPC", "2020-03-16", ["AMZN", "ZM"], opts)
    paths = write_study_report(res, tmp_path / "out")
    names = {p.name for p in paths}
    assert {
        "event_study.md",
        "event_study.html",
        "event_study_caar.png",
        "event_study_car_AMZN.png",
        "event_study_car_ZM.png",
        "event_study_firms.csv",
        "event_study_aggregate.csv",
    } <= names
    for p in paths:
        assert p.exists() and p.stat().st_size > 0
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (tmp_path / "out" / "event_study.md").read_text(encoding="utf-8")
    assert "| AMZN |" in md and "Patell Z" in md and "+5.50%" in md  # AMZN's day-0 AR per estudy2: 0.05505
    html = (tmp_path / "out" / "event_study.html").read_text(encoding="utf-8")
    assert "<table>" in html and "event_study_caar.png" in html
    tables = study_table(res)
    assert tables[0].row_count == 2 and tables[1].row_count == 6

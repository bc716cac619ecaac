"""Reading ``csv:DIR`` bars fast (issue #14): the split lines are what the csv module reads, and
a fetch window keeps exactly the rows the whole file filtered by date would, with every cell of
the file still checked."""

from __future__ import annotations

import csv
import datetime as dt
import random

import pandas as pd
import pytest

from aimonitor.errors import DataError
from aimonitor.sources.csvdir import CsvDirSource, _csv_rows, load_bars_csv
from test_csvdir import HEADER, ORCL  # Oracle's closes around its 2025-09-09 results

D = dt.date


def _reference(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(text.splitlines())
    return next(reader, []), [r for r in reader if r]


@pytest.mark.parametrize(
    "text",
    ["", "\n", "a,b\n", "a,b\n\n1,2\n", "date,close\r\n2025-01-02, 1.5 \r\n", "\nh\n", 'a,"b,c"\n1,"2\n3"\n', "a\x00b"],
)
def test_rows_are_the_csv_modules(text):
    assert _csv_rows(text) == _reference(text)


def test_rows_are_the_csv_modules_on_random_text():
    rng = random.Random(14)
    alphabet = "ab1., \n\r\t\x0b\x0c\x1c\x85\u2028;-'\\"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert _csv_rows(text) == _reference(text), repr(text)


def test_a_window_keeps_the_rows_the_filtered_file_has(tmp_path):
    p = tmp_path / "ORCL.csv"
    p.write_text(ORCL, encoding="utf-8")
    whole = load_bars_csv(p)
    part = load_bars_csv(p, D(2025, 9, 9), D(2025, 9, 10))
    assert part["close"].tolist() == [241.51, 328.33]
    expected = whole[(whole["date"] >= D(2025, 9, 9)) & (whole["date"] <= D(2025, 9, 10))].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)
    assert load_bars_csv(p, None, D(2025, 9, 8))["close"].tolist() == [238.48]
    assert load_bars_csv(p, D(2025, 9, 11), None)["close"].tolist() == [307.86]
    assert load_bars_csv(p, D(2026, 1, 2), D(2026, 1, 30)).empty


def test_a_blank_adjusted_close_inside_a_window(tmp_path):
    p = tmp_path / "X.csv"
    p.write_text(HEADER + "2025-09-09,1,2,0.5,1.5,,10\n2025-09-10,1,2,0.5,1.75,1.7,\n", encoding="utf-8")
    f = load_bars_csv(p, D(2025, 9, 9), D(2025, 9, 9))
    assert f["adj_close"].tolist() == [1.5]  # blank adj_close is the close
    assert load_bars_csv(p, D(2025, 9, 10), D(2025, 9, 10))["volume"].isna().all()


def test_a_bad_cell_outside_the_window_still_fails_the_file(tmp_path):
    p = tmp_path / "ORCL.csv"
    p.write_text(ORCL.replace("2025-09-08,239.0", "2025-09-08,oops"), encoding="utf-8")
    with pytest.raises(DataError, match=r"ORCL\.csv: line 2: column open: not a number: 'oops'"):
        load_bars_csv(p, D(2025, 9, 10), D(2025, 9, 11))
    (res,) = CsvDirSource(tmp_path).fetch_bars(["ORCL"], D(2025, 9, 10), D(2025, 9, 30), as_of=D(2025, 9, 30))
    assert res.frame is None and "line 2" in (res.error or "")


def test_quoted_files_read_as_before(tmp_path):
    p = tmp_path / "Q.csv"
    p.write_text('"date","close"\n"2025-09-09","241.51"\n"2025-09-10","328.33"\n', encoding="utf-8")
    assert load_bars_csv(p, D(2025, 9, 10), None)["close"].tolist() == [328.33]


# FRED's ICE BofA IG OAS in percent (fredgraph CSV): 1.06 on 2024-01-02, 1.09 on 2024-01-04
FRED = "observation_date,BAMLC0A0CM\n2024-01-02,1.06\n2024-01-03,.\n2024-01-04,1.09\n2024-01-05,1.08\n"


def test_a_fred_window_keeps_what_the_filtered_series_has():
    from aimonitor.sources.fred import parse_fred_csv

    whole = parse_fred_csv(FRED, "BAMLC0A0CM")
    part = parse_fred_csv(FRED, "BAMLC0A0CM", start=D(2024, 1, 3), end=D(2024, 1, 4))
    assert part["value"].tolist() == [1.09]  # 2024-01-03 is missing ('.')
    expected = whole[(whole["date"] >= D(2024, 1, 3)) & (whole["date"] <= D(2024, 1, 4))].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)
    none = parse_fred_csv(FRED, "BAMLC0A0CM", start=D(2025, 1, 1), end=D(2025, 1, 31))
    pd.testing.assert_frame_equal(none, whole.iloc[:0].reset_index(drop=True))


def test_a_bad_fred_line_outside_the_window_is_named():
    from aimonitor.sources.fred import parse_fred_csv

    text = FRED.replace("2024-01-02,1.06", "2024-01-02,1,06").replace("2024-01-05,1.08", "2024-01-05,oops")
    with pytest.raises(DataError, match=r"^o: line 5: bad value 'oops'$"):
        parse_fred_csv(text, "BAMLC0A0CM", origin="o", start=D(2024, 1, 3), end=D(2024, 1, 4))
    with pytest.raises(DataError, match=r"^o: line 3: bad date '2024-13-03'$"):
        parse_fred_csv(FRED.replace("2024-01-03", "2024-13-03"), "BAMLC0A0CM", origin="o", start=D(2024, 1, 4))

"""FRED: the no-key CSV, "." as missing, percent → basis points at the boundary."""

from __future__ import annotations

import datetime as dt
import urllib.error

import pytest

from aimonitor.errors import DataError
from aimonitor.sources.fred import FredSource, fred_url, parse_fred_csv
from aimonitor.sources.snapshot import SnapshotSource

D = dt.date

# the shape fredgraph.csv has today (observation_date header, "." on holidays)
CSV = "observation_date,BAMLH0A0HYM2\n2024-01-01,.\n2024-01-02,3.54\n2024-01-03,3.62\n"


def test_parse_drops_dots_and_keeps_percent():
    f = parse_fred_csv(CSV, "BAMLH0A0HYM2")
    assert f["date"].tolist() == [D(2024, 1, 2), D(2024, 1, 3)]
    assert f["value"].tolist() == [3.54, 3.62]


def test_old_date_header_is_accepted():
    f = parse_fred_csv("DATE,DGS10\n2024-01-02,3.95\n", "DGS10")
    assert f["value"].tolist() == [3.95]


def test_bad_line_is_named():
    with pytest.raises(DataError, match=r"FRED DGS10: line 3: bad value 'n/a'"):
        parse_fred_csv("DATE,DGS10\n2024-01-02,3.95\n2024-01-03,n/a\n", "DGS10", origin="FRED DGS10")


def test_live_source_converts_to_basis_points():
    urls = []

    def get(url, timeout):
        urls.append(url)
        return CSV

    out = FredSource(get=get, sleep=lambda s: None).fetch_fred(["BAMLH0A0HYM2"], D(2024, 1, 2), D(2024, 1, 3))
    assert out[0].unit == "bp" and out[0].frame is not None
    assert out[0].frame["value"].tolist() == pytest.approx([354.0, 362.0])
    assert urls[0] == fred_url("BAMLH0A0HYM2", D(2024, 1, 2), D(2024, 1, 3))
    assert "id=BAMLH0A0HYM2" in urls[0] and "cosd=2024-01-02" in urls[0]


def test_dns_failure_stops_quickly_and_is_reported():
    calls = []

    def get(url, timeout):
        calls.append(url)
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    out = FredSource(get=get, sleep=lambda s: None).fetch_fred(["DGS5", "DGS10"], D(2024, 1, 2), D(2024, 1, 3))
    assert all(r.frame is None for r in out)
    assert out[0].error is not None and "FRED" in out[0].error
    assert len(calls) == 1  # no retry storm when the network is down


def test_snapshot_high_yield_oas_is_354bp_on_2024_01_02():
    out = SnapshotSource().fetch_fred(["BAMLH0A0HYM2", "VIXCLS"], D(2024, 1, 2), D(2024, 1, 2))
    hy, vix = out
    assert hy.unit == "bp" and hy.frame is not None and hy.frame["value"].iloc[0] == pytest.approx(354.0)
    assert vix.unit == "level"  # an index level is stored as published

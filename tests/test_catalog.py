from __future__ import annotations

import csv
import datetime as dt
import warnings
from pathlib import Path

import pytest

from aimonitor.errors import DataError, DataWarning
from aimonitor.events.catalog import (
    EventRecord,
    default_catalog_path,
    load_catalog,
    write_candidates_csv,
)
from aimonitor.events.extract import extract_paths

ROOT = Path(__file__).resolve().parents[1]
HEADER = "event_id,announce_date,timing,tickers,counterparty,event_type,amount_usd,description_en\n"


def test_packaged_catalog_equals_project_seed_catalog():
    assert (ROOT / "seeds" / "events.csv").read_bytes() == default_catalog_path().read_bytes()


@pytest.fixture(scope="module")
def catalog():
    return {e.event_id: e for e in load_catalog()}


def test_catalog_has_the_53_shared_events_and_3_curated_supply_rows(catalog):
    # ../shared/data/events/seed_events.csv holds EV01..EV53; EV54..EV56 are supply
    # relationships the seed articles state (each carries its verbatim seed quote)
    assert len(catalog) == 56 and list(catalog)[0] == "EV01"
    assert [e for e in catalog if e > "EV53"] == ["EV54", "EV55", "EV56"]


def test_amd_deal_pre_market_day0_is_same_session(catalog):
    e = catalog["EV09"]
    assert (e.announce_date, e.timing, e.day0) == (dt.date(2025, 10, 6), "pre", dt.date(2025, 10, 6))
    assert e.tickers == ("AMD",) and e.amount_usd == 300e9 and e.capacity_gw == 6 and e.shares == 160e6
    assert e.event_types == ("compute_contract", "warrant_equity_for_orders")


def test_oracle_results_after_close_day0_is_next_session(catalog):
    e = catalog["EV04"]
    assert (e.announce_date, e.timing, e.day0) == (dt.date(2025, 9, 9), "post", dt.date(2025, 9, 10))


def test_weekend_pre_announcement_moves_to_monday(catalog):
    # EV39: Oracle, Sunday 2026-02-01, before the next session -> Monday 2026-02-02
    assert catalog["EV39"].day0 == dt.date(2026, 2, 2)


def test_post_on_friday_moves_over_the_weekend(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        HEADER + "X1,2025-11-28,post,ORCL,,earnings,,Friday after the close (half day)\n"
        "X2,2025-11-27,intraday,ORCL,,earnings,,Thanksgiving (no session)\n",
        encoding="utf-8",
    )
    ev = {e.event_id: e for e in load_catalog(p)}
    assert ev["X1"].day0 == dt.date(2025, 12, 1)
    assert ev["X2"].day0 == dt.date(2025, 11, 28)


def test_blank_announce_date_rows_are_kept_without_day0(catalog):
    blanks = [e for e in catalog.values() if e.announce_date is None]
    assert sorted(e.event_id for e in blanks) == ["EV24", "EV28", "EV29", "EV31", "EV34", "EV35"]
    assert all(e.day0 is None for e in blanks)
    assert len([e for e in catalog.values() if e.day0 is not None]) == 56 - 6


def test_list_json_and_row_round_trip(catalog):
    j = catalog["EV05"].to_json()
    assert j == {
        "event_id": "EV05",
        "announce_date": "2025-09-10",
        "timing": "unknown",
        "day0": "2025-09-10",
        "tickers": ["ORCL"],
        "event_type": "compute_contract",
        "amount_usd": 300e9,
        "description": catalog["EV05"].description,
    }
    for e in catalog.values():
        row = e.to_row()
        assert set(row) == {
            "event_id",
            "announce_date",
            "timing",
            "day0",
            "tickers",
            "counterparty",
            "event_type",
            "amount_usd",
            "capacity_gw",
            "shares",
            "description",
            "date_confirmed",
            "source",
        }
        assert EventRecord.from_row(row) == e
    assert catalog["EV21"].to_row()["tickers"] == "ORCL;CRWV;9984.T;OWL"


def test_missing_column_is_an_error_naming_the_file(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("event_id,announce_date,timing\nX,2025-10-06,pre\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"c\.csv: missing column\(s\) tickers"):
        load_catalog(p)


def test_bad_rows_are_skipped_with_file_and_line(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        HEADER
        + "A,2025-10-06,pre,AMD,OpenAI,compute_contract,300e9,ok\n"
        + "B,2025-13-40,pre,AMD,,compute_contract,,bad date\n"
        + "C,2025-10-06,sometime,AMD,,compute_contract,,bad timing\n"
        + "D,2025-10-06,pre,AMD,,compute_contract,lots,bad amount\n"
        + "A,2025-10-07,pre,AMD,,compute_contract,,duplicate id\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ev = load_catalog(p)
    assert [e.event_id for e in ev] == ["A"]
    msgs = [str(x.message) for x in w if issubclass(x.category, DataWarning)]
    assert any(f"{p}:3: announce_date '2025-13-40'" in m for m in msgs)
    assert any(f"{p}:4: timing 'sometime'" in m for m in msgs)
    assert any(f"{p}:5: amount_usd 'lots'" in m for m in msgs)
    assert any(f"{p}:6: duplicate event_id 'A'" in m for m in msgs)
    with pytest.raises(DataError, match=r":3: announce_date"):
        load_catalog(p, strict=True)


@pytest.mark.parametrize(
    "content,match",
    [
        (b"", "empty file"),
        ("event_id\n".encode("utf-16"), "not UTF-8|binary"),
        (b"\x00\x00binary", "binary"),
    ],
)
def test_unreadable_catalogs(tmp_path, content, match):
    p = tmp_path / "c.csv"
    p.write_bytes(content)
    with pytest.raises(DataError, match=match):
        load_catalog(p)
    with pytest.raises(DataError, match="no such catalog"):
        load_catalog(tmp_path / "nope.csv")


def test_candidates_csv_from_extraction_is_accepted_by_load_catalog(tmp_path):
    res = extract_paths(sorted((ROOT / "seeds").glob("*.txt")))
    out = tmp_path / "candidates.csv"
    n = write_candidates_csv(res.mentions, out)
    assert n == len(res.mentions)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every candidate row must validate
        ev = load_catalog(out)
    assert len(ev) == n
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    cds = [r for r in rows if r["event_type"] == "credit_move" and r["tickers"] == "ORCL"]
    assert cds and cds[0]["unit"] == "bp" and cds[0]["amount"] == "60.0" and cds[0]["amount_usd"] == ""
    amd = [e for e in ev if e.shares == 160e6]
    assert amd and amd[0].tickers == ("AMD",) and amd[0].event_types == ("warrant_equity_for_orders",)
    # resolved dates become announce dates with a day 0; unresolved ones stay blank
    dated = [e for e in ev if e.announce_date is not None]
    assert dated and all(e.day0 is not None for e in dated)

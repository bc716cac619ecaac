"""The per-process caches a monitoring cycle reads through never serve stale data.

The curated catalog is parsed once per content: an edited file is parsed again even when
its size and modification time did not change, a file with a bad row warns on every load
(a cached parse would stay silent), and a caller changing the list it got does not change
what the next load returns. Expected values are the rows written in each test.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path

import pytest

from aimonitor.errors import DataWarning
from aimonitor.events.catalog import load_catalog

HEADER = "event_id,announce_date,timing,tickers,counterparty,event_type,amount_usd,description_en\n"


def _write(path: Path, rows: list[str]) -> None:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def test_an_edited_catalog_is_parsed_again_even_with_the_same_size_and_mtime(tmp_path):
    p = tmp_path / "events.csv"
    _write(p, ["EV1,2025-09-10,post,ORCL,OpenAI,compute_contract,300e9,first"])
    first = load_catalog(p)
    assert [(e.event_id, e.amount_usd, e.day0) for e in first] == [("EV1", 300e9, dt.date(2025, 9, 11))]
    st = p.stat()
    # same length, same modification time: only the bytes differ
    _write(p, ["EV1,2025-09-10,post,ORCL,OpenAI,compute_contract,400e9,first"])
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert p.stat().st_size == st.st_size and p.stat().st_mtime_ns == st.st_mtime_ns
    assert [e.amount_usd for e in load_catalog(p)] == [400e9]


def test_a_catalog_with_a_bad_row_warns_on_every_load(tmp_path):
    p = tmp_path / "events.csv"
    _write(
        p,
        [
            "EV1,2025-09-10,post,ORCL,OpenAI,compute_contract,300e9,good",
            "EV2,2025-09-11,post,ORCL,OpenAI,not_a_type,1e9,bad type",
        ],
    )
    for _ in range(2):
        with pytest.warns(DataWarning, match="not_a_type"):
            assert [e.event_id for e in load_catalog(p)] == ["EV1"]


def test_a_clean_catalog_loads_silently_and_each_caller_gets_its_own_list(tmp_path):
    p = tmp_path / "events.csv"
    _write(
        p,
        [
            "EV1,2025-09-10,post,ORCL,OpenAI,compute_contract,300e9,one",
            "EV2,2025-10-06,pre,AMD,OpenAI,compute_contract,,two",
        ],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = load_catalog(p)
        got.clear()  # a caller's own list
        again = load_catalog(p)
    assert [(e.event_id, e.day0) for e in again] == [("EV1", dt.date(2025, 9, 11)), ("EV2", dt.date(2025, 10, 6))]
    assert again[1].amount_usd is None


# --------------------------------------------------------------------------- the entity dictionary


def _entity(path: Path, ticker: str) -> None:
    path.write_text(f'[[entity]]\nname = "Nebius"\nticker = "{ticker}"\naliases = ["Nebius"]\n', encoding="utf-8")


def test_an_edited_entity_dictionary_is_read_again_even_with_the_same_size_and_mtime(tmp_path):
    from aimonitor.events.entities import load_entities

    p = tmp_path / "e.toml"
    _entity(p, "NBIS")
    assert [m.entity.ticker for m in load_entities(p).find("Nebius signs")] == ["NBIS"]
    st = p.stat()
    _entity(p, "NBIX")  # same length, and the modification time put back below
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert p.stat().st_size == st.st_size and p.stat().st_mtime_ns == st.st_mtime_ns
    assert [m.entity.ticker for m in load_entities(p).find("Nebius signs")] == ["NBIX"]


def test_an_invalid_entity_dictionary_fails_on_every_load(tmp_path):
    from aimonitor.errors import ConfigError
    from aimonitor.events.entities import load_entities

    p = tmp_path / "e.toml"
    p.write_text('[[entity]]\nname = "X"\nticker = 5\naliases = ["X"]\n', encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"entity\[0\]\.ticker"):
            load_entities(p)


def test_each_load_is_its_own_dictionary_with_its_own_source(tmp_path):
    from aimonitor.events.entities import load_entities

    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    _entity(a, "NBIS")
    _entity(b, "NBIS")  # the same bytes at another path
    first, second, other = load_entities(a), load_entities(a), load_entities(b)
    assert first is not second
    assert (first.source, other.source) == (str(a), str(b))
    assert [e.name for e in first] == [e.name for e in other] == ["Nebius"]

from __future__ import annotations

from pathlib import Path

import pytest

from aimonitor.errors import ConfigError
from aimonitor.events.entities import default_entities_path, load_entities

ROOT = Path(__file__).resolve().parents[1]


def test_config_and_packaged_dictionary_are_identical():
    assert (ROOT / "config" / "entities.toml").read_bytes() == default_entities_path().read_bytes()


@pytest.mark.parametrize(
    "alias,ticker",
    [
        ("甲骨文", "ORCL"),
        ("Oracle", "ORCL"),
        ("OCI", "ORCL"),
        ("英伟达", "NVDA"),
        ("Nvidia", "NVDA"),
        ("NVIDIA", "NVDA"),
        ("超微半导体", "AMD"),
        ("AMD", "AMD"),
        ("CoreWeave", "CRWV"),
        ("CoolWave", "CRWV"),
        ("微软", "MSFT"),
        ("Azure", "MSFT"),
        ("亚马逊", "AMZN"),
        ("AWS", "AMZN"),
        ("谷歌", "GOOGL"),
        ("Alphabet", "GOOGL"),
        ("GCP", "GOOGL"),
        ("博通", "AVGO"),
        ("软银", "9984.T"),
        ("Meta", "META"),
    ],
)
def test_aliases_map_to_tickers(alias, ticker):
    d = load_entities()
    found = d.find(f"据报道，{alias}宣布了新交易")
    assert [m.entity.ticker for m in found] == [ticker]


@pytest.mark.parametrize("name", ["OpenAI", "xAI", "Anthropic", "Crusoe", "Vantage"])
def test_private_parties_have_no_ticker(name):
    e = load_entities().get(name)
    assert e is not None and e.private and e.ticker is None


def test_ascii_aliases_respect_word_boundaries_and_case():
    d = load_entities()
    assert d.find("metadata and AMDX are not companies") == []
    assert [m.entity.name for m in d.find("Blue Owl Capital 和 Crusoe")] == ["Blue Owl", "Crusoe"]
    assert [m.alias for m in d.find("Open AI签下")] == ["Open AI"]


def test_user_extends_dictionary_without_code(tmp_path):
    p = tmp_path / "e.toml"
    p.write_text('[[entity]]\nname = "Nebius"\nticker = "NBIS"\naliases = ["Nebius", "内比乌斯"]\n', encoding="utf-8")
    d = load_entities(p)
    assert [m.entity.ticker for m in d.find("微软与内比乌斯签约")] == ["NBIS"]


@pytest.mark.parametrize(
    "body,keypath",
    [
        ('[[entity]]\nname = "X"\nticker = 5\naliases = ["X"]\n', "entity[0].ticker"),
        (
            '[[entity]]\nname = "X"\naliases = ["X"]\n[[entity]]\nname = "Y"\naliases = ["Y", 3]\n',
            "entity[1].aliases[1]",
        ),
        ('[[entity]]\nname = "X"\naliases = []\n', "entity[0].aliases"),
        ('[[entity]]\nname = "X"\naliases = ["X"]\ncolour = "red"\n', "entity[0].colour"),
        ('[[entity]]\nname = "X"\nticker = "X"\nprivate = true\naliases = ["X"]\n', "entity[0].private"),
        ('[[entity]]\nname = "X"\naliases = ["X"]\n[[entity]]\nname = "Y"\naliases = ["X"]\n', "entity[1].aliases[0]"),
    ],
)
def test_validation_errors_name_file_and_key_path(tmp_path, body, keypath):
    p = tmp_path / "bad.toml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as ei:
        load_entities(p)
    msg = str(ei.value)
    assert str(p) in msg and keypath + ":" in msg and "\n" not in msg


def test_invalid_toml_and_missing_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[[entity]\nname=", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_entities(p)
    with pytest.raises(ConfigError, match="not found"):
        load_entities(tmp_path / "nope.toml")

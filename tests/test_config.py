"""One bad config file per error class, each with its exact one-line message."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimonitor.config import load_config, packaged_default_path, resolve_config_path
from aimonitor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path, text):
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "text, message",
    [
        ("[watchlist\nsymbols = []", "not valid TOML"),
        (
            "[watchlist]\nsymbolz = ['ORCL']\n",
            "watchlist.symbolz: unknown key (check the spelling; see the commented default config)",
        ),
        ("[source]\ntimeout_seconds = 'slow'\n", 'source.timeout_seconds: expected a number, got "slow"'),
        ("[source]\nmax_retries = 2.5\n", "source.max_retries: expected a whole number, got 2.5"),
        ("[source]\nrefetch_sessions = -1\n", "source.refetch_sessions: input should be greater than or equal to 0"),
        ("[source]\nstart = 'yesterday'\n", 'source.start: expected a date (YYYY-MM-DD), got "yesterday"'),
        ("[source]\ndefault = 'bloomberg'\n", 'source.default: expected yahoo, snapshot or csv:DIR; got "bloomberg"'),
        ("[schedule]\ntime = '25:00'\n", 'schedule.time: expected HH:MM (24-hour), got "25:00"'),
        ("[schedule]\ntimezone = 'Mars/Olympus'\n", 'schedule.timezone: unknown time zone "Mars/Olympus"'),
        ("[watchlist]\nsymbols = ['ORCL', 'not a ticker']\n", "watchlist.symbols: not a ticker symbol: 'not a ticker'"),
        (
            "[notify]\nurls_env = 'https://hooks.slack.com/secret'\n",
            'notify.urls_env: expected an environment variable name, got "https://hooks.slack.com/secret"',
        ),
        (
            "[credit]\nvol_scale_bounds = [3.0, 0.5]\n",
            "credit.vol_scale_bounds: expected 0 < low <= high, got [3.0, 0.5]",
        ),
        ("[credit]\nvol_scale_bounds = [0, 2]\n", "credit.vol_scale_bounds: expected 0 < low <= high, got [0.0, 2.0]"),
        (
            "[[rules]]\nname = 'dd'\nsignal = 'drawdown_52w'\nop = '<'\nthreshold = 'high'\nseverity = 'warning'\n",
            'rules[0].threshold: expected a number, got "high"',
        ),
    ],
)
def test_bad_config_messages(tmp_path, text, message):
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert str(exc.value) == f"{p}: {message}" or str(exc.value).startswith(f"{p}: {message}")
    assert "\n" not in str(exc.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        load_config(tmp_path / "nope.toml")
    p = tmp_path / "latin1.toml"
    p.write_bytes("[watchlist]\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml: not UTF-8 text"):
        load_config(p)


def test_shipped_config_is_valid_and_equals_packaged_default():
    cfg = load_config(ROOT / "config" / "aimonitor.toml")
    assert cfg.watchlist.symbols == ["ORCL", "CRWV", "AMD", "NVDA"]
    assert cfg.watchlist.market == "SPY"
    assert "BAMLH0A0HYM2" in cfg.fred.series
    assert len(cfg.rules) >= 5
    assert (ROOT / "config" / "aimonitor.toml").read_text(encoding="utf-8") == packaged_default_path().read_text(
        encoding="utf-8"
    )


def test_resolution_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_config_path(None) == packaged_default_path()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "aimonitor.toml").write_text("", encoding="utf-8")
    assert resolve_config_path(None) == Path("config/aimonitor.toml")
    monkeypatch.setenv("AIMONITOR_CONFIG", str(tmp_path / "x.toml"))
    assert resolve_config_path(None) == tmp_path / "x.toml"


def test_db_override(tmp_path):
    cfg = load_config(ROOT / "config" / "aimonitor.toml", db=str(tmp_path / "o.db"))
    assert cfg.storage.path == str(tmp_path / "o.db")


def test_db_override_keeps_the_files_other_storage_settings(tmp_path, monkeypatch):
    """``--db`` / $AIMONITOR_DB replace the path only; a configured lock wait still applies."""
    text = (ROOT / "config" / "aimonitor.toml").read_text(encoding="utf-8")
    assert 'path = "aimonitor.db"\n' in text
    p = tmp_path / "c.toml"
    p.write_text(text.replace('path = "aimonitor.db"\n', 'path = "aimonitor.db"\nlock_wait_seconds = 0.3\n'), "utf-8")
    cfg = load_config(p, db=str(tmp_path / "x.db"))
    assert (cfg.storage.path, cfg.storage.lock_wait_seconds) == (str(tmp_path / "x.db"), 0.3)
    monkeypatch.setenv("AIMONITOR_DB", str(tmp_path / "y.db"))
    cfg = load_config(p)
    assert (cfg.storage.path, cfg.storage.lock_wait_seconds) == (str(tmp_path / "y.db"), 0.3)


def test_notify_urls_come_from_the_environment():
    from aimonitor.config import notify_urls

    cfg = load_config(ROOT / "config" / "aimonitor.toml")
    assert notify_urls(cfg, {"AIMONITOR_NOTIFY_URLS": "json://localhost:1/a, json://localhost:1/b"}) == [
        "json://localhost:1/a",
        "json://localhost:1/b",
    ]
    assert notify_urls(cfg, {}) == []

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Tests never see the user's environment configuration or notification URLs."""
    for var in ("AIMONITOR_CONFIG", "AIMONITOR_DB", "AIMONITOR_NOTIFY_URLS"):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def cfg():
    from aimonitor.config import load_config

    return load_config(ROOT / "config" / "aimonitor.toml")


@pytest.fixture
def store(tmp_path):
    from aimonitor.store import Store

    s = Store(tmp_path / "t.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def snapshot_store(tmp_path_factory):
    """A store loaded once with the whole bundled snapshot (read-only use in tests)."""
    from aimonitor.config import load_config
    from aimonitor.ingest import run_fetch
    from aimonitor.sources.snapshot import SnapshotSource
    from aimonitor.store import Store

    cfg = load_config(ROOT / "config" / "aimonitor.toml")
    s = Store(tmp_path_factory.mktemp("snap") / "snap.db")
    run_fetch(cfg, s, SnapshotSource(), as_of=dt.date(2026, 2, 27))
    yield s
    s.close()


@pytest.fixture(scope="session")
def wide():
    """Adjusted closes of every bundled symbol on the full NYSE session index (NaN before a
    listing), read straight from the snapshot file, independent of the store."""
    import gzip

    import pandas as pd

    import aimonitor
    from aimonitor.calendar import sessions_index

    with gzip.open(Path(aimonitor.__file__).parent / "data" / "snapshot" / "bars.csv.gz", "rt") as fh:
        bars = pd.read_csv(fh)
    w = bars.pivot(index="date", columns="symbol", values="adj_close")
    w.index = pd.to_datetime(w.index)
    return w.reindex(sessions_index(w.index.min(), w.index.max()))

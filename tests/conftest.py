from __future__ import annotations

import atexit
import datetime as dt
import gc
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFIG = ROOT / "config" / "aimonitor.toml"
NO_ENV: dict[str, str | None] = {"AIMONITOR_CONFIG": None, "AIMONITOR_DB": None, "AIMONITOR_NOTIFY_URLS": None}

# With PYTHONDONTWRITEBYTECODE set, pytest cannot keep the assertion-rewritten test modules and
# Python cannot keep src's bytecode: every pytest worker and every `python -m aimonitor` a test
# starts would parse, rewrite and compile them again (~5 s of CPU per worker, measured). The
# caches are ordinary __pycache__ folders (ignored by git), checked against the sources' mtime.
sys.dont_write_bytecode = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``network`` run only when the -m expression names them (``pytest -m network``),
    so ``pytest`` and ``pytest -m "not slow"`` stay offline."""
    if "network" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="needs internet access; run with -m network")
    for item in items:
        if item.get_closest_marker("network") is not None:
            item.add_marker(skip)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What lives for the whole run (imported libraries, collected tests, session fixtures' modules)
    leaves the garbage collector's generations: each full collection walked it again (~3% of a
    worker's CPU, measured with gc.callbacks). Garbage the tests make is collected as before."""
    gc.freeze()


def _exit_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def pytest_unconfigure(config: pytest.Config) -> None:
    """An xdist worker that has reported its results leaves without tearing the interpreter down
    (freeing every module and object took ~2-3 s of the run's wall time, after the last test).
    Registered last, the exit runs first among the atexit handlers, so no handler of the run
    does work that counts: the databases and files the tests wrote are in their temporary
    folders, and the controller has every report already."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        atexit.register(_exit_now)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """Tests never see the user's environment configuration or notification URLs."""
    for var in ("AIMONITOR_CONFIG", "AIMONITOR_DB", "AIMONITOR_NOTIFY_URLS"):
        monkeypatch.delenv(var, raising=False)
    yield


# --------------------------------------------------------------------------- the CLI in-process


@contextmanager
def _cwd(path: Path | None) -> Iterator[None]:
    old = Path.cwd()
    if path is not None:
        os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def invoke_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
) -> Any:
    """Run ``aimonitor ARGS`` in this process with click's CliRunner (stdout and stderr apart).

    The CLI installs its own root log handler and yfinance log level; both are given back
    afterwards so pytest's log capture keeps working. ``cwd`` is where relative paths
    (``alerts/``, ``reports/``) land.
    """
    from click.testing import CliRunner

    from aimonitor.cli import cli

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yf_level = logging.getLogger("yfinance").level
    try:
        with _cwd(cwd):
            return CliRunner().invoke(cli, list(args), env={**NO_ENV, **(env or {})}, catch_exceptions=False)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("yfinance").setLevel(yf_level)


@pytest.fixture
def run_cli() -> Callable[..., Any]:
    """``run_cli(*args, env=..., cwd=...)``: the CLI in-process (see :func:`invoke_cli`)."""
    return lambda *args, **kw: invoke_cli(args, **kw)


def process_env() -> dict[str, str]:
    """The environment for a real ``python -m aimonitor`` process: no AIMONITOR_* settings, and
    the aimonitor package this test process imported first on its path (a relative
    ``PYTHONPATH=src`` does not hold in the test's working folder, where the child would
    otherwise import whichever aimonitor is installed)."""
    import aimonitor

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMONITOR_")}
    root = str(Path(aimonitor.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, *(x for x in env.get("PYTHONPATH", "").split(os.pathsep) if x)])
    return env


# --------------------------------------------------------------------------- configs and stores


@pytest.fixture
def cfg():
    from aimonitor.config import load_config

    return load_config(CONFIG)


@pytest.fixture
def store(tmp_path):
    from aimonitor.store import Store

    s = Store(tmp_path / "t.db")
    yield s
    s.close()


def shared_file(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """``name`` in a folder shared by every xdist worker of this run, written by ``build(path)``
    in the first worker that asks for it while the others wait (an ``flock``), then read by all.

    Under xdist each worker's base folder is ``<run>/popen-gwN``: the run's folder is its parent,
    new for every run (so a file never outlives the sources it was built from). Without xdist
    the file is built in this process's own base folder. Use only for files nobody changes
    (templates copied with ``db_copy``).
    """
    import fcntl

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = root / "shared" / name
    path.parent.mkdir(exist_ok=True)
    with open(root / "shared" / f"{name}.build-lock", "w") as lock:  # not <db>.lock: the store's own
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            partial = path.with_name(f"{name}.partial")
            for left in path.parent.glob(f"{name}.partial*"):  # a build that failed in another worker
                left.unlink()
            build(partial)
            partial.replace(path)
    return path


def _derived_db(path: Path, through: dt.date, *, signals: bool = True) -> Path:
    """A database holding the snapshot up to ``through`` and (by default) its signals derived
    from scratch; no cycle has run, so there are no alerts."""
    from aimonitor.config import load_config
    from aimonitor.ingest import run_fetch
    from aimonitor.pipeline import update_signals
    from aimonitor.sources.snapshot import SnapshotSource
    from aimonitor.store import Store

    cfg = load_config(CONFIG)
    with Store(path) as s:  # closing checkpoints the WAL, so the file alone is the database
        run_fetch(cfg, s, SnapshotSource(), as_of=through)
        if signals:
            update_signals(cfg, s, through)
    return path


def _template(tmp_path_factory: pytest.TempPathFactory, name: str, through: dt.date, *, signals: bool = True) -> Path:
    """A :func:`_derived_db` built once per test run (shared by the xdist workers)."""
    return shared_file(tmp_path_factory, name, lambda p: _derived_db(p, through, signals=signals))


@pytest.fixture(scope="session")
def db_1125(tmp_path_factory) -> Path:
    """Template database: snapshot and signals through 2025-11-25 (copy it with ``db_copy``)."""
    return _template(tmp_path_factory, "t1125.db", dt.date(2025, 11, 25))


@pytest.fixture(scope="session")
def db_1128(tmp_path_factory) -> Path:
    """Template database: snapshot and signals through 2025-11-28, derived from scratch."""
    return _template(tmp_path_factory, "t1128.db", dt.date(2025, 11, 28))


@pytest.fixture(scope="session")
def db_0905(tmp_path_factory) -> Path:
    """Template database: snapshot and signals through 2025-09-05, derived from scratch."""
    return _template(tmp_path_factory, "t0905.db", dt.date(2025, 9, 5))


@pytest.fixture(scope="session")
def db_prices(tmp_path_factory) -> Path:
    """Template database: the whole snapshot (through 2026-02-27) fetched, no signals derived."""
    return _template(tmp_path_factory, "tprices.db", dt.date(2026, 2, 27), signals=False)


@pytest.fixture(scope="session")
def snapshot_store(tmp_path_factory, db_prices):
    """A store holding the whole bundled snapshot (through 2026-02-27, no signals: a copy of
    ``db_prices``); read-only use in tests."""
    from aimonitor.store import Store

    path = tmp_path_factory.mktemp("snap") / "snap.db"
    shutil.copyfile(db_prices, path)
    s = Store(path)
    yield s
    s.close()


@pytest.fixture
def db_copy(tmp_path) -> Callable[[Path, str], Path]:
    """``db_copy(template, name)``: a private copy of a template database in this test's folder."""

    def copy(template: Path, name: str = "copy.db") -> Path:
        dst = tmp_path / name
        shutil.copyfile(template, dst)
        return dst

    return copy


# --------------------------------------------------------------------------- the demo, once


def config_with_events(folder: Path, event_ids: Sequence[str]) -> Path:
    """The project's config, written to ``folder``, whose event catalog holds only ``event_ids``
    (rows copied from the packaged catalog): a demo studies and renders every catalog event,
    so a test of something else keeps the catalog to the events it needs."""
    import csv
    import io
    from importlib import resources

    text = (resources.files("aimonitor") / "data" / "seed_events.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["event_id"] in event_ids]
    assert sorted(r["event_id"] for r in rows) == sorted(event_ids)
    with (folder / "events.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    toml = CONFIG.read_text(encoding="utf-8")
    assert "\n[events]\n" in toml
    config = folder / "aimonitor.toml"
    config.write_text(toml.replace("\n[events]\n", f'\n[events]\ncatalog = "{folder / "events.csv"}"\n', 1), "utf-8")
    return config


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory) -> Path:
    """The project's config except for a two-event catalog (Oracle's FQ1 results EV04, AMD-OpenAI
    EV09, copied from the packaged one): the demo studies every catalog event, and rendering all
    of them would triple a demo run for no extra coverage."""
    return config_with_events(tmp_path_factory.mktemp("demo_inputs"), ("EV04", "EV09"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, demo_config) -> dict[str, Any]:
    """``aimonitor demo --out rep --from 2025-11-04 --to 2025-11-07 --json`` run once, in-process,
    in an empty folder, with ``$AIMONITOR_DB`` naming a user database the demo must ignore.

    The config is ``demo_config`` (the project's own with a two-event catalog). Returns the
    folder, the CLI result and the user-database path for the tests to inspect.
    """
    folder = tmp_path_factory.mktemp("demo")
    user_db = folder / "user.db"
    res = invoke_cli(
        ["--config", str(demo_config), "demo", "--out", "rep", "--from", DEMO_FROM, "--to", DEMO_TO, "--json"],
        env={"AIMONITOR_DB": str(user_db)},
        cwd=folder,
    )
    return {"dir": folder, "result": res, "user_db": user_db, "from": DEMO_FROM, "to": DEMO_TO}


DEMO_FROM, DEMO_TO = "2025-11-04", "2025-11-07"


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


@pytest.fixture(scope="session")
def credit_inputs() -> dict[str, Any]:
    """The credit models' inputs straight from the bundled snapshot: closes and adjusted closes (wide), filings,
    Treasury yields (DGS5, DGS10) and the ICE BofA OAS series, FRED values in store units.
    Read-only; shared by the spread and calibration tests (one read per session)."""
    import pandas as pd

    from aimonitor.sources.fredunits import to_store_units
    from aimonitor.sources.snapshot import load_snapshot_bars, load_snapshot_fred, load_snapshot_fundamentals

    bars = load_snapshot_bars()

    def wide(frame: pd.DataFrame, columns: str, values: str) -> pd.DataFrame:
        w = frame.pivot(index="date", columns=columns, values=values)
        w.index = pd.to_datetime(w.index)
        return w

    fr = load_snapshot_fred().copy()
    fr["value"] = [float(to_store_units(s, pd.Series([v])).iloc[0]) for s, v in zip(fr["series"], fr["value"])]
    w = wide(fr, "series", "value")
    return {
        "closes": wide(bars, "symbol", "close"),
        "adj": wide(bars, "symbol", "adj_close"),
        "fund": load_snapshot_fundamentals(),
        "rates": w[["DGS5", "DGS10"]],
        "fred": w[["BAMLC0A0CM", "BAMLC0A4CBBB", "BAMLH0A0HYM2"]],
        "fred_all": w,  # every series, as the store's read_fred gives them
    }

"""Start-up (issue #14): what a command does not import, and the loop graph without networkx.

The heavy libraries are imported where they are used: scipy by the credit model, networkx by
cycle listing and layouts, apprise by notification channels, apscheduler by the daemon. These
tests run real CLI processes and read ``sys.modules`` at their exit; no timing is asserted
(bench/startup.py measures it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from aimonitor.analytics.graph import FlowEdge, _cyclic_components, compute_loop_graph
from aimonitor.events.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "aimonitor.toml"
HEAVY = ("scipy", "networkx", "apprise", "apscheduler")

#: Runs the commands (JSON lists of arguments) one after another through ``aimonitor.cli.main``
#: and writes each one's exit code and, at exit, the heavy libraries the process had imported.
#: Imports only accumulate: none loaded after several commands means none loaded by any of them.
PROBE = (
    "import atexit, json, os, sys\n"
    "codes = []\n"
    "atexit.register(lambda: open(os.environ['PROBE_OUT'], 'w').write(json.dumps("
    f"{{'codes': codes, 'loaded': [m for m in {HEAVY!r} if m in sys.modules]}})))\n"
    "from aimonitor.cli import main\n"
    "for args in sys.argv[1:]:\n"
    "    sys.argv = ['aimonitor', *json.loads(args)]\n"
    "    try:\n"
    "        main()\n"
    "    except SystemExit as e:\n"
    "        codes.append(e.code)\n"
)


def _loaded(commands: list[list[str]], cwd: Path) -> list[str]:
    """The heavy libraries one process running `aimonitor ARGS` for each of ``commands`` in turn
    had imported when it exited (each command exits 0, or 3 when alerts are firing)."""
    out = cwd / "probe.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIMONITOR_")},
        "PYTHONPATH": str(ROOT / "src"),
        "PROBE_OUT": str(out),
    }
    argv = [json.dumps(a) for a in commands]
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert len(doc["codes"]) == len(commands) and all(c in (0, 3) for c in doc["codes"]), (doc, done.stderr)
    return doc["loaded"]


@pytest.fixture(scope="module")
def cycled(tmp_path_factory, db_1125) -> tuple[Path, list[str]]:
    """A database with one cycle run (2025-11-25, alerts firing) and what that process imported."""
    import shutil

    work = tmp_path_factory.mktemp("startup")
    db = work / "m.db"
    shutil.copyfile(db_1125, db)
    base = ["--config", str(CONFIG), "--db", str(db)]
    loaded = _loaded([[*base, "run", "--once", "--no-fetch", "--as-of", "2025-11-25"]], work)
    assert list((work / "alerts").glob("*.md")), "the cycle should have written its digest"
    return work, loaded


def test_a_cycle_without_channels_imports_neither_networkx_nor_apprise_nor_apscheduler(cycled):
    _work, loaded = cycled
    assert "networkx" not in loaded
    assert "apprise" not in loaded
    assert "apscheduler" not in loaded


def test_looking_commands_import_no_heavy_library(cycled):
    work, _ = cycled
    base = ["--config", str(CONFIG), "--db", str(work / "m.db")]
    assert _loaded([[*base, "status"], [*base, "alerts", "list"], [*base, "rules", "check"]], work) == []


def test_the_rules_package_names_are_the_functions_after_a_lazy_load():
    code = (
        "import aimonitor.rules as r\n"
        "from aimonitor.rules import compare\n"  # loads the submodule named like its function
        "from aimonitor.rules import backtest, Evaluation, Rule\n"
        "print(callable(backtest) and not hasattr(backtest, '__path__') and backtest.__module__, Evaluation.__name__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["aimonitor.rules.backtest", "Evaluation"]


def test_loading_a_configuration_imports_no_pandas_engine():
    code = (
        "import sys\n"
        "from aimonitor.config import load_config\n"
        f"load_config({str(CONFIG)!r})\n"
        "names = ('aimonitor.rules.engine', 'aimonitor.rules.backtest', 'pandas')\n"
        "print(sorted(m for m in names if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------- components without networkx


def _reference(edges: list[FlowEdge]) -> set[frozenset[str]]:
    """networkx's strongly connected components holding a cycle (the previous implementation)."""
    import networkx as nx

    g = nx.DiGraph()
    for e in edges:
        g.add_edge(e.source, e.target)
    return {frozenset(c) for c in nx.strongly_connected_components(g) if len(c) > 1 or any(g.has_edge(n, n) for n in c)}


def _groups(comp: dict[str, int]) -> set[frozenset[str]]:
    out: dict[int, set[str]] = {}
    for node, i in comp.items():
        out.setdefault(i, set()).add(node)
    return {frozenset(v) for v in out.values()}


def _edge(a: str, b: str) -> FlowEdge:
    return FlowEdge(source=a, target=b, type="supply", amount_usd=None, event_ids=(), first=dt.date(2025, 1, 2))


def test_components_by_hand():
    # a -> b -> c -> a is one loop; c -> d -> e -> d another; f -> f a self-loop; g is acyclic
    edges = [_edge(*p) for p in ("ab", "bc", "ca", "cd", "de", "ed", "ff", "eg")]
    assert _groups(_cyclic_components(edges)) == {frozenset("abc"), frozenset("de"), frozenset("f")}
    assert _cyclic_components([_edge("a", "b"), _edge("b", "c")]) == {}


@pytest.mark.parametrize("seed", range(40))
def test_components_match_networkx_on_random_graphs(seed):
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(rng.randint(1, 25))]
    edges = [_edge(rng.choice(nodes), rng.choice(nodes)) for _ in range(rng.randint(0, 60))]
    assert _groups(_cyclic_components(edges)) == _reference(edges)


def test_the_catalog_graph_lists_its_cycles_and_loop_exposure_as_networkx_does():
    events = load_catalog(None)
    g = compute_loop_graph(events, dt.date(2026, 2, 27))
    assert "cycles" not in vars(g)  # not listed until asked for
    import networkx as nx

    dg = nx.DiGraph()
    for e in g.edges:
        dg.add_edge(e.source, e.target)
    ref = _reference(list(g.edges))
    in_ref = set().union(*ref) if ref else set()
    assert {x.id for x in g.exposure if x.in_loop} == in_ref
    assert {frozenset(c) for c in g.cycles} == {frozenset(c) for c in nx.simple_cycles(dg)}
    assert set(g.loop_nodes) == in_ref  # every node of a cyclic component lies on a cycle


# --------------------------------------------------------------------------- garbage collection at start-up


def test_main_holds_collection_back_until_the_configuration_then_collects(monkeypatch, tmp_path):
    import gc

    from aimonitor import cli

    seen: dict[str, bool] = {}
    real = cli.Ctx.cfg.fget
    assert real is not None

    def cfg(self):
        seen.setdefault("before config", gc.isenabled())
        out = real(self)
        seen.setdefault("after config", gc.isenabled())
        return out

    monkeypatch.setattr(cli.Ctx, "cfg", property(cfg))
    monkeypatch.setattr(sys, "argv", ["aimonitor", "--config", str(CONFIG), "--db", str(tmp_path / "x.db"), "status"])
    try:
        with pytest.raises(SystemExit) as done:
            cli.main()
    finally:
        gc.unfreeze()
    assert done.value.code == 0
    assert seen == {"before config": False, "after config": True}
    assert gc.isenabled()


def test_main_leaves_collection_on_for_a_command_without_configuration(monkeypatch):
    import gc

    from aimonitor import cli

    monkeypatch.setattr(sys, "argv", ["aimonitor", "--help"])
    try:
        with pytest.raises(SystemExit):
            cli.main()
    finally:
        gc.unfreeze()
    assert gc.isenabled()


def test_the_exposure_panel_fills_every_column_of_a_symbol_and_keeps_an_empty_index():
    import pandas as pd

    from aimonitor import calendar
    from aimonitor.analytics.graph import compute_loop_exposure_panel

    events = load_catalog(None)
    sessions = calendar.sessions_index("2025-10-01", "2025-10-31")
    one = compute_loop_exposure_panel(events, sessions, ["ORCL", "NVDA"])
    two = compute_loop_exposure_panel(events, sessions, ["ORCL", "ORCL", "NVDA", "ZZZ"])
    assert list(two.columns) == ["ORCL", "ORCL", "NVDA", "ZZZ"]
    assert two.iloc[:, 0].tolist() == two.iloc[:, 1].tolist() == one["ORCL"].tolist()
    assert (two["ZZZ"] == 0.0).all() and one["ORCL"].iloc[-1] > 0  # Oracle is on the loop by October 2025
    empty = compute_loop_exposure_panel(events, pd.DatetimeIndex([]), ["ORCL"])
    assert empty.empty and list(empty.columns) == ["ORCL"]

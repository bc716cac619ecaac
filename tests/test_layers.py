"""The architecture, checked on the source (AST only, nothing imported).

Layers, imports pointing down only (README "Layout and development", DESIGN.md):

    cli                      the only click user
    wiring                   pipeline (the one wiring module) and its thin callers: demo,
                             daemon, runner, services, ingest, status, study
    report                   renders the data objects it is handed (never the store)
    config                   validated settings; everything above may read them
    rules | events | analytics | validate     pure, independent of each other
    store | sources | notify                  I/O, independent of each other
    calendar                 sessions
    errors

Leaf helpers (``aimonitor`` itself, ``csvsafe``, ``report.formatting``) may be imported
from anywhere and import nothing of aimonitor but ``errors``.

Also: each third-party library with a boundary module is imported there only (pandas,
numpy and scipy are the shared data model), any other third-party library in one module;
no SQL outside ``store.py``; no clock read outside ``cli.py``, ``daemon.py`` and
``runner.py`` (the library gets ``as_of`` passed in).

Violations that other engineers are removing right now are listed in KNOWN_VIOLATIONS
(each an xfail, strict=False): empty it when they are merged. Any other finding fails.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = "aimonitor"

# --------------------------------------------------------------------------- the rules

#: (tier, modules or packages). Higher tiers may import lower ones; never the reverse.
TIERS: list[tuple[str, tuple[str, ...]]] = [
    ("cli", ("aimonitor.cli", "aimonitor.__main__")),
    (
        "wiring",
        (
            "aimonitor.pipeline",
            "aimonitor.demo",
            "aimonitor.daemon",
            "aimonitor.runner",
            "aimonitor.services",
            "aimonitor.ingest",
            "aimonitor.status",
            "aimonitor.study",
            "aimonitor.reports",
            "aimonitor.loopdata",
            "aimonitor.contagion",
        ),
    ),
    ("report", ("aimonitor.report",)),
    ("config", ("aimonitor.config",)),
    ("pure", ("aimonitor.rules", "aimonitor.events", "aimonitor.analytics", "aimonitor.validate")),
    ("io", ("aimonitor.store", "aimonitor.sources", "aimonitor.notify")),
    ("calendar", ("aimonitor.calendar",)),
    ("errors", ("aimonitor.errors",)),
]
#: Tiers whose members must not import each other (each member is its own component).
INDEPENDENT = {"pure", "io"}
LEAF_HELPERS = (
    "aimonitor",
    "aimonitor.csvsafe",
    "aimonitor.report.formatting",
    "aimonitor.validation_messages",
    "aimonitor.schema",
    "aimonitor.redact",
)
#: Extra edges the tiers would allow but the design forbids.
FORBIDDEN: dict[str, tuple[tuple[str, ...], str]] = {
    "aimonitor.report": (("aimonitor.store", "aimonitor.sources"), "reports never read the store"),
    "aimonitor.rules": (("aimonitor.store", "aimonitor.sources", "aimonitor.notify"), "pure code does no I/O"),
    "aimonitor.events": (("aimonitor.store", "aimonitor.sources", "aimonitor.notify"), "pure code does no I/O"),
    "aimonitor.analytics": (("aimonitor.store", "aimonitor.sources", "aimonitor.notify"), "pure code does no I/O"),
    "aimonitor.validate": (("aimonitor.store", "aimonitor.sources", "aimonitor.notify"), "pure code does no I/O"),
}

#: Third-party (and stdlib) modules behind one boundary module each.
OWNERS = {
    "yfinance": "aimonitor.sources.yahoo",
    "exchange_calendars": "aimonitor.calendar",
    "apprise": "aimonitor.notify",
    "sqlite_utils": "aimonitor.store",
    "sqlite3": "aimonitor.store",
    "click": "aimonitor.cli",
    "apscheduler": "aimonitor.daemon",
    "rich": "aimonitor.report.terminal",
    "matplotlib": "aimonitor.report.plotting",
}
#: The shared data model and numerics: allowed anywhere.
SHARED = {"pandas", "numpy", "scipy"}
#: Import names that are one library (pydantic_core ships with pydantic).
SAME_LIBRARY = {"pydantic_core": "pydantic"}

#: The store is allowed one clock read: the audit stamps of what it writes (fetched_at,
#: runs.started, an outbox claim's time). They record when a row was written, never which
#: session a computation is for: that is ``as_of``, passed in from the CLI/daemon edge.
CLOCK_EDGE = {"aimonitor.cli", "aimonitor.daemon", "aimonitor.runner", "aimonitor.store"}
SQL = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|VIEW)|DROP\s+TABLE|ALTER\s+TABLE|PRAGMA\s+\w+)\b",
    re.S,
)

#: Findings being removed (issue #16); each becomes an
#: xfail(strict=False) case. Key: the finding exactly as this test reports it.
KNOWN_VIOLATIONS: dict[str, str] = {}


# --------------------------------------------------------------------------- reading the source


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module


def _modules() -> dict[str, Module]:
    out = {}
    for path in sorted((SRC / PKG).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        out[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return out


#: Every aimonitor module, parsed by the autouse fixture below when this file's tests run
#: (parsing the whole package costs ~1 s of CPU, which collection alone need not pay).
MODULES: dict[str, Module] = {}


@pytest.fixture(autouse=True, scope="module")
def _parsed_package() -> None:
    if not MODULES:
        MODULES.update(_modules())
    assert "aimonitor.cli" in MODULES and "aimonitor.pipeline" in MODULES  # the checks see the package


@functools.cache
def nodes_of(mod: Module) -> list[ast.AST]:
    return list(ast.walk(mod.tree))


def _resolve(mod: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.name.split(".")
    if mod.path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


@functools.cache
def imports_of(mod: Module) -> list[tuple[str, int]]:
    """Every imported module name (with its line), top-level or inside functions;
    ``from aimonitor import calendar`` is ``aimonitor.calendar`` when that is a module."""
    out = []
    for node in nodes_of(mod):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(mod, node)
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((full if full in MODULES else base, node.lineno))
    return out


def _owner(name: str, prefixes: tuple[str, ...]) -> str | None:
    for p in sorted(prefixes, key=len, reverse=True):
        if name == p or name.startswith(p + "."):
            return p
    return None


def place(name: str) -> tuple[int, str, str]:
    """(tier rank, tier, component) of an aimonitor module; rank 0 is the top."""
    for rank, (tier, members) in enumerate(TIERS):
        comp = _owner(name, members)
        if comp is not None:
            return rank, tier, comp
    raise LookupError(name)


def _docstring_nodes(mod: Module) -> set[int]:
    ids = set()
    for node in nodes_of(mod):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


# --------------------------------------------------------------------------- the findings


def layer_findings() -> list[str]:
    found = []
    for mod in MODULES.values():
        if _owner(mod.name, LEAF_HELPERS) == mod.name:
            for target, _ in imports_of(mod):
                if target.startswith(PKG + ".") and target != "aimonitor.errors":
                    found.append(f"layer: {mod.name} imports {target} (leaf helpers import only errors)")
            continue
        src_rank, src_tier, src_comp = place(mod.name)
        for target, _ in imports_of(mod):
            if not (target == PKG or target.startswith(PKG + ".")) or target in LEAF_HELPERS:
                continue
            rank, tier, comp = place(target)
            if comp == src_comp:
                continue
            for higher, (lower, why) in FORBIDDEN.items():
                if _owner(mod.name, (higher,)) and _owner(target, lower):
                    found.append(f"layer: {mod.name} imports {target} ({why})")
            if rank < src_rank:
                found.append(f"layer: {mod.name} imports {target} ({src_tier} -> {tier})")
            elif rank == src_rank and src_tier in INDEPENDENT:
                found.append(f"layer: {mod.name} imports {target} ({src_tier} components import each other)")
    return sorted(set(found))


def library_findings() -> list[str]:
    users: dict[str, set[str]] = defaultdict(set)
    for mod in MODULES.values():
        for target, _ in imports_of(mod):
            top = target.split(".")[0]
            if top == PKG or (top in sys.stdlib_module_names and top not in OWNERS) or top == "__future__":
                continue
            users[SAME_LIBRARY.get(top, top)].add(mod.name)
    found = []
    for lib, mods in sorted(users.items()):
        if lib in SHARED:
            continue
        if lib in OWNERS and mods != {OWNERS[lib]}:
            others = ", ".join(sorted(mods - {OWNERS[lib]}))
            found.append(f"library: {lib} is imported by {others} (only {OWNERS[lib]} may)")
        elif lib not in OWNERS and len(mods) > 1:
            found.append(f"library: {lib} is imported by {', '.join(sorted(mods))} (one module only)")
    return found


def _with_lines(hits: dict[str, list[int]]) -> list[str]:
    """Findings keyed without line numbers (so KNOWN_VIOLATIONS survive edits elsewhere in
    the file); the lines are appended after " @ "."""
    return [f"{key} @ lines {', '.join(map(str, sorted(set(lines))))}" for key, lines in sorted(hits.items())]


def key_of(finding: str) -> str:
    return finding.split(" @ ", 1)[0]


def sql_findings() -> list[str]:
    hits: dict[str, list[int]] = defaultdict(list)
    for mod in MODULES.values():
        if mod.name == "aimonitor.store":
            continue
        docs = _docstring_nodes(mod)
        for node in nodes_of(mod):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if SQL.search(node.value):
                    hits[f"sql: {mod.name} has SQL"].append(node.lineno)
    return _with_lines(hits)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


CLOCK_CALLS = re.compile(
    r"(^|\.)(datetime\.(now|today|utcnow)|date\.today|Timestamp\.(now|today|utcnow))$|^time\.time(_ns)?$"
)


def clock_findings() -> list[str]:
    hits: dict[str, list[int]] = defaultdict(list)
    for mod in MODULES.values():
        if mod.name in CLOCK_EDGE:
            continue
        for node in nodes_of(mod):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                if CLOCK_CALLS.search(name):
                    call = name.split(".", 1)[1] if name.startswith(("dt.", "pd.")) else name
                    hits[f"clock: {mod.name} reads the clock ({call})"].append(node.lineno)
            elif isinstance(node, ast.ImportFrom) and node.module == "time":
                if any(a.name in ("time", "time_ns") for a in node.names):
                    hits[f"clock: {mod.name} imports time.time"].append(node.lineno)
    return _with_lines(hits)


ALL = {"layers": layer_findings, "libraries": library_findings, "sql": sql_findings, "clock": clock_findings}


# --------------------------------------------------------------------------- the tests


def test_every_module_has_a_layer():
    unplaced = []
    for name in MODULES:
        if _owner(name, LEAF_HELPERS) == name:
            continue
        try:
            place(name)
        except LookupError:
            unplaced.append(name)
    assert not unplaced, f"add these modules to a tier in tests/test_layers.py TIERS: {unplaced}"


@pytest.mark.parametrize("kind", sorted(ALL))
def test_no_new_violations(kind):
    new = [f for f in ALL[kind]() if key_of(f) not in KNOWN_VIOLATIONS]
    assert not new, "\n".join(new)


@pytest.mark.parametrize(
    "finding",
    [pytest.param(f, marks=pytest.mark.xfail(strict=False, reason=why)) for f, why in KNOWN_VIOLATIONS.items()],
)
def test_known_violation_is_gone(finding, current_findings):
    """Passes (XPASS) once the owner has removed it: then delete its KNOWN_VIOLATIONS entry."""
    assert finding not in current_findings


@pytest.fixture(scope="module")
def current_findings() -> set[str]:
    return {key_of(f) for check in ALL.values() for f in check()}


# --------------------------------------------------------------------------- the checker itself


def test_the_checker_sees_what_it_must(tmp_path):
    """Each rule fires on a hand-written violation (so an empty finding list means something)."""
    fake = ast.parse(
        "from aimonitor.report import plotting\n"
        "import datetime as dt\n"
        "import click\n"
        "def f(conn):\n"
        "    '''SELECT * FROM docs is fine in a docstring'''\n"
        "    conn.execute('SELECT close FROM bars')\n"
        "    return dt.datetime.now(), dt.date.today()\n"
    )
    mod = Module("aimonitor.analytics.fake", tmp_path / "fake.py", fake)
    MODULES[mod.name] = mod
    try:
        assert "layer: aimonitor.analytics.fake imports aimonitor.report.plotting (pure -> report)" in layer_findings()
        assert "sql: aimonitor.analytics.fake has SQL @ lines 6" in sql_findings()  # not line 5's docstring
        assert "clock: aimonitor.analytics.fake reads the clock (datetime.now) @ lines 7" in clock_findings()
        assert "clock: aimonitor.analytics.fake reads the clock (date.today) @ lines 7" in clock_findings()
        assert any(f.startswith("library: click is imported by aimonitor.analytics.fake") for f in library_findings())
    finally:
        del MODULES[mod.name]

"""Terminal rendering with rich: consoles, progress and the tables of fetch/status/alerts."""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def progress(enabled: bool) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A transient spinner with a label on a terminal's stderr; no-ops otherwise."""
    if not enabled or not sys.stderr.isatty():
        return (lambda _label: None), (lambda: None)
    prog = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=console(stderr=True), transient=True)
    prog.start()
    task = prog.add_task("starting", total=None)
    return (lambda label: prog.update(task, description=label)), prog.stop


def fetch_table(rep: Any) -> Table:
    t = Table(title=f"fetch from {rep.source}")
    for col in ("series", "kind", "new", "updated", "first", "last", "error"):
        t.add_column(col, justify="right" if col in ("new", "updated") else "left")
    for name, r in rep.symbols.items():
        t.add_row(name, r.kind, str(r.rows_new), str(r.rows_updated), r.first or "", r.last or "",
                  f"[red]{r.error}[/red]" if r.error else ("" if not r.rejected else f"{len(r.rejected)} rows rejected"))
    return t


def status_table(rep: Any) -> Table:
    t = Table(title=f"{rep.db} (as of {rep.as_of})")
    t.add_column("symbol")
    t.add_column("first")
    t.add_column("last session")
    t.add_column("stale", justify="right")
    t.add_column("rows", justify="right")
    for sym, s in rep.symbols.items():
        stale = s["stale_sessions"]
        shown = "" if stale is None else (f"[yellow]{stale}[/yellow]" if stale else "0")
        t.add_row(sym, s.get("first_session") or "", s["last_session"] or "[red]none[/red]", shown, str(s.get("rows", 0)))
    for ser, s in rep.fred.items():
        t.add_row(ser, s["first_date"], s["last_date"], "", str(s["rows"]))
    run = rep.last_run
    t.caption = (f"last run: {run['started']} {run['status']} ({run['kind']})" if run else "no run yet") + \
        f" · firing alerts: {rep.firing}"
    return t


def alerts_table(alerts: Iterable[dict[str, Any]], title: str = "alerts") -> Table:
    t = Table(title=title)
    for col in ("rule", "symbol", "severity", "state", "value", "threshold", "started", "fired", "resolved"):
        t.add_column(col)
    colour = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for a in alerts:
        sev = a.get("severity", "")
        t.add_row(a.get("rule", ""), a.get("symbol") or "", f"[{colour.get(sev, 'white')}]{sev}[/]",
                  a.get("state", ""), _num(a.get("value")), _num(a.get("threshold")), a.get("started") or "",
                  a.get("fired") or "", a.get("resolved") or "")
    return t


def _num(v: Any) -> str:
    if v is None:
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:.4g}"

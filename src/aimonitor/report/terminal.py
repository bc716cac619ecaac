"""Terminal rendering with rich: consoles, progress and the tables of fetch/status/alerts."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table


def console(stderr: bool = False) -> Console:
    """A rich console; when output is piped or logged it is 160 columns wide, not 80."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 160)


def progress(enabled: bool) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A transient spinner with a label on a terminal's stderr; no-ops otherwise."""
    if not enabled or not sys.stderr.isatty():
        return (lambda _label: None), (lambda: None)
    prog = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    )
    prog.start()
    task = prog.add_task("starting", total=None)
    return (lambda label: prog.update(task, description=label)), prog.stop


def fetch_table(rep: Any) -> Table:
    t = Table(title=f"fetch from {rep.source}")
    for col in ("series", "kind", "new", "updated", "first", "last", "error"):
        t.add_column(col, justify="right" if col in ("new", "updated") else "left")
    for name, r in rep.symbols.items():
        t.add_row(
            name,
            r.kind,
            str(r.rows_new),
            str(r.rows_updated),
            r.first or "",
            r.last or "",
            f"[red]{r.error}[/red]" if r.error else ("" if not r.rejected else f"{len(r.rejected)} rows rejected"),
        )
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
        t.add_row(
            sym, s.get("first_session") or "", s["last_session"] or "[red]none[/red]", shown, str(s.get("rows", 0))
        )
    for ser, s in rep.fred.items():
        t.add_row(ser, s["first_date"], s["last_date"], "", str(s["rows"]))
    run = rep.last_run
    t.caption = (
        f"last run: {run['started']} {run['status']} ({run['kind']})" if run else "no run yet"
    ) + f" · firing alerts: {rep.firing}"
    return t


def alerts_table(alerts: Iterable[dict[str, Any]], title: str = "alerts") -> Table:
    t = Table(title=title)
    for col in ("rule", "symbol", "severity", "state", "value", "threshold", "started", "fired", "resolved"):
        t.add_column(col)
    colour = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for a in alerts:
        sev = a.get("severity", "")
        t.add_row(
            a.get("rule", ""),
            a.get("symbol") or "",
            f"[{colour.get(sev, 'white')}]{sev}[/]",
            a.get("state", ""),
            _num(a.get("value")),
            _num(a.get("threshold")),
            a.get("started") or "",
            a.get("fired") or "",
            a.get("resolved") or "",
        )
    return t


def _num(v: Any) -> str:
    if v is None:
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:.4g}"


def mentions_table(doc: dict[str, Any]) -> Table:
    arts = ", ".join(f"{a['path']} ({a['lang']}, {a['published'] or 'undated'})" for a in doc.get("articles", []))
    t = Table(title=f"{len(doc.get('mentions', []))} mentions", caption=arts)
    for col in ("type", "tickers", "amount", "unit", "date", "quote"):
        t.add_column(col, overflow="fold")
    for m in doc.get("mentions", []):
        amt = "" if m.get("amount") is None else f"{m['amount']:.4g}"
        t.add_row(
            m["type"],
            ",".join(m.get("tickers", [])),
            amt,
            m.get("unit") or "",
            m.get("resolved_date") or m.get("date_phrase") or "",
            m["quote"][:120],
        )
    return t


def events_table(events: Iterable[dict[str, Any]]) -> Table:
    t = Table(title="events")
    for col in ("event_id", "announce", "timing", "day0", "tickers", "type", "amount (USD)", "description"):
        t.add_column(col, overflow="fold")
    for e in events:
        amt = "" if e.get("amount_usd") is None else f"{e['amount_usd']:.3g}"
        t.add_row(
            e["event_id"],
            e.get("announce_date") or "",
            e.get("timing") or "",
            e.get("day0") or "",
            ",".join(e.get("tickers", [])),
            e.get("event_type") or "",
            amt,
            (e.get("description") or "")[:90],
        )
    return t


def rules_table(rules: Iterable[dict[str, Any]], title: str) -> Table:
    t = Table(title=title)
    for col in ("name", "signal", "symbols", "condition", "clear", "for", "repeat", "severity", "enabled"):
        t.add_column(col, overflow="fold")
    for r in rules:
        syms = r["symbols"] if isinstance(r["symbols"], str) else ",".join(r["symbols"])
        cond = f"{'|x| ' if r.get('absolute') else ''}{r['op']} {r['threshold']:g}"
        t.add_row(
            r["name"],
            r["signal"],
            syms,
            cond,
            "" if r.get("clear_threshold") is None else f"{r['clear_threshold']:g}",
            str(r.get("for_sessions", 0)),
            str(r.get("repeat_sessions", 0)),
            r["severity"],
            "yes" if r.get("enabled", True) else "no",
        )
    return t


def backtest_table(res: Any) -> Table:
    doc = res.to_json()
    t = Table(title=f"backtest {doc['from']} .. {doc['to']} (nothing was sent)")
    t.add_column("rule")
    t.add_column("fired", justify="right")
    t.add_column("sessions it started firing on", overflow="fold")
    for rule, n in doc["summary"].items():
        days = doc.get("fired_sessions", {}).get(rule, [])
        shown = ", ".join(days[:12]) + (f" … (+{len(days) - 12})" if len(days) > 12 else "")
        t.add_row(rule, str(n), shown)
    return t


def cycle_summary(res: Any) -> Table:
    doc = res.to_json()
    t = alerts_table(
        doc["alerts"],
        title=f"cycle for {doc['as_of']}: {doc['signals']} signal rows, {len(doc['transitions'])} transitions",
    )
    n = doc["notifications"]
    t.caption = f"alerts/ lines written: {n['written']} · sent: {n['sent']}" + (
        f" · failed channels (retried next cycle): {', '.join(n['failed'])}" if n["failed"] else ""
    )
    return t


def demo_summary(res: Any) -> Table:
    doc = res.to_json()
    t = Table(
        title=f"demo: {doc['sessions']} sessions replayed {doc['from']} .. {doc['to']} "
        f"in {doc['seconds']:.1f}s (database {doc['db']})"
    )
    t.add_column("rule")
    t.add_column("fired", justify="right")
    t.add_column("symbols", overflow="fold")
    for rule, info in doc["fired"].items():
        t.add_row(rule, str(info["count"]), ", ".join(info["symbols"]))
    t.caption = (
        f"alerts: {doc['alerts_dir']}/alerts.jsonl and daily digests · reports: {doc['reports']['dashboard']}"
        f" · event study: {doc['reports'].get('event_study') or '-'}"
    )
    return t

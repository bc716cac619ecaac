"""Terminal rendering with rich: consoles, progress and the tables of fetch/status/alerts."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable
from typing import IO, Any, Protocol

from rich.console import Console
from rich.table import Table

from aimonitor.report.formatting import format_usd

__all__ = ["Table", "console", "progress"]


class Tick(Protocol):
    """Progress callback: a label, optionally how much of how much is done."""

    def __call__(self, label: str, done: int | None = None, total: int | None = None) -> None: ...


def console(stderr: bool = False) -> Console:
    """A rich console; when output is piped or logged it is 160 columns wide, not 80."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 160)


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class LineProgress:
    """Progress for a stream that is not a terminal (a log, CI, a pipe): one line per phase,
    and one line every ``every`` steps (and at the last) of a counted phase, with an ETA."""

    def __init__(self, stream: IO[str], every: int = 25, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.every = max(1, every)
        self.clock = clock
        self.t0 = clock()
        self._phase: str | None = None
        self._phase_t0 = self.t0

    @staticmethod
    def _phase_of(label: str) -> str:
        # "replaying 2025-07-01 (20/187)" and "stored NVDA" are steps of one phase each
        return " ".join(re.sub(r"[0-9][0-9\-/.:()]*", "#", label).split()[:1])

    def __call__(self, label: str, done: int | None = None, total: int | None = None) -> None:
        now = self.clock()
        phase = self._phase_of(label)
        new_phase = phase != self._phase
        if new_phase:
            self._phase, self._phase_t0 = phase, now
        counted = done is not None and total is not None and total > 0
        if not new_phase and not counted:
            return
        if counted:
            assert done is not None and total is not None
            step = max(self.every, -(-total // 10))  # at most ~10 lines per phase
            if not new_phase and done % step != 0 and done != total:
                return
        line = f"[{_duration(now - self.t0):>6}] {label}"
        if counted:
            assert done is not None and total is not None
            line += f" ({done}/{total}"
            if 1 < done < total:
                eta = (now - self._phase_t0) / done * (total - done)
                line += f", about {_duration(eta)} left"
            line += ")"
        self.stream.write(line + "\n")
        self.stream.flush()


def progress(enabled: bool, *, stream: IO[str] | None = None, every: int = 25) -> tuple[Tick, Callable[[], None]]:
    """Feedback on stderr for long work: ``(tick, stop)``.

    On a terminal, a transient rich bar with the label, done/total, elapsed time and the
    time remaining; elsewhere (``stream`` not a tty) a :class:`LineProgress` writing one line
    per phase and every ``every`` steps. ``enabled=False`` gives no-ops.
    """
    out = stream if stream is not None else sys.stderr
    if not enabled:
        return (lambda label, done=None, total=None: None), (lambda: None)
    if not out.isatty():
        return LineProgress(out, every=every), (lambda: None)
    # rich.progress costs ~30-150 ms to import: only a terminal run (never cron, the daemon or a pipe) needs it
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    prog = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(file=out, highlight=False),
        transient=True,
    )
    prog.start()
    task = prog.add_task("starting", total=None)

    def tick(label: str, done: int | None = None, total: int | None = None) -> None:
        if total:
            prog.update(task, description=label, completed=done or 0, total=total)
        else:
            prog.update(task, description=label)

    return tick, prog.stop


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


def format_value(value: Any, unit: str = "") -> str:
    """A value in its rule's unit: fractions as percent, bp, z-scores; plain otherwise."""
    if value is None:
        return ""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if f != f:  # NaN
        return ""
    if unit == "%":
        return f"{f:.1%}"
    if unit == "%/yr":
        return f"{f:.1%}/yr"
    if unit == "bp":
        return f"{f:.0f} bp"
    if unit == "z":
        return f"z {f:.2f}"
    if unit in ("sessions", "rules"):
        return f"{f:.0f} {unit}"
    return f"{f:.4g}"


def alerts_table(alerts: Iterable[dict[str, Any]], title: str = "alerts") -> Table:
    """ALERT documents: what breached (summary), the value and peak in the rule's unit, since when."""
    t = Table(title=title)
    for col in ("rule", "symbol", "severity", "state", "since", "value", "peak", "threshold", "summary"):
        t.add_column(col, overflow="fold", no_wrap=col in ("rule", "since", "state"))
    colour = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for a in alerts:
        sev = a.get("severity", "")
        unit = a.get("unit", "")
        since = a.get("since") or a.get("resolved") or a.get("fired") or a.get("started") or ""
        summary = a.get("summary") or ""
        if a.get("state") == "resolved" and a.get("resolution"):
            summary += f" — {a['resolution']}"
        t.add_row(
            a.get("rule", ""),
            a.get("symbol") or "",
            f"[{colour.get(sev, 'white')}]{sev}[/]",
            a.get("state", ""),
            since,
            format_value(a.get("value"), unit),
            format_value(a.get("peak"), unit),
            format_value(a.get("threshold"), unit) if a.get("rule") not in ("nodata", "pipeline") else "",
            summary,
        )
    return t


def _amount(amount: Any, unit: str | None) -> str:
    """A mention's amount the way a journalist writes it (``$100B``, ``5 GW``), never ``1e+11``."""
    if amount is None:
        return ""
    if unit == "USD":
        return format_usd(float(amount))
    a = float(amount)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(a) >= scale:
            return f"{a / scale:.3g}{suffix}"
    return f"{a:,.4g}" if abs(a) < 1e4 else f"{a:,.0f}"


def mentions_table(doc: dict[str, Any]) -> Table:
    arts = ", ".join(f"{a['path']} ({a['lang']}, {a['published'] or 'undated'})" for a in doc.get("articles", []))
    t = Table(title=f"{len(doc.get('mentions', []))} mentions", caption=arts)
    for col in ("type", "tickers", "amount", "unit", "date", "quote"):
        t.add_column(col, overflow="fold")
    for m in doc.get("mentions", []):
        amt = _amount(m.get("amount"), m.get("unit"))
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
        amt = format_usd(e.get("amount_usd"))
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
        t.add_column(col, overflow="fold", no_wrap=col in ("condition", "clear", "for", "repeat", "enabled"))
    for r in rules:
        # ", " so a long list wraps between symbols, never inside one ("GOO/GL")
        syms = r["symbols"] if isinstance(r["symbols"], str) else ", ".join(r["symbols"])
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


def _episode(e: Any, unit: str) -> str:
    end = "still firing" if e.resolved is None else f"{e.sessions} session{'s' if e.sessions != 1 else ''}"
    return f"{e.fired.isoformat()} (peak {format_value(e.peak, unit)}, {end})"


def _symbol(sym: str) -> str:
    return "(market)" if sym == "*" else sym


def backtest_tables(res: Any, units: dict[str, str] | None = None) -> list[Table]:
    """One compact table per rule that fired: per symbol, the episodes (fired date, peak, duration)."""
    units = units or {}
    head = Table(title=f"backtest {res.start} .. {res.end} (nothing was sent)")
    head.add_column("rule")
    head.add_column("fired", justify="right")
    head.add_column("symbols", overflow="fold")
    by_rule: dict[str, dict[str, list[Any]]] = {}
    for e in res.episodes:
        by_rule.setdefault(e.rule, {}).setdefault(e.symbol, []).append(e)
    for rule, n in res.summary.items():
        syms = by_rule.get(rule, {})
        head.add_row(rule, str(n), ", ".join(f"{_symbol(s)} {len(v)}" for s, v in sorted(syms.items())))
    out = [head]
    for rule, syms in sorted(by_rule.items()):
        t = Table(title=rule, title_justify="left")
        t.add_column("symbol", no_wrap=True)
        t.add_column("n", justify="right")
        t.add_column("episodes: fired (peak, duration)", overflow="fold")
        for sym, eps in sorted(syms.items()):
            t.add_row(_symbol(sym), str(len(eps)), "; ".join(_episode(e, units.get(rule, "")) for e in eps))
        out.append(t)
    return out


def comparison_tables(cmp: Any, units: dict[str, str] | None = None) -> list[Table]:
    """Before/after of a tuning run: per rule a table of symbols with episodes added and removed."""
    units = units or {}
    res, base = cmp.result, cmp.baseline
    head = Table(
        title=f"backtest {res.start} .. {res.end}: baseline vs with {'; '.join(cmp.changes) or 'no change'}",
        caption="nothing was sent; added/removed = episodes whose fired date appears only with/without the change",
    )
    head.add_column("rule")
    head.add_column("baseline", justify="right")
    head.add_column("tried", justify="right")
    head.add_column("added", justify="right")
    head.add_column("removed", justify="right")
    diffs = cmp.diff()
    for rule in dict.fromkeys([*base.summary, *res.summary]):
        d = [x for x in diffs if x.rule == rule]
        head.add_row(
            rule,
            str(base.summary.get(rule, 0)),
            str(res.summary.get(rule, 0)),
            str(sum(len(x.added) for x in d)),
            str(sum(len(x.removed) for x in d)),
        )
    out = [head]
    for rule in dict.fromkeys(x.rule for x in diffs):
        unit = units.get(rule, "")
        t = Table(title=rule, title_justify="left")
        t.add_column("symbol", no_wrap=True)
        t.add_column("added: fired (peak, duration)", overflow="fold")
        t.add_column("removed: fired (peak, duration)", overflow="fold")
        for x in diffs:
            if x.rule == rule:
                t.add_row(
                    _symbol(x.symbol),
                    "; ".join(_episode(e, unit) for e in x.added) or "-",
                    "; ".join(_episode(e, unit) for e in x.removed) or "-",
                )
        out.append(t)
    if cmp.marks:
        t = Table(title="lead time before the marked dates (sessions from first firing to the mark)")
        for col in ("mark", "rule", "symbol", "baseline", "tried"):
            t.add_column(col, justify="right" if col in ("baseline", "tried") else "left")
        lead_new = {(x["mark"], x["rule"], x["symbol"]): x for x in cmp.lead_times(res)}
        lead_old = {(x["mark"], x["rule"], x["symbol"]): x for x in cmp.lead_times(base)}
        for key in sorted(set(lead_new) | set(lead_old), key=lambda k: (k[0], k[1], k[2] or "")):
            t.add_row(
                key[0],
                key[1],
                key[2] or "(market)",
                str(lead_old[key]["lead_sessions"]) if key in lead_old else "-",
                str(lead_new[key]["lead_sessions"]) if key in lead_new else "-",
            )
        out.append(t)
    calm_new, calm_old = cmp.calm_counts(res), cmp.calm_counts(base)
    if calm_new or calm_old:
        what = (
            ", ".join(f"{a}..{b}" for a, b in cmp.calm)
            if cmp.calm
            else f"sessions more than {cmp.calm_gap} from every mark"
        )
        t = Table(title=f"firings in calm periods ({what})")
        for col in ("rule", "baseline", "tried"):
            t.add_column(col, justify="left" if col == "rule" else "right")
        for rule in dict.fromkeys([*calm_old, *calm_new]):
            t.add_row(rule, str(calm_old.get(rule, 0)), str(calm_new.get(rule, 0)))
        out.append(t)
    return out


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
    spreads = doc["reports"].get("spreads") or []
    spreads_dir = doc["reports"].get("spreads_dir") or "-"
    t.caption = (
        f"alerts: {doc['alerts_dir']}/alerts.jsonl and daily digests · dashboard: {doc['reports']['dashboard']}"
        f" · event study: {doc['reports'].get('event_study') or '-'}"
        f" · spreads: {spreads_dir}/ ({len(spreads)} charts)"
    )
    return t

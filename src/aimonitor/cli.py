"""The command line (the only click user). Thin: parse, call the library, render.

Every :class:`~aimonitor.errors.AimonitorError` becomes one line ``Error: ...`` on
stderr and exit code 1; usage errors exit 2; partial success exits 3. ``--json`` prints
exactly one JSON document on stdout; logs go to stderr.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import sys
from pathlib import Path
from typing import Any

import click

from aimonitor import __version__
from aimonitor.errors import AimonitorError
from aimonitor.report.terminal import console
from aimonitor.report.terminal import progress as _progress

log = logging.getLogger("aimonitor")

EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 1, 2, 3


# --------------------------------------------------------------------------- helpers


class Ctx:
    """Lazily loaded configuration and store, shared by the commands."""

    def __init__(self, config_path: str | None, db: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.db_override = db
        self.verbose = verbose
        self._cfg = None
        self._store = None

    @property
    def cfg(self):
        if self._cfg is None:
            from aimonitor.config import load_config

            self._cfg = load_config(self.config_path, db=self.db_override)
        return self._cfg

    @property
    def store(self):
        if self._store is None:
            from aimonitor.store import Store

            self._store = Store(self.cfg.storage.path)
        return self._store

    @property
    def reading_store(self):
        """The store for commands that only look: the configured database, or, while it does not
        exist yet and no database was named, the one `aimonitor demo` left in reports/ (said on stderr)."""
        if self._store is None and not self.db_override:
            from aimonitor.demo import DEMO_DB

            configured = Path(self.cfg.storage.path)
            if not configured.exists() and DEMO_DB.exists():
                click.echo(
                    f"note: no database at {configured} yet; reading the demo database {DEMO_DB} "
                    f"(run `aimonitor fetch` to create yours, or pass --db)",
                    err=True,
                )
                from aimonitor.store import Store

                self._store = Store(DEMO_DB)
        return self.store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _json_default(o: Any) -> Any:
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "to_json"):
        return o.to_json()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _nan_to_none(o: Any) -> Any:
    if isinstance(o, float) and (math.isnan(o) or math.isinf(o)):
        return None
    if isinstance(o, dict):
        return {k: _nan_to_none(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_nan_to_none(v) for v in o]
    return o


def emit_json(doc: Any) -> None:
    """Print exactly one JSON document on stdout (NaN → null)."""
    click.echo(json.dumps(_nan_to_none(doc), default=_json_default, ensure_ascii=False, indent=2))


def parse_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=name) from None


def default_as_of() -> dt.date:
    """The last completed NYSE session now (the only place the CLI reads the clock)."""
    from aimonitor import calendar

    return calendar.last_completed_session(dt.datetime.now(dt.UTC))


class _RateLimited(logging.Filter):
    """Show a log line whose message, digits aside, was shown less than ``interval`` seconds
    ago only once (replays repeat warnings); after the interval it is shown again, with how
    many repeats were held back, so a failure that recurs every day is logged every day."""

    def __init__(self, interval: float = 300.0, clock: Any = None) -> None:
        super().__init__()
        import time

        self.interval = interval
        self._clock = clock or time.monotonic
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, re.sub(r"[0-9.+-]+", "#", record.getMessage()))
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self.interval:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        held = last[1] if last else 0
        self._seen[key] = (now, 0)
        if held:
            record.msg, record.args = f"{record.getMessage()} (repeated {held} more times)", None
        return True


def _setup_logging(verbose: int) -> None:
    from aimonitor.redact import RedactingFilter

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # secrets (URL passwords, webhook tokens) are masked at every level, apprise's debug lines included
    handler.addFilter(RedactingFilter())
    if verbose < 2:
        handler.addFilter(_RateLimited())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # yfinance logs every failed ticker at ERROR; we report failures ourselves.
    logging.getLogger("yfinance").setLevel(logging.CRITICAL if verbose < 2 else logging.DEBUG)
    import warnings

    if verbose < 2:
        warnings.filterwarnings("ignore", module="yfinance")
        warnings.filterwarnings("ignore", category=FutureWarning)


class AimonitorGroup(click.Group):
    """Turns AimonitorError into ``Error: ...`` + exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AimonitorError as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            click.echo(f"Error: {msg}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:  # an unwritable --out/--csv path, a full disk: one line, no traceback
            from aimonitor.errors import describe_os_error

            click.echo(f"Error: {describe_os_error(exc)}", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            ctx.exit(130)


pass_ctx = click.make_pass_decorator(Ctx)


# --------------------------------------------------------------------------- group


@click.group(cls=AimonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="AIMONITOR_CONFIG",
    type=click.Path(dir_okay=False),
    help="Config file (default: ./config/aimonitor.toml if present, else the packaged default).",
)
@click.option(
    "--db", envvar="AIMONITOR_DB", type=click.Path(dir_okay=False), help="SQLite database (overrides [storage].path)."
)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.version_option(__version__, prog_name="aimonitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db: str | None, verbose: int) -> None:
    """Monitor the AI-infrastructure financing loop: prices, credit proxies, events and alerts."""
    _setup_logging(verbose)
    obj = Ctx(config_path, db, verbose)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


# --------------------------------------------------------------------------- fetch / status


def _make_source(c: Ctx, spec: str | None):
    from aimonitor.sources import make_source

    s = c.cfg.source
    return make_source(
        spec or s.default, timeout=s.timeout_seconds, max_retries=s.max_retries, backoff=s.backoff_seconds
    )


@cli.command()
@click.option("--source", "source_spec", help="yahoo | snapshot | csv:DIR (default: [source].default).")
@click.option("--symbols", help="Comma-separated symbols (and FRED series) instead of the configured ones.")
@click.option("--start", help="First date to fetch (YYYY-MM-DD).")
@click.option("--end", help="Last date to fetch (YYYY-MM-DD); never after the last completed session.")
@click.option("--as-of", "as_of", help="Treat this date as today's last completed session.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def fetch(
    c: Ctx,
    source_spec: str | None,
    symbols: str | None,
    start: str | None,
    end: str | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Ingest daily bars, FRED series and fundamentals: what is missing plus a re-fetch window."""
    from aimonitor.ingest import run_fetch
    from aimonitor.report.terminal import fetch_table
    from aimonitor.runner import check_as_of

    source = _make_source(c, source_spec)
    asof = check_as_of(parse_date(as_of, "--as-of") or default_as_of(), default_as_of())
    syms = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None
    tick, stop = _progress(not as_json)
    try:
        rep = run_fetch(
            c.cfg,
            c.store,
            source,
            as_of=asof,
            symbols=syms,
            start=parse_date(start, "--start"),
            end=parse_date(end, "--end"),
            progress=tick,
        )
    finally:
        stop()
    if as_json:
        emit_json(rep.to_json())
    else:
        console().print(fetch_table(rep))
        for name in rep.failed:
            click.echo(f"warning: {name}: {rep.symbols[name].error}", err=True)
    if rep.exit_code:
        if not as_json and rep.exit_code == EXIT_PARTIAL:
            click.echo(
                f"Error: {len(rep.failed)} of {len(rep.symbols)} series failed to fetch "
                f"({', '.join(rep.failed)}); the others were stored",
                err=True,
            )
        elif rep.exit_code == EXIT_ERROR:
            click.echo(f"Error: nothing was fetched from {source.name}; try --source snapshot", err=True)
        sys.exit(rep.exit_code)


@cli.command()
@click.option("--as-of", "as_of", help="Measure staleness against this session (default: the last completed one).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(c: Ctx, as_of: str | None, as_json: bool) -> None:
    """What the store holds, how stale each symbol is, the last run and firing alerts."""
    from aimonitor.config import notify_urls
    from aimonitor.notify import channel_id, parse_channel_spec
    from aimonitor.report.terminal import status_table
    from aimonitor.status import build_status

    ids = [channel_id(u, n) for n, u in (parse_channel_spec(x) for x in notify_urls(c.cfg))]
    rep = build_status(c.cfg, c.reading_store, parse_date(as_of, "--as-of") or default_as_of(), channels=ids)
    if as_json:
        emit_json(rep.to_json())
    else:
        console().print(status_table(rep))
        for line in rep.problems():
            click.echo(line, err=True)


# --------------------------------------------------------------------------- events


@cli.group()
def events() -> None:
    """Deal events: extract them from articles, import a curated catalog, list it."""


@events.command("extract")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--csv",
    "csv_out",
    type=click.Path(dir_okay=False),
    help="Also write the mentions as a candidates CSV that `events import` accepts.",
)
@click.option(
    "--entities", type=click.Path(dir_okay=False), help="Entity dictionary (default: [events].entities or packaged)."
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def events_extract(c: Ctx, paths: tuple[str, ...], csv_out: str | None, entities: str | None, as_json: bool) -> None:
    """Read article files (UTF-8, Chinese or English) and print the deal mentions found."""
    from aimonitor.events.catalog import write_candidates_csv
    from aimonitor.events.entities import load_entities
    from aimonitor.events.extract import extract_paths
    from aimonitor.report.terminal import mentions_table

    ent_path = entities or c.cfg.events.entities
    res = extract_paths(paths, entities=load_entities(ent_path) if ent_path else None)
    if csv_out:
        n = write_candidates_csv(res.mentions, csv_out)
        click.echo(
            f"wrote {n} candidate events to {csv_out}; review, then `aimonitor events import {csv_out}`", err=True
        )
    doc = res.to_json()
    if as_json:
        emit_json(doc)
    else:
        console().print(mentions_table(doc))
    for f in doc.get("failures", []):
        reason = f["reason"] if str(f["reason"]).startswith(str(f["path"])) else f"{f['path']}: {f['reason']}"
        click.echo(f"warning: skipped {reason}", err=True)
    if doc.get("failures"):
        if not doc.get("articles"):
            click.echo("Error: no article could be read", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_PARTIAL)


@events.command("import")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def events_import(c: Ctx, file: str | None, as_json: bool) -> None:
    """Import a curated event CSV (default: the packaged catalog); re-importing changes nothing."""
    from aimonitor.services import import_events

    records, count = import_events(c.store, file or c.cfg.events.catalog)
    doc = {
        "file": file or "packaged catalog",
        "events": len(records),
        "rows_new": count.rows_new,
        "rows_updated": count.rows_updated,
    }
    if as_json:
        emit_json(doc)
    else:
        click.echo(
            f"imported {len(records)} events from {doc['file']}: {count.rows_new} new, {count.rows_updated} updated"
        )


@events.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def events_list(c: Ctx, as_json: bool) -> None:
    """Stored events with their day 0 on the NYSE calendar."""
    from aimonitor.report.terminal import events_table
    from aimonitor.services import list_events

    recs = [r.to_json() for r in list_events(c.cfg, c.reading_store)]
    if as_json:
        emit_json({"events": recs})
    else:
        console().print(events_table(recs))


# --------------------------------------------------------------------------- study


def _window(value: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected A,B (e.g. -1,1), got {value!r}", param_hint="--window") from None
    if a > b:
        raise click.BadParameter(f"A must be <= B, got {value!r}", param_hint="--window")
    return a, b


@cli.command()
@click.option("--event", "event_ids", multiple=True, help="Catalog event id (repeatable).")
@click.option("--all-events", is_flag=True, help="Every dated catalog event with tickers.")
@click.option(
    "--prices", type=click.Path(dir_okay=False), help="User CSV: a date column and one price column per symbol."
)
@click.option(
    "--market", help="Market column of --prices (or benchmark symbol for stored data; default [watchlist].market)."
)
@click.option("--event-date", help="Event date for --prices (YYYY-MM-DD).")
@click.option("--symbols", help="Comma-separated symbols of --prices to study (default: all but the market).")
@click.option("--window", default="-1,1", show_default=True, help="Event window A,B in sessions around day 0.")
@click.option("--estimation-length", default=250, show_default=True, type=int)
@click.option(
    "--gap", default=10, show_default=True, type=int, help="Sessions between estimation end and window start."
)
@click.option("--estimation-start", help="Explicit estimation start (YYYY-MM-DD).")
@click.option("--estimation-end", help="Explicit estimation end (YYYY-MM-DD).")
@click.option(
    "--model", type=click.Choice(["market", "market-adjusted", "constant-mean"]), default="market", show_default=True
)
@click.option("--returns", "returns_kind", type=click.Choice(["simple", "log"]), default="simple", show_default=True)
@click.option("--min-estimation", default=60, show_default=True, type=int)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), help="Write the report (markdown, HTML, PNG, CSV) here."
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def study(
    c: Ctx,
    event_ids: tuple[str, ...],
    all_events: bool,
    prices: str | None,
    market: str | None,
    event_date: str | None,
    symbols: str | None,
    window: str,
    estimation_length: int,
    gap: int,
    estimation_start: str | None,
    estimation_end: str | None,
    model: str,
    returns_kind: str,
    min_estimation: int,
    out_dir: str | None,
    as_json: bool,
) -> None:
    """Event study: abnormal returns around catalog events (stored data) or a date (user CSV)."""
    from aimonitor.report.eventstudy import study_table, write_study_report
    from aimonitor.services import study_csv, study_stored_events
    from aimonitor.study import StudyOptions

    if (estimation_start is None) != (estimation_end is None):
        raise click.UsageError("--estimation-start and --estimation-end go together")
    opts = StudyOptions(
        window=_window(window),
        estimation_length=estimation_length,
        gap=gap,
        estimation_start=parse_date(estimation_start, "--estimation-start"),
        estimation_end=parse_date(estimation_end, "--estimation-end"),
        model=model,
        returns=returns_kind,
        min_estimation=min_estimation,
    )
    if prices:
        if not market or not event_date:
            raise click.UsageError("--prices needs --market COLUMN and --event-date D")
        syms = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
        res = study_csv(prices, market, parse_date(event_date, "--event-date"), syms, opts)
    else:
        if not event_ids and not all_events:
            raise click.UsageError("pass --event ID (repeatable), --all-events, or --prices FILE")
        res = study_stored_events(c.cfg, c.reading_store, list(event_ids), all_events, opts, market=market)
    if out_dir:
        paths = write_study_report(res, out_dir)
        click.echo(f"report written to {paths[0]} ({len(paths)} files)", err=True)
    if as_json:
        emit_json(res.to_json())
    else:
        for t in study_table(res):
            console().print(t)


# --------------------------------------------------------------------------- spreads


@cli.group(invoke_without_command=True)
@click.option("--symbols", help="Comma-separated names (default: the watchlist).")
@click.option("--since", help="Baseline date of the changes (default: 60 sessions before --as-of).")
@click.option("--as-of", "as_of", help="Evaluation session (default: the last stored session).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Also write PNG charts here.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def spreads(
    ctx: click.Context, symbols: str | None, since: str | None, as_of: str | None, out_dir: str | None, as_json: bool
) -> None:
    """Credit-spread widening: equity-implied CDS proxies beside FRED and credit-ETF spreads."""
    if ctx.invoked_subcommand is not None:
        return
    from aimonitor import calendar
    from aimonitor.report.spreads import spreads_table
    from aimonitor.services import last_stored_session, spreads_charts, spreads_report

    c: Ctx = ctx.obj
    asof = parse_date(as_of, "--as-of") or last_stored_session(c.reading_store)
    base = parse_date(since, "--since") or calendar.session_offset(calendar.session_on_or_before(asof), -60)
    syms = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None
    rep = spreads_report(c.cfg, c.reading_store, asof, base, syms)
    if out_dir:
        paths = spreads_charts(c.cfg, c.reading_store, out_dir, since=base, as_of=asof, symbols=syms)
        click.echo(f"{len(paths)} charts written to {out_dir}", err=True)
    if as_json:
        emit_json(rep.to_json())
    else:
        console().print(spreads_table(rep))


@spreads.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def spreads_import(c: Ctx, file: str, as_json: bool) -> None:
    """Import CDS quotes (entity,date,tenor,spread_bp,source) to calibrate and show beside the proxy."""
    from aimonitor.services import import_cds_quotes

    n, count = import_cds_quotes(c.store, file)
    doc = {"file": file, "quotes": n, "rows_new": count.rows_new, "rows_updated": count.rows_updated}
    if as_json:
        emit_json(doc)
    else:
        click.echo(f"imported {n} quotes from {file}: {count.rows_new} new, {count.rows_updated} updated")


# --------------------------------------------------------------------------- rules / alerts


@cli.group()
def rules() -> None:
    """Alert rules: validate and list them, or replay them over stored history."""


@rules.command("check")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def rules_check(c: Ctx, as_json: bool) -> None:
    """Validate the config and print the rules."""
    from aimonitor.report.terminal import rules_table

    cfg = c.cfg
    docs = [r.model_dump(mode="json") for r in cfg.rules]
    if as_json:
        emit_json(
            {"config": cfg.source_path, "rules": docs, "silences": [s.model_dump(mode="json") for s in cfg.silences]}
        )
    else:
        console().print(
            rules_table(docs, title=f"{cfg.source_path}: {len(docs)} rules, {len(cfg.silences)} silences — valid")
        )


@rules.command("backtest")
@click.option("--from", "start", help="First session (default: 2025-06-02).")
@click.option("--to", "end", help="Last session (default: the last stored session).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="RULE.FIELD=VALUE",
    help="Try a threshold without editing the file (repeatable), e.g. drawdown_warning.threshold=-0.2",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def rules_backtest(c: Ctx, start: str | None, end: str | None, overrides: tuple[str, ...], as_json: bool) -> None:
    """Replay the rules over stored history without notifying anyone."""
    from aimonitor.pipeline import run_backtest
    from aimonitor.report.terminal import backtest_table
    from aimonitor.services import last_stored_session

    last = last_stored_session(c.reading_store)
    res = run_backtest(
        c.cfg,
        c.reading_store,
        parse_date(start, "--from") or dt.date(2025, 6, 2),
        parse_date(end, "--to") or last,
        overrides,
    )
    if as_json:
        emit_json(res.to_json())
    else:
        console().print(backtest_table(res))


@cli.group()
def alerts() -> None:
    """Alerts fired by the monitoring cycles."""


@alerts.command("list")
@click.option("--state", type=click.Choice(["firing", "resolved", "pending", "all"]), default="all", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_list(c: Ctx, state: str, as_json: bool) -> None:
    """Stored alerts (ALERT documents)."""
    from aimonitor.report.terminal import alerts_table

    keys = (
        "id",
        "rule",
        "symbol",
        "severity",
        "state",
        "value",
        "threshold",
        "started",
        "fired",
        "resolved",
        "summary",
    )
    docs = [{k: a.get(k) for k in keys} for a in c.reading_store.read_alerts(state)]
    for d in docs:
        if d["symbol"] == "*":
            d["symbol"] = None
    if as_json:
        emit_json({"alerts": docs})
    else:
        console().print(alerts_table(docs, title=f"alerts ({state})"))


@alerts.command("outbox")
@click.option("--retarget", metavar="OLD=NEW", help="Move undelivered notifications of channel OLD to NEW.")
@click.option("--drop", "drop", metavar="CHANNEL", help="Forget the undelivered notifications of CHANNEL.")
@click.option(
    "--requeue",
    metavar="CHANNEL",
    help="Send again the notifications a killed run left 'sending' on CHANNEL (they may arrive twice).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_outbox(c: Ctx, retarget: str | None, drop: str | None, requeue: str | None, as_json: bool) -> None:
    """Undelivered notifications per channel; re-target, drop or re-queue them."""
    from aimonitor.config import notify_urls
    from aimonitor.notify import FILE_CHANNEL, channel_id, parse_channel_spec

    store = c.store
    changed: dict[str, int] = {}
    if retarget:
        old, sep, new = retarget.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"expected OLD=NEW, got {retarget!r}", param_hint="--retarget")
        changed["retargeted"] = store.retarget_outbox(old.strip(), new.strip())
    if drop:
        changed["dropped"] = store.drop_outbox(drop.strip())
    if requeue:
        changed["requeued"] = store.requeue_outbox(requeue.strip())
    configured = [FILE_CHANNEL, *(channel_id(u, n) for n, u in (parse_channel_spec(x) for x in notify_urls(c.cfg)))]
    counts = store.outbox_counts()
    doc = {
        "configured": configured,
        "channels": {ch: {**n, "configured": ch in configured} for ch, n in counts.items()},
        **changed,
    }
    if as_json:
        emit_json(doc)
        return
    for k, n in changed.items():
        click.echo(f"{k} {n} notification(s)")
    if not counts:
        click.echo("outbox empty: every notification was delivered")
    for ch, n in counts.items():
        note = "" if ch in configured else "  (channel not configured: --retarget or --drop)"
        click.echo(f"{ch}: " + ", ".join(f"{v} {k}" for k, v in sorted(n.items())) + note)


# --------------------------------------------------------------------------- run / daemon


@cli.command()
@click.option(
    "--once", is_flag=True, required=True, help="Run one cycle and exit (the daemon runs them on a schedule)."
)
@click.option("--source", "source_spec", help="yahoo | snapshot | csv:DIR (default: [source].default).")
@click.option("--as-of", "as_of", help="Session to run for (default: the last completed session).")
@click.option("--no-fetch", is_flag=True, help="Use stored data only.")
@click.option(
    "--rebuild-from",
    "rebuild_from",
    help="Put alert state back to what it was before this session and evaluate every session from it "
    "to --as-of again (needed to run a session before the last evaluated one; sent notifications are "
    "not sent again).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def run(
    c: Ctx,
    once: bool,
    source_spec: str | None,
    as_of: str | None,
    no_fetch: bool,
    rebuild_from: str | None,
    as_json: bool,
) -> None:
    """One monitoring cycle: fetch → signals → rules → alerts/ and notifications."""
    from aimonitor.config import notify_urls
    from aimonitor.notify import FILE_CHANNEL, make_channels
    from aimonitor.pipeline import run_cycle
    from aimonitor.report.terminal import cycle_summary
    from aimonitor.runner import check_as_of

    # the wall clock is read here, at the edge: a session that has not closed is refused
    asof = check_as_of(parse_date(as_of, "--as-of") or default_as_of(), default_as_of())
    rebuild = parse_date(rebuild_from, "--rebuild-from")
    channels = make_channels(notify_urls(c.cfg), timeout=c.cfg.notify.timeout_seconds)
    source = None if no_fetch else _make_source(c, source_spec)
    tick, stop = _progress(not as_json)
    try:
        res = run_cycle(c.cfg, c.store, source, asof, channels=channels, progress=tick, rebuild_from=rebuild)
    finally:
        stop()
    if as_json:
        emit_json(res.to_json())
    else:
        console().print(cycle_summary(res))
    failed = res.delivery.failed if res.delivery else {}
    for ch, msg in failed.items():
        what = "alerts folder" if ch == FILE_CHANNEL else f"channel {ch}"
        click.echo(f"warning: {what}: {msg} (kept in the outbox, retried next cycle)", err=True)
    if res.exit_code:
        sys.exit(res.exit_code)


@cli.command()
@click.option("--source", "source_spec", help="yahoo | snapshot | csv:DIR (default: [source].default).")
@pass_ctx
def daemon(c: Ctx, source_spec: str | None) -> None:
    """Run the cycle after every NYSE session close until SIGTERM/SIGINT."""
    from aimonitor.runner import serve

    if c.verbose == 0:
        # a daemon says what it does at INFO: start, next run, each cycle, catch-up ranges
        for name in ("aimonitor.daemon", "aimonitor.runner"):
            logging.getLogger(name).setLevel(logging.INFO)
    if c.verbose < 2:
        # the scheduler's own job-failure line carries a traceback; ours is one line
        logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)
    sys.exit(serve(c.cfg, c.store, source_spec))


# --------------------------------------------------------------------------- report / demo


@cli.command()
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--from", "start", help="First date shown (default: 2025-01-02).")
@click.option("--to", "end", help="Last date shown (default: the last stored session).")
@pass_ctx
def report(c: Ctx, out_dir: str, start: str | None, end: str | None) -> None:
    """A static HTML dashboard with PNG figures (prices, drawdowns, spreads, alerts, events)."""
    from aimonitor.report.dashboard import write_dashboard

    path = write_dashboard(
        c.cfg, c.reading_store, out_dir, start=parse_date(start, "--from"), end=parse_date(end, "--to")
    )
    click.echo(f"dashboard written to {path}")


@cli.command()
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--from", "start", help="First replayed session (default: 2025-06-02).")
@click.option("--to", "end", help="Last replayed session (default: the snapshot's last session).")
@click.option("--alerts-dir", help="Where fired alerts are written (default: [notify].alerts_dir).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def demo(c: Ctx, out_dir: str, start: str | None, end: str | None, alerts_dir: str | None, as_json: bool) -> None:
    """The whole product offline on the bundled real snapshot, replayed session by session."""
    from click.core import ParameterSource

    from aimonitor.demo import run_demo
    from aimonitor.report.terminal import demo_summary

    root = click.get_current_context().find_root()
    # never the user's database ($AIMONITOR_DB or [storage].path) unless --db is on the command line
    db = c.db_override if root.get_parameter_source("db") == ParameterSource.COMMANDLINE else None
    tick, stop = _progress(not as_json)
    try:
        res = run_demo(
            c.cfg,
            db=db,
            out_dir=out_dir,
            start=parse_date(start, "--from"),
            end=parse_date(end, "--to"),
            alerts_dir=alerts_dir,
            progress=tick,
        )
    finally:
        stop()
    if as_json:
        emit_json(res.to_json())
    else:
        console().print(demo_summary(res))


@cli.group()
def signals() -> None:
    """Derived signals."""


@signals.command("list")
@click.option("--json", "as_json", is_flag=True)
def signals_list(as_json: bool) -> None:
    """The signals rules can use, with their units."""
    from aimonitor.analytics.signals import signal_catalog

    cat = [{"name": n, "unit": u, "doc": d} for n, u, d in signal_catalog()]
    if as_json:
        emit_json({"signals": cat})
    else:
        for s in cat:
            click.echo(f"{s['name']:<26} {s['unit']:<10} {s['doc']}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="aimonitor")


if __name__ == "__main__":  # pragma: no cover
    main()

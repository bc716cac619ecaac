"""The command line (the only click user). Thin: parse, call the library, render.

Every :class:`~aimonitor.errors.AimonitorError` becomes one line ``Error: ...`` on
stderr and exit code 1; usage errors exit 2; partial success exits 3. ``--json`` prints
exactly one JSON document on stdout; logs go to stderr.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import logging
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # imported lazily at run time, so `--help` stays fast
    from aimonitor.config import AppConfig
    from aimonitor.store import Store

from aimonitor import __version__
from aimonitor.errors import AimonitorError
from aimonitor.report.terminal import console
from aimonitor.report.terminal import progress as _progress

log = logging.getLogger("aimonitor")

EXIT_ERROR, EXIT_PARTIAL = 1, 3  # 2 is click's own exit code for a usage error


# --------------------------------------------------------------------------- helpers


class Ctx:
    """Lazily loaded configuration and store, shared by the commands."""

    def __init__(self, config_path: str | None, db: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.db_override = db
        self.verbose = verbose
        self._cfg: AppConfig | None = None
        self._store: Store | None = None

    @property
    def cfg(self) -> AppConfig:
        if self._cfg is None:
            from aimonitor.config import load_config

            self._cfg = load_config(self.config_path, db=self.db_override)
            _start_collecting()
        return self._cfg

    @property
    def store(self) -> Store:
        if self._store is None:
            from aimonitor.store import Store

            self._store = Store(self.cfg.storage.path)
        return self._store

    @property
    def reading_store(self) -> Store:
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


@contextlib.contextmanager
def _data_warnings_as_log() -> Iterator[None]:
    """Bad input rows are reported once, by the library's log line ("WARNING ...: file:line: ..."),
    not a second time as a Python ``DataWarning`` pointing at our source code."""
    import warnings

    from aimonitor.errors import DataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        yield


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
    """Turns AimonitorError into ``Error: ...`` + exit 1; lists subcommands with their whole
    first sentence (wrapped, never cut off with "...")."""

    group_class = type  # subgroups (events, rules, ...) list their commands the same way

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            text = cmd.short_help or (cmd.help or "").split("\n\n")[0]
            rows.append((name, " ".join(text.replace("\b", "").split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

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


@click.group(
    cls=AimonitorGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  aimonitor demo                       the whole product offline, reports in reports/
  aimonitor fetch --source snapshot    load the bundled data into your database
  aimonitor run --once --json          one monitoring cycle, as JSON
  aimonitor rules backtest --set credit_proxy_widening.threshold=60
  aimonitor alerts list --state firing
Every command takes --help; most take --json (one JSON document on stdout).""",
)
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
    """Read articles (English, simplified or traditional Chinese; UTF-8/GBK/Big5/UTF-16); print deal mentions."""
    from aimonitor.events.catalog import write_candidates_csv
    from aimonitor.events.entities import load_entities
    from aimonitor.events.extract import extract_paths
    from aimonitor.report.terminal import mentions_table

    ent_path = entities or c.cfg.events.entities
    llm = c.cfg.extract if c.cfg.extract.engine == "openai" else None
    res = extract_paths(paths, entities=load_entities(ent_path) if ent_path else None, llm=llm)
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
@click.option("--json", "as_json", is_flag=True, help="Print {file, events, rows_new, rows_updated} as JSON.")
@pass_ctx
def events_import(c: Ctx, file: str | None, as_json: bool) -> None:
    """Import a curated event CSV (default: the packaged catalog).

    Re-importing an unchanged file reports 0 new, 0 updated. Bad rows are skipped with one
    warning each naming file and line; an announce date years before the file's other
    events is imported with a warning to check its year.

    \b
    Examples:
      aimonitor events import
      aimonitor events import my_events.csv --json
    """
    from aimonitor.services import import_events

    with _data_warnings_as_log():
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
        unchanged = len(records) - count.rows_new - count.rows_updated
        click.echo(
            f"imported {len(records)} events from {doc['file']}: {count.rows_new} new, "
            f"{count.rows_updated} updated, {unchanged} unchanged"
        )


@events.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="Print {events: [{event_id, announce_date, timing, day0, ...}]} as JSON."
)
@pass_ctx
def events_list(c: Ctx, as_json: bool) -> None:
    """Stored events with their day 0 on the NYSE calendar (amounts as $100B).

    \b
    Example:
      aimonitor events list --json
    """
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
    "--model",
    type=click.Choice(["market", "market-adjusted", "constant-mean", "factor"]),
    default="market",
    show_default=True,
)
@click.option("--factors", help="Factor series for --model factor, comma-separated stored symbols (e.g. SPY,SMH).")
@click.option("--returns", "returns_kind", type=click.Choice(["simple", "log"]), default="simple", show_default=True)
@click.option("--min-estimation", default=60, show_default=True, type=int)
@click.option(
    "--clean/--no-clean",
    default=True,
    show_default=True,
    help="Leave other event windows and jump days out of estimation windows.",
)
@click.option("--jump-k", default=4.0, show_default=True, type=float, help="Jump days: K robust sigmas; 0: off.")
@click.option("--bootstrap", default=0, show_default=True, type=int, help="Bootstrap draws for the CAAR interval.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the bootstrap.")
@click.option("--include-outcomes", is_flag=True, help="Also study outcome rows (stock_reaction, credit_move, ...).")
@click.option("--group-by", type=click.Choice(["event_type", "counterparty"]), help="Aggregate per group.")
@click.option(
    "--measure",
    type=click.Choice(["return", "spread"]),
    default="return",
    show_default=True,
    help="spread: daily changes of the equity-implied 5y spread (bp) against the rating-bucket OAS.",
)
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
    factors: str | None,
    returns_kind: str,
    min_estimation: int,
    clean: bool,
    jump_k: float,
    bootstrap: int,
    seed: int,
    include_outcomes: bool,
    group_by: str | None,
    measure: str,
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
        clean=clean,
        jump_k=jump_k if jump_k > 0 else None,
        factors=tuple(f.strip() for f in (factors or "").split(",") if f.strip()),
        bootstrap=bootstrap,
        seed=seed,
        include_outcomes=include_outcomes,
        group_by=group_by,
        measure=measure,
    )
    if prices:
        if not market or not event_date:
            raise click.UsageError("--prices needs --market COLUMN and --event-date D")
        syms = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
        when = parse_date(event_date, "--event-date")
        assert when is not None  # checked above
        res = study_csv(prices, market, when, syms, opts)
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
@click.option("--json", "as_json", is_flag=True, help="Print {file, quotes, rows_new, rows_updated} as JSON.")
@pass_ctx
def spreads_import(c: Ctx, file: str, as_json: bool) -> None:
    """Import CDS quotes (entity,date,tenor,spread_bp,source) to calibrate and show beside the proxy.

    A bad row is skipped with one warning naming the file and line.

    \b
    Example:
      aimonitor spreads import quotes.csv
    """
    from aimonitor.services import import_cds_quotes

    with _data_warnings_as_log():
        n, count = import_cds_quotes(c.store, file, today=dt.date.today())
    doc = {"file": file, "quotes": n, "rows_new": count.rows_new, "rows_updated": count.rows_updated}
    if as_json:
        emit_json(doc)
    else:
        click.echo(f"imported {n} quotes from {file}: {count.rows_new} new, {count.rows_updated} updated")


# --------------------------------------------------------------------------- rules / alerts


@cli.group()
def rules() -> None:
    """Alert rules: validate and list them, or replay them over stored history to tune thresholds."""


@rules.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print {config, rules, silences} as JSON.")
@pass_ctx
def rules_check(c: Ctx, as_json: bool) -> None:
    """Validate the config (keys, values, signal names) and print the rules.

    \b
    Example:
      aimonitor --config my.toml rules check
    """
    from aimonitor.pipeline import checked_rules
    from aimonitor.report.terminal import rules_table

    cfg = c.cfg
    docs = [r.model_dump(mode="json") for r in checked_rules(cfg)]
    if as_json:
        emit_json(
            {"config": cfg.source_path, "rules": docs, "silences": [s.model_dump(mode="json") for s in cfg.silences]}
        )
    else:
        console().print(
            rules_table(docs, title=f"{cfg.source_path}: {len(docs)} rules, {len(cfg.silences)} silences — valid")
        )


def _calm_range(value: str) -> tuple[dt.date, dt.date]:
    a, sep, b = value.partition(":")
    start, end = parse_date(a, "--calm"), parse_date(b, "--calm") if sep else None
    if start is None or end is None or end < start:
        raise click.BadParameter(f"expected FROM:TO (YYYY-MM-DD:YYYY-MM-DD), got {value!r}", param_hint="--calm")
    return start, end


@rules.command("backtest")
@click.option("--from", "start", help="First session (default: 2025-06-02).")
@click.option("--to", "end", help="Last session (default: the last stored session).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="RULE.FIELD=VALUE",
    help="Try a change without editing the file (repeatable); the output compares it with the file as it is.",
)
@click.option(
    "--config",
    "other_config",
    type=click.Path(dir_okay=False),
    help="Compare the rules of this other config file against the current one.",
)
@click.option(
    "--mark",
    "marks",
    multiple=True,
    metavar="DATE",
    help="A date the rules should warn before (repeatable): shows each rule's lead time in sessions.",
)
@click.option(
    "--calm",
    "calm",
    multiple=True,
    metavar="FROM:TO",
    help="A calm period (repeatable) whose firings are counted (default with --mark: >20 sessions from every mark).",
)
@click.option("--json", "as_json", is_flag=True, help="Print {from, to, alerts, summary} (+ baseline, diff) as JSON.")
@pass_ctx
def rules_backtest(
    c: Ctx,
    start: str | None,
    end: str | None,
    overrides: tuple[str, ...],
    other_config: str | None,
    marks: tuple[str, ...],
    calm: tuple[str, ...],
    as_json: bool,
) -> None:
    """Replay the rules over stored history without notifying anyone.

    With --set or --config the rules are replayed twice, as configured (the baseline) and
    as tried, and the output lists per rule and symbol the episodes added and removed
    (fired date, peak, duration); --mark and --calm measure lead time and quiet-period noise.

    \b
    Examples:
      aimonitor rules backtest
      aimonitor rules backtest --set credit_proxy_widening.threshold=60
      aimonitor rules backtest --set vol_spike.for_sessions=2 --mark 2025-11-20 --json
      aimonitor rules backtest --config config/tight.toml --calm 2025-07-01:2025-09-30
    """
    from aimonitor.pipeline import rule_units, run_backtest, run_backtest_comparison
    from aimonitor.report.terminal import backtest_tables, comparison_tables
    from aimonitor.services import last_stored_session

    store = c.reading_store
    last = last_stored_session(store)
    first = parse_date(start, "--from") or dt.date(2025, 6, 2)
    upto = parse_date(end, "--to") or last
    mark_dates = [d for d in (parse_date(m, "--mark") for m in marks) if d is not None]
    calm_ranges = [_calm_range(v) for v in calm]
    other = None
    if other_config:
        from aimonitor.config import load_config

        other = load_config(other_config)
    tick, stop = _progress(not as_json)
    try:
        if overrides or other is not None or mark_dates or calm_ranges:
            cmp = run_backtest_comparison(
                c.cfg,
                store,
                first,
                upto,
                overrides=overrides,
                other=other,
                marks=mark_dates,
                calm=calm_ranges,
                progress=lambda i, n: tick("replaying the rules", i, n),
            )
        else:
            res = run_backtest(c.cfg, store, first, upto, progress=lambda i, n: tick("replaying the rules", i, n))
    finally:
        stop()
    units = rule_units(c.cfg)
    if overrides or other is not None or mark_dates or calm_ranges:
        if as_json:
            emit_json(cmp.to_json())
        else:
            for t in comparison_tables(cmp, units):
                console().print(t)
    elif as_json:
        emit_json(res.to_json())
    else:
        for t in backtest_tables(res, units):
            console().print(t)


@cli.group()
def alerts() -> None:
    """Alerts fired by the monitoring cycles."""


@alerts.command("list")
@click.option(
    "--state",
    type=click.Choice(["firing", "resolved", "pending", "all"]),
    default="all",
    show_default=True,
    help="Only alerts in this state (pending = breaching now, not yet for enough sessions).",
)
@click.option("--json", "as_json", is_flag=True, help="Print {alerts: [ALERT...]} as JSON (with peak, unit and since).")
@pass_ctx
def alerts_list(c: Ctx, state: str, as_json: bool) -> None:
    """Stored alerts: summary, value and peak in the rule's unit, since when, and for a failed
    cycle (rule "pipeline") the error.

    \b
    Examples:
      aimonitor alerts list --state firing
      aimonitor alerts list --json
    """
    from aimonitor.pipeline import read_alert_docs
    from aimonitor.report.terminal import alerts_table

    docs = read_alert_docs(c.cfg, c.reading_store, state)
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
    for ch, by_status in counts.items():
        note = "" if ch in configured else "  (channel not configured: --retarget or --drop)"
        click.echo(f"{ch}: " + ", ".join(f"{v} {k}" for k, v in sorted(by_status.items())) + note)


# --------------------------------------------------------------------------- run / daemon


@cli.command()
@click.option(
    "--once",
    is_flag=True,
    required=True,
    expose_value=False,  # required, so always set: it only says what `run` does
    help="Run one cycle and exit (the daemon runs them on a schedule).",
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
@click.option(
    "--out",
    "out_dir",
    default="reports/dashboard",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for index.html and figures/ (not the demo's folder).",
)
@click.option("--from", "start", help="First date shown (default: 250 sessions before --to).")
@click.option("--to", "end", help="Last date shown (default: the last stored session).")
@pass_ctx
def report(c: Ctx, out_dir: str, start: str | None, end: str | None) -> None:
    """A self-contained HTML dashboard: is the loop stressed now, since when; graph, charts, alerts."""
    from aimonitor.errors import ConfigError
    from aimonitor.reports import write_dashboard_report

    if (Path(out_dir) / "demo.db").exists():
        raise ConfigError(
            f"--out {out_dir} holds the demo's reports (demo.db); write the dashboard elsewhere, "
            "e.g. the default reports/dashboard"
        )

    path = write_dashboard_report(
        c.cfg,
        c.reading_store,
        out_dir,
        start=parse_date(start, "--from"),
        end=parse_date(end, "--to"),
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    click.echo(f"dashboard written to {path}")


@cli.command()
@click.option("--as-of", "as_of", help="Events announced by this date (default: the last stored session).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Also draw the graph here (SVG, HTML).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def graph(c: Ctx, as_of: str | None, out_dir: str | None, as_json: bool) -> None:
    """The circular-financing graph: who invests in, lends to or buys from whom, and its cycles."""
    from aimonitor.report.formatting import format_usd
    from aimonitor.reports import loop_graph, write_graph_report

    g = loop_graph(c.cfg, c.reading_store, parse_date(as_of, "--as-of"))
    if out_dir:
        paths = write_graph_report(c.cfg, c.reading_store, g, out_dir)
        click.echo(f"graph written to {paths[1]}", err=True)
    if as_json:
        emit_json(g.to_json())
        return
    click.echo(f"loop graph as of {g.as_of}: {len(g.nodes)} parties, {len(g.edges)} flows, {len(g.cycles)} cycles")
    for e in g.edges:
        amt = format_usd(e.amount_usd) or "amount not stated"
        click.echo(f"  {e.source:>10} -> {e.target:<10} {e.type:<18} {amt:>18}  {e.first}  {','.join(e.event_ids)}")
    for cyc in g.cycles:
        click.echo("  cycle: " + " -> ".join([*cyc, cyc[0]]))


@cli.command()
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--from", "start", help="First replayed session (default: 2025-06-02).")
@click.option("--to", "end", help="Last replayed session (default: the snapshot's last session).")
@click.option(
    "--alerts-dir", help="Where fired alerts are written (default: OUT/alerts; never the live [notify].alerts_dir)."
)
@click.option("--json", "as_json", is_flag=True, help="Print {db, from, to, fired, alerts, reports} as JSON.")
@pass_ctx
def demo(c: Ctx, out_dir: str, start: str | None, end: str | None, alerts_dir: str | None, as_json: bool) -> None:
    """The whole product offline on the bundled real snapshot, replayed session by session.

    Writes a fresh database, alerts (OUT/alerts/), the dashboard, event studies (OUT/events/)
    and spread charts (OUT/spreads/) into OUT.

    \b
    Examples:
      aimonitor demo
      aimonitor demo --out /tmp/demo --from 2025-11-03 --to 2025-12-31
    """
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
            generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
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


#: True while :func:`main` holds the cyclic garbage collector back (see :func:`defer_collection`).
_collection_deferred = False


def defer_collection() -> None:
    """Hold the cyclic garbage collector back during start-up.

    Importing pandas, numpy, pydantic and the rest allocates hundreds of thousands of objects
    that live as long as the process; the collector would scan them again and again while
    they pile up (~10 % of a one-session `run --once`). Collection starts again, with those
    objects frozen out of it, once the command has its configuration (:func:`_start_collecting`).
    """
    global _collection_deferred
    if gc.isenabled():
        gc.disable()
        _collection_deferred = True


def _start_collecting() -> None:
    global _collection_deferred
    if _collection_deferred:
        _collection_deferred = False
        gc.freeze()  # what start-up allocated is never scanned again
        gc.enable()


def main() -> None:
    """Console-script entry point."""
    defer_collection()
    try:
        cli(prog_name="aimonitor")
    finally:
        _start_collecting()
        gc.freeze()  # leaving the interpreter then scans no object a last time


if __name__ == "__main__":  # pragma: no cover
    main()

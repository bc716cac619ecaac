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
import sys
from pathlib import Path
from typing import Any, Callable

import click

from aimonitor import __version__
from aimonitor.errors import AimonitorError
from aimonitor.report.terminal import console, progress as _progress

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

    return calendar.last_completed_session(dt.datetime.now(dt.timezone.utc))


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
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
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            ctx.exit(130)


pass_ctx = click.make_pass_decorator(Ctx)


# --------------------------------------------------------------------------- group

@click.group(cls=AimonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="AIMONITOR_CONFIG", type=click.Path(dir_okay=False),
              help="Config file (default: ./config/aimonitor.toml if present, else the packaged default).")
@click.option("--db", envvar="AIMONITOR_DB", type=click.Path(dir_okay=False), help="SQLite database (overrides [storage].path).")
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
    return make_source(spec or s.default, timeout=s.timeout_seconds, max_retries=s.max_retries,
                       backoff=s.backoff_seconds)


@cli.command()
@click.option("--source", "source_spec", help="yahoo | snapshot | csv:DIR (default: [source].default).")
@click.option("--symbols", help="Comma-separated symbols (and FRED series) instead of the configured ones.")
@click.option("--start", help="First date to fetch (YYYY-MM-DD).")
@click.option("--end", help="Last date to fetch (YYYY-MM-DD); never after the last completed session.")
@click.option("--as-of", "as_of", help="Treat this date as today's last completed session.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def fetch(c: Ctx, source_spec: str | None, symbols: str | None, start: str | None, end: str | None,
          as_of: str | None, as_json: bool) -> None:
    """Ingest daily bars, FRED series and fundamentals: what is missing plus a re-fetch window."""
    from aimonitor.ingest import run_fetch
    from aimonitor.report.terminal import fetch_table

    source = _make_source(c, source_spec)
    asof = parse_date(as_of, "--as-of") or default_as_of()
    syms = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None
    tick, stop = _progress(not as_json)
    try:
        rep = run_fetch(c.cfg, c.store, source, as_of=asof, symbols=syms,
                        start=parse_date(start, "--start"), end=parse_date(end, "--end"), progress=tick)
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
            click.echo(f"Error: {len(rep.failed)} of {len(rep.symbols)} series failed to fetch "
                       f"({', '.join(rep.failed)}); the others were stored", err=True)
        elif rep.exit_code == EXIT_ERROR:
            click.echo(f"Error: nothing was fetched from {source.name}; try --source snapshot", err=True)
        sys.exit(rep.exit_code)


@cli.command()
@click.option("--as-of", "as_of", help="Measure staleness against this session (default: the last completed one).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(c: Ctx, as_of: str | None, as_json: bool) -> None:
    """What the store holds, how stale each symbol is, the last run and firing alerts."""
    from aimonitor.report.terminal import status_table
    from aimonitor.status import build_status

    rep = build_status(c.cfg, c.store, parse_date(as_of, "--as-of") or default_as_of())
    if as_json:
        emit_json(rep.to_json())
    else:
        console().print(status_table(rep))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="aimonitor")


if __name__ == "__main__":  # pragma: no cover
    main()

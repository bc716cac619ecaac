"""Load and validate the TOML configuration (the only pydantic-settings of the app).

The configuration is validated once, at start. Unknown keys, wrong types and impossible
values are rejected with one line that names the file and the key path::

    config/aimonitor.toml: rules[2].threshold: expected a number, got "high"

Resolution order for the file: an explicit path (``--config`` / ``AIMONITOR_CONFIG``),
else ``config/aimonitor.toml`` in the working directory if present, else the packaged
default (``aimonitor/data/default_config.toml``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from aimonitor.errors import ConfigError
from aimonitor.rules import Rule, Silence
from aimonitor.schema import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from aimonitor.validation_messages import format_validation_error

log = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = Path("config") / "aimonitor.toml"
ENV_CONFIG = "AIMONITOR_CONFIG"
ENV_DB = "AIMONITOR_DB"

#: Limits with reasons: a rule needing more sessions than this could never fire or repeat
#: in the data we keep; a summary longer than this is a template mistake.
MAX_RULE_SESSIONS = 1000
MAX_SUMMARY_WIDTH = 500

_SYMBOL_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$")
_FRED_RE = re.compile(r"^[A-Z0-9]{2,30}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_symbols(values: list[str]) -> list[str]:
    out = []
    for v in values:
        s = v.strip().upper()
        if not _SYMBOL_RE.match(s):
            raise ValueError(f"not a ticker symbol: {v!r}")
        out.append(s)
    if len(set(out)) != len(out):
        raise ValueError("symbols must not repeat")
    return out


class WatchlistConfig(_Model):
    """What to monitor."""

    symbols: list[str] = Field(default=["ORCL", "CRWV", "AMD", "NVDA"], min_length=1)
    market: str = "SPY"
    proxies: list[str] = [
        "QQQ",
        "SMH",
        "SOXX",
        "HYG",
        "LQD",
        "IEF",
        "TLT",
        "^VIX",
        "AVGO",
        "MSFT",
        "META",
        "AMZN",
        "GOOGL",
    ]

    _v_symbols = field_validator("symbols", "proxies")(_check_symbols)

    @field_validator("market")
    @classmethod
    def _v_market(cls, v: str) -> str:
        return _check_symbols([v])[0]

    @property
    def all_symbols(self) -> list[str]:
        """Watchlist, then the market benchmark, then the proxies, without repeats."""
        seen: list[str] = []
        for s in [*self.symbols, self.market, *self.proxies]:
            if s not in seen:
                seen.append(s)
        return seen


class FredConfig(_Model):
    """FRED series (credit spreads and Treasury yields), fetched with the no-key CSV download."""

    series: list[str] = ["BAMLC0A0CM", "BAMLC0A4CBBB", "BAMLH0A0HYM2", "DGS5", "DGS10"]
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    @field_validator("series")
    @classmethod
    def _v_series(cls, values: list[str]) -> list[str]:
        for v in values:
            if not _FRED_RE.match(v):
                raise ValueError(f"not a FRED series id: {v!r}")
        return values


class StorageConfig(_Model):
    """Where the SQLite database lives (relative paths are relative to the working directory)."""

    path: str = "aimonitor.db"
    #: Seconds a cycle or fetch waits for another one holding the database (0-3600).
    lock_wait_seconds: float = Field(default=60.0, ge=0, le=3600)


class SourceConfig(_Model):
    """Default data source and fetch behaviour."""

    default: str = "yahoo"
    start: dt.date = dt.date(2024, 1, 2)
    refetch_sessions: int = Field(default=10, ge=0, le=250)
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0, le=120)

    @field_validator("default")
    @classmethod
    def _v_default(cls, v: str) -> str:
        if v in ("yahoo", "snapshot") or v.startswith("csv:"):
            return v
        raise ValueError(f"expected yahoo, snapshot or csv:DIR; got {json.dumps(v)}")


class ScheduleConfig(_Model):
    """When the daemon runs: Monday-Friday at ``time`` in ``timezone``, exchange holidays skipped."""

    time: str = "17:30"
    timezone: str = "America/New_York"
    #: 1 second to 7 days: a larger value overflows APScheduler's date arithmetic.
    misfire_grace_seconds: int = Field(default=6 * 3600, ge=1, le=7 * 86400)
    catch_up: bool = True
    #: Missed sessions the daemon replays at start (1-260); older ones are named in the log
    #: with the command that backfills them.
    max_catch_up_sessions: int = Field(default=10, ge=1, le=260)

    @field_validator("time")
    @classmethod
    def _v_time(cls, v: str) -> str:
        m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", v.strip())
        if not m:
            raise ValueError(f"expected HH:MM (24-hour), got {json.dumps(v)}")
        return f"{int(m.group(1)):02d}:{m.group(2)}"

    @field_validator("timezone")
    @classmethod
    def _v_tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {json.dumps(v)}") from exc
        return v


class NotifyConfig(_Model):
    """Alert sinks: the alerts/ folder always; apprise channels from an environment variable."""

    alerts_dir: str = "alerts"
    urls_env: str = "AIMONITOR_NOTIFY_URLS"
    title_prefix: str = Field(default="[aimonitor]", max_length=100)
    #: Seconds one notification may take (connect and read), 1-300.
    timeout_seconds: float = Field(default=15.0, ge=1, le=300)

    @field_validator("urls_env")
    @classmethod
    def _v_env(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", v):
            raise ValueError(f"expected an environment variable name, got {json.dumps(v)}")
        return v


class CreditConfig(_Model):
    """Parameters of the equity-implied credit model (CreditGrades)."""

    global_recovery: float = Field(default=0.5, ge=0.3, le=0.9)
    barrier_uncertainty: float = Field(default=0.3, ge=0, le=2)
    cds_recovery: float = Field(default=0.4, ge=0, lt=1)
    tenor_years: float = Field(default=5.0, gt=0, le=30)
    vol_window: int = Field(default=250, ge=20, le=1000)
    min_vol_observations: int = Field(default=60, ge=10, le=1000)
    vol_estimator: Literal["downside", "squared", "medrv", "bipower", "truncated", "truncated_up", "medrv_ewma"] = (
        "downside"
    )
    vol_halflife: float = Field(default=30.0, gt=0, le=500)
    oas_prior_weight: float = Field(default=0.5, ge=0, le=1)
    fred_lag_sessions: int = Field(default=1, ge=0, le=5)
    debt_includes_leases: bool = False
    debt_include_unconfirmed: bool = False
    vol_scale_bounds: tuple[float, float] = (0.5, 3.0)
    risk_classes: dict[str, str] = {"ORCL": "ig", "AMD": "ig", "NVDA": "ig", "CRWV": "hy"}
    rating_buckets: dict[str, str] = {
        "ORCL": "BAMLC0A4CBBB",
        "CRWV": "BAMLH0A0HYM2",
        "AMD": "BAMLC0A0CM",
        "NVDA": "BAMLC0A0CM",
    }

    @field_validator("vol_scale_bounds")
    @classmethod
    def _v_vol_scale_bounds(cls, v: tuple[float, float]) -> tuple[float, float]:
        low, high = v
        if not (0 < low <= high):
            raise ValueError(f"expected 0 < low <= high, got [{low}, {high}]")
        return v


class EventsConfig(_Model):
    """Where the curated event catalog and the entity dictionary come from."""

    catalog: str | None = None
    entities: str | None = None


class ExtractConfig(_Model):
    """Article extraction engine: the offline rules (default) or an OpenAI-compatible endpoint."""

    engine: Literal["rules", "openai"] = "rules"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = Field(default=60.0, gt=0, le=600)

    @model_validator(mode="after")
    def _v_openai(self) -> ExtractConfig:
        if self.engine == "openai" and (not self.base_url or not self.model):
            raise ValueError('engine = "openai" needs base_url and model')
        return self


class AlertingConfig(_Model):
    """Global alerting behaviour (rules themselves are ``[[rules]]`` tables)."""

    max_stale_sessions: int = Field(default=3, ge=1, le=60)
    inhibit_lower_severity: bool = True


class AppConfig(_Model):
    """The whole configuration."""

    watchlist: WatchlistConfig = WatchlistConfig()
    fred: FredConfig = FredConfig()
    storage: StorageConfig = StorageConfig()
    source: SourceConfig = SourceConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    notify: NotifyConfig = NotifyConfig()
    credit: CreditConfig = CreditConfig()
    events: EventsConfig = EventsConfig()
    extract: ExtractConfig = ExtractConfig()
    alerting: AlertingConfig = AlertingConfig()
    rules: list[Rule] = []
    silences: list[Silence] = []

    #: Where this configuration was read from (not a TOML key).
    source_path: str = Field(default="<defaults>", exclude=True)

    @model_validator(mode="after")
    def _v_unique_rules(self) -> AppConfig:
        names = [r.name for r in self.rules]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f"rules[{i}].name: duplicate rule name {json.dumps(n)}")
        return self

    @model_validator(mode="after")
    def _v_rule_limits(self) -> AppConfig:
        for i, r in enumerate(self.rules):
            for name in ("for_sessions", "repeat_sessions"):
                v = getattr(r, name)
                if v > MAX_RULE_SESSIONS:
                    raise ValueError(
                        f"rules[{i}].{name}: {v} is more than {MAX_RULE_SESSIONS} sessions (about four years)"
                    )
            sample = dict(
                rule=r.name,
                signal=r.signal,
                symbol="SYMBOL",
                value=-1.0e6,
                threshold=r.threshold,
                severity=r.severity,
                op=r.op,
            )
            try:
                width = len(r.summary.format(**sample))
            except (ValueError, KeyError, IndexError, TypeError):
                continue  # the rule's own validator reports a broken template
            if width > MAX_SUMMARY_WIDTH:
                raise ValueError(
                    f"rules[{i}].summary: renders to {width} characters (limit {MAX_SUMMARY_WIDTH}); "
                    "shorten the template or its format widths"
                )
        return self


# --------------------------------------------------------------------------- loading


def packaged_default_path() -> Path:
    """Path of the default configuration shipped inside the package."""
    return Path(str(resources.files("aimonitor") / "data" / "default_config.toml"))


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """Pick the config file: explicit (or $AIMONITOR_CONFIG), ./config/aimonitor.toml, packaged default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    if DEFAULT_CONFIG_PATH.is_file():
        return DEFAULT_CONFIG_PATH
    return packaged_default_path()


def parse_config(text: str, path: str = "<string>") -> AppConfig:
    """Validate TOML text; raise :class:`ConfigError` naming ``path`` and the key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if not data:
        raise ConfigError(f"{path}: the config is empty; start from the packaged default (`aimonitor rules check`)")
    try:
        cfg = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc).splitlines()[0]) from None
    if not any(r.enabled for r in cfg.rules):
        raise ConfigError(
            f"{path}: rules: no enabled [[rules]], so nothing would ever alert; "
            "copy the rules of the packaged default config"
        )
    return cfg.model_copy(update={"source_path": path})


def load_config(path: str | os.PathLike[str] | None = None, *, db: str | None = None) -> AppConfig:
    """Read and validate the configuration; ``db`` (or $AIMONITOR_DB) overrides the storage path."""
    p = resolve_config_path(path)
    shown = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{shown}: config file not found (run without --config to use the default)") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read config file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
    cfg = parse_config(text, shown)
    db_path = db or os.environ.get(ENV_DB)
    if db_path:
        # only the path: the file's other [storage] settings (lock_wait_seconds) still apply
        cfg = cfg.model_copy(update={"storage": cfg.storage.model_copy(update={"path": str(db_path)})})
    log.debug("configuration loaded from %s", shown)
    return cfg


def notify_urls(cfg: AppConfig, environ: dict[str, str] | None = None) -> list[str]:
    """Notification URLs from the environment variable named in the config (never from the file)."""
    env = os.environ if environ is None else environ
    raw = env.get(cfg.notify.urls_env, "")
    return [u.strip() for u in re.split(r"[\s,]+", raw) if u.strip()]

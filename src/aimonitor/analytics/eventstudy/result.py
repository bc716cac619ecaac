"""The immutable result of an event study: data, JSON, tables and a text summary.

Rendering to files and charts is :mod:`aimonitor.report.eventstudy`'s job; this object
only exposes its data (``to_json``, ``to_frame``, ``band``, ``summary``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aimonitor.analytics.eventstudy.aggregate import DAY_STATS, WINDOW_STATS, Aggregate
from aimonitor.analytics.eventstudy.inputs import SkippedEvent

#: the BMP t of the aggregate is reported with its KP adjustment; BHAR from this window length
BHAR_MIN_DAYS = 21


def num(x: Any) -> float | None:
    """A finite float or None (JSON has no NaN)."""
    if x is None:
        return None
    xf = float(x)
    return xf if math.isfinite(xf) else None


def _agg_json(agg: Aggregate, days: list[int]) -> dict[str, Any]:
    rows = []
    for j, d in enumerate(days):
        row: dict[str, Any] = {"day": d}
        for k in DAY_STATS:
            row[k] = num(agg.day_stats[k][j])
        row["caar"] = num(agg.caar_path[j])
        if agg.caar_ci is not None:
            row["caar_ci_low"], row["caar_ci_high"] = num(agg.caar_ci[0][j]), num(agg.caar_ci[1][j])
        rows.append(row)
    window = {k: num(agg.window_stats.get(k)) for k in WINDOW_STATS}
    for k in ("bhar", "bhar_t", "caar_ci_low", "caar_ci_high"):
        if k in agg.window_stats:
            window[k] = num(agg.window_stats[k])
    doc: dict[str, Any] = {
        "n": agg.n,
        "rbar": num(agg.rbar),
        "overlapping_pairs": agg.n_pairs,
        "kp_factor": num(agg.kp_factor),
        "calendar_time_clusters": agg.clusters,
        "days": rows,
        "window": window,
    }
    if agg.bootstrap:
        doc["bootstrap"] = {"draws": agg.bootstrap, "seed": agg.seed, "level": 0.95}
    if agg.groups:
        doc["pooled_groups"] = dict(agg.groups)
    return doc


@dataclass(frozen=True, eq=False)
class EventStudyResult:
    """Immutable result of :meth:`EventStudy.fit` (arrays are read-only).

    Per firm-event arrays have one row per estimated firm-event (``n`` rows); per day
    arrays one column per relative day ``A..B``. ``aggregate`` pools every firm-event;
    ``group_aggregates`` holds one aggregate per group label when grouping was asked for.
    """

    model: str
    returns_kind: str
    window: tuple[int, int]
    symbols: tuple[str, ...]
    event_ids: tuple[str | None, ...]
    event_dates: tuple[dt.date, ...]
    day0s: tuple[dt.date, ...]
    dates: np.ndarray  # (N, T) datetime64[D]
    n_estimation: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray  # loading on the first regressor (market); NaN for constant-mean
    sigma: np.ndarray
    ar: np.ndarray
    sar: np.ndarray
    car_path: np.ndarray
    car_path_se: np.ndarray
    car: np.ndarray
    car_se: np.ndarray
    car_t: np.ndarray
    car_p: np.ndarray
    skipped: tuple[SkippedEvent, ...]
    aggregate: Aggregate
    estimation_spec: str = ""
    all_event_ids: tuple[tuple[str, ...], ...] = ()
    confounded_by: tuple[tuple[str, ...], ...] = ()
    excluded_days: tuple[np.ndarray, ...] = ()  # per firm-event, datetime64[D] sessions left out
    groups: tuple[str | None, ...] = ()
    group_aggregates: Mapping[str, Aggregate] = field(default_factory=dict)
    group_by: str | None = None
    betas: np.ndarray | None = None  # (N, K) factor loadings
    factor_names: tuple[str, ...] = ()
    bhar: np.ndarray | None = None
    measure: str = "return"
    cleaning: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)  # catalog details for reports

    # ---- accessors
    @property
    def n(self) -> int:
        """Number of firm-events estimated."""
        return len(self.symbols)

    @property
    def days(self) -> np.ndarray:
        """Relative days ``A..B``."""
        return np.arange(self.window[0], self.window[1] + 1)

    @property
    def units(self) -> str:
        """``fraction`` (returns) or ``bp`` (spread changes)."""
        return "bp" if self.returns_kind == "bp" else "fraction"

    @property
    def day_stats(self) -> Mapping[str, np.ndarray]:
        return self.aggregate.day_stats

    @property
    def window_stats(self) -> Mapping[str, float]:
        return self.aggregate.window_stats

    @property
    def caar_path(self) -> np.ndarray:
        return self.aggregate.caar_path

    @property
    def caar_path_se(self) -> np.ndarray:
        return self.aggregate.caar_path_se

    @property
    def rbar(self) -> float:
        return self.aggregate.rbar

    def band(self, i: int | None = None, z: float = 1.96) -> pd.DataFrame:
        """CAR path of firm-event ``i`` (CAAR if None) with a ``z`` standard-deviation band."""
        if i is None:
            y, se = np.asarray(self.caar_path), np.asarray(self.caar_path_se)
        else:
            y, se = np.asarray(self.car_path[i]), np.asarray(self.car_path_se[i])
        return pd.DataFrame({"car": y, "low": y - z * se, "high": y + z * se}, index=pd.Index(self.days, name="day"))

    def _ids(self, i: int) -> tuple[str, ...]:
        if self.all_event_ids:
            return self.all_event_ids[i]
        eid = self.event_ids[i]
        return (eid,) if eid else ()

    # ---- JSON
    def to_json(self) -> dict:
        """The JSON document of ``aimonitor study --json`` (no NaN anywhere)."""
        days = [int(d) for d in self.days]
        long_window = len(days) >= BHAR_MIN_DAYS
        firms = []
        for i in range(self.n):
            firm: dict[str, Any] = {
                "symbol": self.symbols[i],
                "event_id": self.event_ids[i],
                "event_ids": list(self._ids(i)),
                "event_date": self.event_dates[i].isoformat(),
                "day0": self.day0s[i].isoformat(),
                "n_estimation": int(self.n_estimation[i]),
                "alpha": num(self.alpha[i]),
                "beta": num(self.beta[i]),
                "sigma": num(self.sigma[i]),
                "days": [
                    {"day": d, "date": str(self.dates[i, j]), "ar": num(self.ar[i, j]), "sar": num(self.sar[i, j])}
                    for j, d in enumerate(days)
                ],
                "car": num(self.car[i]),
                "car_se": num(self.car_se[i]),
                "car_t": num(self.car_t[i]),
                "car_p": num(self.car_p[i]),
                "excluded_days": [str(d) for d in (self.excluded_days[i] if self.excluded_days else ())],
                "confounded_by": list(self.confounded_by[i]) if self.confounded_by else [],
            }
            if self.betas is not None and self.factor_names:
                firm["betas"] = {f: num(self.betas[i, k]) for k, f in enumerate(self.factor_names)}
            if self.groups and self.groups[i] is not None:
                firm["group"] = self.groups[i]
            if long_window and self.bhar is not None:
                firm["bhar"] = num(self.bhar[i])
            firms.append(firm)
        doc: dict[str, Any] = {
            "model": self.model,
            "returns": self.returns_kind,
            "measure": self.measure,
            "units": self.units,
            "window": [int(self.window[0]), int(self.window[1])],
            "estimation": self.estimation_spec,
            "cleaning": dict(self.cleaning),
            "firms": firms,
            "skipped": [{"symbol": s.symbol, "event_id": s.event_id, "reason": s.reason} for s in self.skipped],
            "aggregate": _agg_json(self.aggregate, days),
        }
        if self.factor_names:
            doc["factors"] = list(self.factor_names)
        if self.group_by:
            doc["group_by"] = self.group_by
            doc["groups"] = [{"group": g} | _agg_json(a, days) for g, a in self.group_aggregates.items()]
        return doc

    # ---- tables
    def to_frame(self, kind: str = "firms") -> pd.DataFrame:
        """Tables of the result.

        Parameters
        ----------
        kind : {"firms", "ar", "aggregate"}
            ``firms``: one row per firm-event; ``ar``: one row per firm-event and relative day
            (AR, SAR, CAR path and sd); ``aggregate``: one row per relative day.
        """
        if kind == "firms":
            return pd.DataFrame(
                {
                    "symbol": list(self.symbols),
                    "event_id": list(self.event_ids),
                    "event_ids": [";".join(self._ids(i)) for i in range(self.n)],
                    "event_date": list(self.event_dates),
                    "day0": list(self.day0s),
                    "n_estimation": np.asarray(self.n_estimation),
                    "alpha": self.alpha,
                    "beta": self.beta,
                    "sigma": self.sigma,
                    "car": self.car,
                    "car_se": self.car_se,
                    "car_t": self.car_t,
                    "car_p": self.car_p,
                    "excluded_days": [
                        ";".join(str(d) for d in self.excluded_days[i]) if self.excluded_days else ""
                        for i in range(self.n)
                    ],
                    "confounded_by": [
                        ";".join(self.confounded_by[i]) if self.confounded_by else "" for i in range(self.n)
                    ],
                }
            )
        if kind == "ar":
            T = len(self.days)
            return pd.DataFrame(
                {
                    "symbol": np.repeat(np.asarray(self.symbols, dtype=object), T),
                    "event_id": np.repeat(np.asarray(self.event_ids, dtype=object), T),
                    "day": np.tile(self.days, self.n),
                    "date": pd.to_datetime(self.dates.reshape(-1)) if self.n else pd.to_datetime([]),
                    "ar": self.ar.reshape(-1),
                    "sar": self.sar.reshape(-1),
                    "car": self.car_path.reshape(-1),
                    "car_se": self.car_path_se.reshape(-1),
                }
            )
        if kind == "aggregate":
            data: dict[str, Any] = {"day": self.days}
            data.update({k: np.asarray(self.day_stats[k]) for k in DAY_STATS})
            data["caar"] = self.caar_path
            data["caar_se"] = self.caar_path_se
            return pd.DataFrame(data)
        raise ValueError(f"kind must be firms, ar or aggregate; got {kind!r}")

    def summary(self) -> str:
        """A plain-text summary (per-firm table, daily aggregate table, window tests)."""

        def f(x: Any, fmt: str = "{:+.4f}") -> str:
            v = num(x)
            return "n/a" if v is None else fmt.format(v)

        A, B = self.window
        lines = [
            f"Event study: {self.model} model, {self.returns_kind} returns, window [{A:+d}, {B:+d}]"
            + (f", estimation {self.estimation_spec}" if self.estimation_spec else ""),
            f"Firm-events estimated: {self.n}; skipped: {len(self.skipped)}",
            "",
            f"{'symbol':<8} {'event':<14} {'day0':<10} {'n':>4} {'alpha':>9} {'beta':>7} "
            f"{'sigma':>7} {'CAR':>9} {'t':>7} {'p':>7}",
        ]
        for i in range(self.n):
            lines.append(
                f"{self.symbols[i]:<8} {','.join(self._ids(i))[:14] or '-':<14} "
                f"{self.day0s[i].isoformat():<10} {int(self.n_estimation[i]):>4} "
                f"{f(self.alpha[i], '{:+.5f}'):>9} {f(self.beta[i], '{:.3f}'):>7} "
                f"{f(self.sigma[i], '{:.4f}'):>7} {f(self.car[i]):>9} {f(self.car_t[i], '{:.2f}'):>7} "
                f"{f(self.car_p[i], '{:.4f}'):>7}"
            )
        w = self.window_stats
        lines += [
            "",
            f"Window CAAR {f(w.get('caar'))} (N={self.aggregate.n}): t_cs {f(w.get('t_cs'), '{:.2f}')}, "
            f"Patell Z {f(w.get('patell_z'), '{:.2f}')}, BMP t {f(w.get('bmp_t'), '{:.2f}')}, "
            f"KP-BMP t {f(w.get('kp_bmp_t'), '{:.2f}')}, rank Z {f(w.get('corrado_z'), '{:.2f}')}, "
            f"gen. sign Z {f(w.get('gen_sign_z'), '{:.2f}')}, calendar-time Z {f(w.get('ct_z'), '{:.2f}')}",
        ]
        if self.skipped:
            lines += ["", "Skipped:"] + [f"  {s.symbol} ({s.event_id or '-'}): {s.reason}" for s in self.skipped]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()

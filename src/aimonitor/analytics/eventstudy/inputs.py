"""Inputs of an event study: firm-events, skipped firm-events and the model names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aimonitor.calendar import to_date

MODELS: tuple[str, ...] = ("market", "market-adjusted", "constant-mean", "factor")
#: ``bp`` labels daily changes of a spread in basis points (``--measure spread``)
RETURN_KINDS: tuple[str, ...] = ("simple", "log", "bp")


@dataclass(frozen=True)
class FirmEvent:
    """One firm-event: a symbol and the session that is day 0 for it.

    ``event_date`` is the announcement date as given (reported as is); ``day0`` must be
    a row of the returns index (see :func:`aimonitor.calendar.day0`). ``event_ids`` are all
    catalog events sharing this (symbol, day 0) (``event_id`` is the first),
    ``confounded_by`` other events inside the event window, ``group`` the label used by
    per-group aggregation (``None``: no grouping).
    """

    symbol: str
    event_id: str | None
    event_date: dt.date
    day0: dt.date
    event_ids: tuple[str, ...] = ()
    confounded_by: tuple[str, ...] = ()
    group: str | None = None

    def __post_init__(self) -> None:
        if not self.event_ids and self.event_id is not None:
            object.__setattr__(self, "event_ids", (self.event_id,))


@dataclass(frozen=True)
class SkippedEvent:
    """A firm-event that could not be estimated, and why."""

    symbol: str
    event_id: str | None
    reason: str


def coerce_event(ev: Any) -> FirmEvent:
    """A :class:`FirmEvent` from itself, a ``(symbol, event_id, event_date, day0)`` tuple or a
    mapping/object with those fields."""
    if isinstance(ev, FirmEvent):
        return ev
    if isinstance(ev, (tuple, list)):
        sym, eid, edate, d0 = ev
        return FirmEvent(str(sym), None if eid is None else str(eid), to_date(edate), to_date(d0))
    if isinstance(ev, Mapping):
        mapping = ev

        def get(k: str) -> Any:
            return mapping.get(k)

    else:

        def get(k: str) -> Any:
            return getattr(ev, k, None)

    d0 = to_date(get("day0"))
    edate = get("event_date")
    eid = get("event_id")
    return FirmEvent(
        str(get("symbol")), None if eid is None else str(eid), to_date(edate) if edate is not None else d0, d0
    )

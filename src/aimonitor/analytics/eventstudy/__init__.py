"""Event-study engine: market, factor, market-adjusted and constant-mean models.

Pure numpy/scipy, no I/O, no rendering. All firm-events are estimated at once by batched
least squares on gathered ``(N, L)`` estimation matrices; 2,000 firm-events take a few
hundredths of a second (bench/eventstudy.py compares with PyPI ``eventstudy`` 0.1a12).

Modules
-------
* :mod:`.inputs`: :class:`FirmEvent` (one per (symbol, day 0), carrying all its event ids),
  :class:`SkippedEvent`, model names.
* :mod:`.windows`: clean estimation windows (other event windows and jump days left out,
  ``L`` clean sessions kept by extending backwards).
* :mod:`.fitting`: the batched fit and the abnormal returns with MacKinlay's
  prediction-error corrected variances.
* :mod:`.statistics`: cross-sectional t, Patell Z, BMP t, Kolari-Pynnonen on overlapping
  windows, Corrado-Zivney ranks, generalised sign, calendar-time portfolios, bootstrap.
* :mod:`.aggregate`: the test battery over all firm-events or one group.
* :mod:`.engine`: :class:`EventStudy` settings and the ``fit`` pipeline.
* :mod:`.result`: the immutable :class:`EventStudyResult` (JSON, tables, text summary).

Conventions
-----------
* Time is the row index of the returns frame (the caller's session calendar); relative
  day ``t`` of a firm-event with day 0 at row ``p`` is row ``p + t``; event window ``[A, B]``.
* Estimation: the ``L`` clean sessions ending ``G`` sessions before the window (extended
  backwards over left-out sessions), or the clean sessions between explicit dates. Only
  rows where the firm and its regressors are present count; fewer than ``min_estimation``
  skips the firm-event with a reason, as does any missing return inside the event window.
* Market model ``s^2 = SSR / (n - 2)`` (textbook; estudy2 uses ``n - 1``, the PyPI package
  ``n``): alphas, betas and ARs agree with both peers to 1e-14 on estudy2's vignette case,
  Patell Z within 0.25% and BMP t within 0.41% of estudy2 (tests/test_eventstudy_peer.py).
* BHAR (compounded firm return minus compounded normal return) is reported for windows of
  21 sessions or more.

Undefined statistics are ``None`` in :meth:`EventStudyResult.to_json` (never NaN).
"""

from __future__ import annotations

from aimonitor.analytics.eventstudy.aggregate import DAY_STATS, WINDOW_STATS, Aggregate
from aimonitor.analytics.eventstudy.engine import EventStudy, compute_event_study
from aimonitor.analytics.eventstudy.inputs import MODELS, RETURN_KINDS, FirmEvent, SkippedEvent
from aimonitor.analytics.eventstudy.result import BHAR_MIN_DAYS, EventStudyResult
from aimonitor.analytics.eventstudy.windows import DEFAULT_JUMP_K

__all__ = [
    "Aggregate",
    "BHAR_MIN_DAYS",
    "DAY_STATS",
    "DEFAULT_JUMP_K",
    "EventStudy",
    "EventStudyResult",
    "FirmEvent",
    "MODELS",
    "RETURN_KINDS",
    "SkippedEvent",
    "WINDOW_STATS",
    "compute_event_study",
]

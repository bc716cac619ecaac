"""Clean estimation windows: which sessions each firm-event is estimated on.

An estimation window should hold "normal" days only. Two kinds of session are left out of
a firm's estimation window (``excluded_days``):

* the event windows of the firm's other catalog events (their abnormal returns are the
  thing being measured, not noise), and
* jump days: sessions whose full-sample market-model residual of that symbol lies beyond
  ``k`` robust standard deviations (``1.4826 x`` the median absolute deviation). The scale
  is robust so that the jumps themselves do not hide one another; ``k = 4`` is a screen
  chosen a priori (about 6 in 100,000 normal days would be cut), not tuned on the results.

When sessions are left out of a rolling window (``L`` sessions ending ``G`` sessions
before the event window) the window extends backwards so that it still holds ``L``
clean sessions where the history allows. Explicit estimation dates are never extended.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

#: sessions beyond this many robust standard deviations are jump days (default screen)
DEFAULT_JUMP_K = 4.0
_MAD_TO_SD = 1.4826


def compute_jump_days(R: np.ndarray, M: np.ndarray | None, k: float) -> np.ndarray:
    """Boolean ``(rows, symbols)`` mask of jump days.

    Parameters
    ----------
    R : ndarray (rows, symbols)
        Returns (NaN where missing).
    M : ndarray (rows, symbols) or None
        The market return that goes with each symbol's column (None: no market, the
        screen then runs on demeaned returns).
    k : float
        Threshold in robust standard deviations.
    """
    Rv = np.asarray(R, dtype=float)
    if M is not None:
        Mv = np.asarray(M, dtype=float)
        ok = np.isfinite(Rv) & np.isfinite(Mv)
        n = np.maximum(ok.sum(0), 1)
        x = np.where(ok, Mv, 0.0)
        y = np.where(ok, Rv, 0.0)
        xb, yb = x.sum(0) / n, y.sum(0) / n
        xc, yc = np.where(ok, x - xb, 0.0), np.where(ok, y - yb, 0.0)
        sxx = (xc * xc).sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            b = np.where(sxx > 0, (xc * yc).sum(0) / sxx, 0.0)
        resid = np.where(ok, Rv - yb - b * (Mv - xb), np.nan)
    else:
        resid = Rv
    if not np.isfinite(resid).any():
        return np.zeros(resid.shape, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        med = np.nanmedian(resid, axis=0)
        dev = np.abs(resid - med)
        scale = _MAD_TO_SD * np.nanmedian(dev, axis=0)
        with np.errstate(invalid="ignore"):
            jump = dev > k * scale
    return jump & np.isfinite(resid) & (scale > 0)


def window_mask(nrows: int, ncols: int, windows: Iterable[tuple[int, int]], A: int, B: int) -> np.ndarray:
    """Boolean ``(rows, symbols)`` mask of event windows ``[p + A, p + B]`` given as ``(col, p)`` pairs."""
    mask = np.zeros((nrows + 1, ncols), dtype=np.int32)
    for col, p in windows:
        lo, hi = max(p + A, 0), min(p + B, nrows - 1)
        if lo <= hi:
            mask[lo, col] += 1
            mask[hi + 1, col] -= 1
    return np.cumsum(mask, axis=0)[:-1] > 0


def rolling_rows(excl: np.ndarray, cols: np.ndarray, est_hi: np.ndarray, L: int) -> np.ndarray:
    """Row indices ``(N, L)`` of the ``L`` latest sessions at or before ``est_hi`` that are not
    excluded for the firm's column (``-1`` where the history runs out), oldest first."""
    N = len(cols)
    rows = np.full((N, L), -1, dtype=np.int64)
    if N == 0:
        return rows
    nrows = excl.shape[0]
    for j in np.unique(cols):
        sel = np.flatnonzero(cols == j)
        clean = np.flatnonzero(~excl[:, j]) if excl[:, j].any() else np.arange(nrows)
        q = np.searchsorted(clean, est_hi[sel], side="right")
        idx = q[:, None] - L + np.arange(L)[None, :]
        rows[sel] = np.where(idx >= 0, clean[np.clip(idx, 0, max(len(clean) - 1, 0))] if len(clean) else -1, -1)
    return rows


def explicit_rows(excl: np.ndarray, cols: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Row indices ``(N, hi - lo + 1)`` of the sessions in ``[lo, hi]`` that are not excluded for
    the firm's column, oldest first, padded with ``-1``."""
    Le = max(hi - lo + 1, 0)
    N = len(cols)
    rows = np.full((N, Le), -1, dtype=np.int64)
    if N == 0 or Le == 0:
        return rows
    span = np.arange(lo, hi + 1)
    for j in np.unique(cols):
        keep = span[~excl[lo : hi + 1, j]]
        rows[cols == j, : len(keep)] = keep
    return rows


def excluded_between(excl: np.ndarray, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    """For each firm-event ``i``: the rows in ``[lo[i], hi[i]]`` excluded for column ``cols[i]``."""
    out: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(cols)
    for j in np.unique(cols):
        sel = np.flatnonzero(cols == j)
        rows = np.flatnonzero(excl[:, j])
        if rows.size == 0:
            continue
        a = np.searchsorted(rows, np.maximum(lo[sel], 0), side="left")
        b = np.searchsorted(rows, hi[sel], side="right")
        for k, i in enumerate(sel):
            out[i] = rows[a[k] : b[k]]
    return out

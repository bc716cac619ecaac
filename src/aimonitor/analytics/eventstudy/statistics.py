"""Test statistics across firm-events (pure numpy/scipy).

* Cross-sectional t, Patell Z, BMP t (Boehmer, Musumeci and Poulsen 1991).
* Kolari and Pynnonen (2010) adjustment, applied only where it belongs: ``rho_ij`` is the
  Pearson correlation of the estimation residuals of firm-events ``i`` and ``j`` on the
  dates both have, computed for the pairs whose event windows overlap in calendar time;
  pairs whose windows do not overlap contribute 0 (their abnormal returns are not
  simultaneous). With ``rtilde = sum_{i != j} rho_ij / (N (N - 1))`` the adjusted BMP is
  ``t_BMP sqrt((1 - rtilde) / (1 + (N - 1) rtilde))``; for a single same-day cluster
  ``rtilde`` is the mean pairwise correlation (KP's case), for firm-events on unrelated
  dates it is 0 and the statistic is unchanged. ``rbar`` reports the mean over the
  overlapping pairs.
* Corrado and Zivney (1992) standardised ranks for unbalanced panels:
  ``U_it = K_it / (m_i + 1) - 1/2`` with ``K_it`` the rank (ties averaged) of ``AR_it``
  among the ``m_i`` available estimation and event ARs of firm-event ``i``;
  ``Ubar_t`` the mean over the firm-events present at column ``t`` (``N_t`` of them),
  ``S_U^2 = (1/T') sum_t (N_t / N) Ubar_t^2`` over the ``T'`` columns with any AR;
  ``Z_t = Ubar_t / S_U``; window ``sum_{t in window} Ubar_t / (sqrt(T) S_U)`` (Cowan 1992).
* Generalised sign Z (Cowan 1992).
* Calendar-time portfolio test for same-day clusters: the firm-events sharing a day 0 form
  one equally weighted portfolio; its estimation residual is the mean of the members'
  residuals on each date (so the members' cross-correlation is in its variance), its AR the
  mean AR; ``Z = sum_c SAR_c / sqrt(C)`` over the ``C`` clusters (and ``SCAR`` with
  ``sqrt(T)`` for the window).
* Bootstrap percentile interval of the CAAR: firm-events resampled with replacement
  (seeded, reproducible).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


def t_cross_section(x: np.ndarray) -> np.ndarray:
    """Cross-sectional t along axis 0: mean / (sd_ddof1 / sqrt(N)); NaN if N < 2 or sd == 0."""
    n = x.shape[0]
    if n < 2:
        return np.full(x.shape[1:], np.nan)
    m = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = m / (sd / np.sqrt(n))
    return np.where(sd > 0, t, np.nan)


def row_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks (1-based, ties averaged) of each row's finite values; NaN stays NaN."""
    present = np.isfinite(x)
    filled = np.where(present, x, np.inf)
    order = np.argsort(filled, axis=1)  # ties are re-ranked below, so no stable sort needed
    ranks = np.empty(x.shape, dtype=float)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, x.shape[1] + 1, dtype=float), x.shape), axis=1)
    srt = np.take_along_axis(filled, order, axis=1)
    tied = ((srt[:, 1:] == srt[:, :-1]) & np.isfinite(srt[:, 1:])).any(axis=1)
    if tied.any():
        ranks[tied] = stats.rankdata(np.where(present[tied], x[tied], np.nan), axis=1, nan_policy="omit")
    ranks[~present] = np.nan
    return ranks


def corrado_zivney(
    all_ar: np.ndarray, n_event: int, *, standardised: bool = True, ranks: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Rank Z per event day and for the window.

    Parameters
    ----------
    all_ar : ndarray (N, Le + T)
        Estimation ARs then event-window ARs, NaN where unavailable; the columns are the
        common time index of the test.
    n_event : int
        ``T``: the last ``T`` columns are the event window.
    standardised : bool
        True (default): Corrado and Zivney (1992) standardised ranks (module docstring).
        False: Corrado (1989) as estudy2 computes it, ``D_it = K_it - (m_i + 1)/2`` and
        ``S = sqrt(sum_t Dbar_t^2 / mean_i m_i)``, which under-weights short histories.
    ranks : ndarray, optional
        ``row_ranks(all_ar)`` when already computed.
    """
    N = all_ar.shape[0]
    nan_T = np.full(n_event, np.nan)
    if N == 0:
        return nan_T, float("nan")
    present = np.isfinite(all_ar)
    m = present.sum(axis=1)
    K = row_ranks(all_ar) if ranks is None else ranks
    D = K / (m + 1.0)[:, None] - 0.5 if standardised else K - ((m + 1.0) / 2.0)[:, None]
    n_t = present.sum(axis=0)
    dbar = np.where(n_t > 0, np.where(present, D, 0.0).sum(axis=0) / np.maximum(n_t, 1), 0.0)
    if standardised:
        S = math.sqrt(float(np.sum((n_t / N) * dbar * dbar)) / max(int((n_t > 0).sum()), 1))
    else:
        S = math.sqrt(float(np.sum(dbar * dbar)) / float(np.mean(m)))
    if not S > 0:
        return nan_T, float("nan")
    dw = dbar[-n_event:]
    return dw / S, float(dw.sum() / (math.sqrt(n_event) * S))


def generalised_sign(est_ar: np.ndarray, ar: np.ndarray, car: np.ndarray) -> tuple[np.ndarray, float]:
    """Cowan (1992) generalised sign Z per day and for the window (``phat`` from estimation ARs)."""
    N = ar.shape[0]
    n_est = np.isfinite(est_ar).sum(axis=1)
    phat = float((np.count_nonzero(est_ar > 0, axis=1) / np.maximum(n_est, 1)).mean()) if N else float("nan")
    if not 0.0 < phat < 1.0:
        return np.full(ar.shape[1], np.nan), float("nan")
    sd = math.sqrt(N * phat * (1.0 - phat))
    return ((ar > 0).sum(0) - N * phat) / sd, float(((car > 0).sum() - N * phat) / sd)


# --------------------------------------------------------------------------- residual correlation


@dataclass(frozen=True)
class ResidualBlocks:
    """Estimation residuals of same-day groups on a dense calendar grid.

    ``groups[g]`` lists the firm-events with day-0 row ``p[g]``; ``stacked[g]`` is a
    ``(3 n_g, width_g)`` matrix over calendar rows ``lo[g] ..``: the members' presence
    (0/1), residuals (0 where absent) and squared residuals, one block above the other.
    """

    p: np.ndarray
    groups: list[np.ndarray]
    lo: list[int]
    stacked: list[np.ndarray]

    def presence_and_values(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.groups[g])
        return self.stacked[g][:n], self.stacked[g][n : 2 * n]


def residual_blocks(rows: np.ndarray, resid: np.ndarray, p: np.ndarray) -> ResidualBlocks:
    """Group firm-events by day-0 row and lay their residuals on the calendar rows."""
    N = len(p)
    if N == 0:
        return ResidualBlocks(np.empty(0, dtype=np.int64), [], [], [])
    order = np.argsort(p, kind="stable")
    ps, starts, counts = np.unique(p[order], return_index=True, return_counts=True)
    groups = np.split(order, starts[1:])
    ok = (rows >= 0) & np.isfinite(resid)
    big = np.iinfo(np.int64).max
    rmin = np.where(ok, rows, big).min(axis=1)[order]
    rmax = np.where(ok, rows, -1).max(axis=1)[order]
    glo = np.minimum.reduceat(rmin, starts)
    ghi = np.maximum.reduceat(rmax, starts)
    empty = ghi < 0
    glo = np.where(empty, 0, glo)
    width = np.where(empty, 1, ghi - glo + 1)
    size = 3 * counts * width
    off = np.concatenate([[0], np.cumsum(size)[:-1]])
    flat = np.zeros(int(size.sum()))
    g_of = np.empty(N, dtype=np.int64)
    g_of[order] = np.repeat(np.arange(len(ps)), counts)  # group of each firm-event
    k_of = np.empty(N, dtype=np.int64)
    k_of[order] = np.arange(N) - np.repeat(starts, counts)  # its position inside the group
    stride = (counts * width)[g_of]  # flat distance between the presence, value and square rows
    origin = off[g_of] - glo[g_of] + k_of * width[g_of]
    pos = (origin[:, None] + rows)[ok]
    step = np.broadcast_to(stride[:, None], rows.shape)[ok]
    val = resid[ok]
    flat[pos] = 1.0
    flat[pos + step] = val
    flat[pos + 2 * step] = val * val
    stacked = [flat[off[j] : off[j] + size[j]].reshape(3 * counts[j], width[j]) for j in range(len(ps))]
    return ResidualBlocks(ps, groups, [int(x) for x in glo], stacked)


#: m * n * k below which OpenBLAS multiplies on one thread; thread start-up and contention
#: dominate products this small (on a loaded 2-core machine a threaded product was 40x slower)
_SINGLE_THREAD_GEMM = 1 << 18


def _small_products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T`` computed in row blocks of ``b`` small enough for a single-threaded BLAS call."""
    m, k = a.shape
    rows = max(1, _SINGLE_THREAD_GEMM // max(m * k, 1) - 1)
    if b.shape[0] <= rows:
        return a @ b.T
    return np.hstack([a @ b[i : i + rows].T for i in range(0, b.shape[0], rows)])


def _corr_with_tail(rb: ResidualBlocks, g: int, h_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlations of group ``g``'s members with the members of groups ``g .. h_end - 1``
    on their common dates (NaN with fewer than 3); returns ``(r (n_g, n_tail), tail members)``."""
    lo_g, w_g = rb.lo[g], rb.stacked[g].shape[1]
    ng = len(rb.groups[g])
    parts_v, parts_z, parts_q, members = [], [], [], []
    for h in range(g, h_end):
        S, nh, lo_h = rb.stacked[h], len(rb.groups[h]), rb.lo[h]
        s0, s1 = max(lo_g, lo_h), min(lo_g + w_g, lo_h + S.shape[1])
        blk = np.zeros((3 * nh, w_g))
        if s1 > s0:
            blk[:, s0 - lo_g : s1 - lo_g] = S[:, s0 - lo_h : s1 - lo_h]
        parts_v.append(blk[:nh])
        parts_z.append(blk[nh : 2 * nh])
        parts_q.append(blk[2 * nh :])
        members.append(rb.groups[h])
    nt = sum(len(m) for m in members)
    P = _small_products(rb.stacked[g], np.vstack(parts_v + parts_z + parts_q))  # (3 ng, 3 nt)
    n = P[:ng, :nt]
    s_a, q_a = P[ng : 2 * ng, :nt], P[2 * ng :, :nt]
    s_b, q_b = P[:ng, nt : 2 * nt], P[:ng, 2 * nt :]
    cov = n * P[ng : 2 * ng, nt : 2 * nt] - s_a * s_b
    var = (n * q_a - s_a * s_a) * (n * q_b - s_b * s_b)
    ok = (n >= 3) & (var > 0)
    r = np.full(n.shape, np.nan)
    np.divide(cov, np.sqrt(var, where=ok, out=np.ones_like(var)), out=r, where=ok)
    return r, np.concatenate(members)


def overlapping_pair_correlations(rb: ResidualBlocks, span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i, j, rho)`` for every pair of firm-events whose day-0 rows differ by at most ``span``
    (event windows of ``span + 1`` sessions overlap), ``i < j`` in firm-event order.

    One batched product per same-day group ``g``: its members against the members of the
    groups ``h >= g`` up to ``span`` sessions later, on ``g``'s calendar rows (the dates
    outside them are common to no pair with ``g``).
    """
    I_: list[np.ndarray] = []
    J_: list[np.ndarray] = []
    R_: list[np.ndarray] = []
    last = np.searchsorted(rb.p, rb.p + span, side="right")
    for g, mg in enumerate(rb.groups):
        r, mt = _corr_with_tail(rb, g, int(last[g]))
        ng = len(mg)
        keep = np.isfinite(r)
        keep[:, :ng] &= np.arange(ng)[:, None] < np.arange(ng)[None, :]  # pairs inside g once
        ii, jj = np.nonzero(keep)
        ia, ib = mg[ii], mt[jj]
        I_.append(np.minimum(ia, ib))
        J_.append(np.maximum(ia, ib))
        R_.append(r[ii, jj])
    if not I_:
        e = np.empty(0, dtype=np.int64)
        return e, e.copy(), np.empty(0)
    return np.concatenate(I_), np.concatenate(J_), np.concatenate(R_)


def kp_factor(n: int, rho: np.ndarray) -> tuple[float, float]:
    """``(rbar over overlapping pairs, KP factor)`` for ``n`` firm-events and the overlapping
    pairs' correlations ``rho``; the factor multiplies BMP t (NaN if ``n < 2``)."""
    if n < 2:
        return float("nan"), float("nan")
    rbar = float(rho.mean()) if rho.size else float("nan")
    rt = 2.0 * float(rho.sum()) / (n * (n - 1))
    den = 1.0 + (n - 1) * rt
    if den <= 0 or rt >= 1:
        return rbar, float("nan")
    return rbar, math.sqrt((1.0 - rt) / den)


def calendar_time(
    rb: ResidualBlocks, ar: np.ndarray, k: int, subset: np.ndarray | None = None
) -> tuple[int, np.ndarray, float]:
    """Calendar-time portfolio Z per day and for the window over same-day clusters.

    Returns ``(C, z_days, z_window)``; ``subset`` (bool over firm-events) restricts the members.
    """
    T = ar.shape[1]
    sars, scars = [], []
    for g, members in enumerate(rb.groups):
        V, Z = rb.presence_and_values(g)
        if subset is not None:
            keep = subset[members]
            members, V, Z = members[keep], V[keep], Z[keep]
        if len(members) == 0:
            continue
        cnt = V.sum(axis=0)
        have = cnt > 0
        ep = Z.sum(axis=0)[have] / cnt[have]
        if ep.size <= k + 1:
            continue
        sd = float(np.sqrt(np.sum((ep - ep.mean()) ** 2) / (ep.size - k)))
        if not sd > 0:
            continue
        par = ar[members].mean(axis=0)
        sars.append(par / sd)
        scars.append(par.sum() / (sd * math.sqrt(T)))
    C = len(sars)
    if C == 0:
        return 0, np.full(T, np.nan), float("nan")
    return C, np.sum(sars, axis=0) / math.sqrt(C), float(np.sum(scars) / math.sqrt(C))


def bootstrap_caar(car_path: np.ndarray, draws: int, seed: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the CAAR path (firm-events resampled with replacement).

    Returns ``(low, high)`` arrays over the event days (NaN when fewer than 2 firm-events).
    """
    N, T = car_path.shape
    if N < 2 or draws < 1:
        return np.full(T, np.nan), np.full(T, np.nan)
    rng = np.random.default_rng(seed)
    caar_b = np.empty((draws, T))
    step = max(1, 4_000_000 // N)
    for b0 in range(0, draws, step):
        nb = min(step, draws - b0)
        idx = rng.integers(0, N, size=(nb, N), dtype=np.int32) + (N * np.arange(nb, dtype=np.int32))[:, None]
        counts = np.bincount(idx.ravel(), minlength=nb * N).reshape(nb, N)
        caar_b[b0 : b0 + nb] = np.einsum("bn,nt->bt", counts.astype(float), car_path) / N
    q = (1.0 - level) / 2.0
    return np.quantile(caar_b, q, axis=0), np.quantile(caar_b, 1.0 - q, axis=0)

"""Aggregation across firm-events: AAR/CAAR and the test battery, pooled or per group."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from aimonitor.analytics.eventstudy import statistics as st

DAY_STATS = ("aar", "t_cs", "patell_z", "bmp_t", "kp_bmp_t", "corrado_z", "gen_sign_z", "ct_z", "corrado1989_z")
WINDOW_STATS = ("caar", "t_cs", "patell_z", "bmp_t", "kp_bmp_t", "gen_sign_z", "corrado_z", "ct_z", "corrado1989_z")


@dataclass(frozen=True)
class Aggregate:
    """Statistics of one set of firm-events (all of them, or one group)."""

    n: int
    day_stats: Mapping[str, np.ndarray]
    window_stats: Mapping[str, float]
    caar_path: np.ndarray
    caar_path_se: np.ndarray
    rbar: float  # mean correlation over the pairs whose windows overlap (NaN: none)
    n_pairs: int  # overlapping pairs
    kp_factor: float
    clusters: int  # same-day clusters in the calendar-time test
    caar_ci: tuple[np.ndarray, np.ndarray] | None = None  # bootstrap (low, high) per day
    bootstrap: int = 0
    seed: int | None = None
    groups: Mapping[str, int] = field(default_factory=dict)  # group label -> n (pooled tables)


@dataclass(frozen=True)
class AggregateInputs:
    """Everything the aggregate needs about the estimated firm-events (read only)."""

    ar: np.ndarray  # (N, T)
    sar: np.ndarray
    car: np.ndarray  # (N,)
    car_se: np.ndarray
    car_path: np.ndarray
    car_path_se: np.ndarray
    df: np.ndarray  # (N,) residual degrees of freedom
    est_ar: np.ndarray  # (N, Le)
    k: int
    blocks: st.ResidualBlocks
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # overlapping (i, j, rho)
    bhar: np.ndarray | None = None  # (N,) buy-and-hold abnormal returns (long windows)


def _empty(T: int) -> Aggregate:
    nan_T = np.full(T, np.nan)
    return Aggregate(
        0,
        {k: nan_T.copy() for k in DAY_STATS},
        {k: float("nan") for k in WINDOW_STATS},
        nan_T.copy(),
        nan_T.copy(),
        float("nan"),
        0,
        float("nan"),
        0,
    )


def aggregate(
    x: AggregateInputs,
    subset: np.ndarray | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
    groups: Mapping[str, int] | None = None,
) -> Aggregate:
    """The test battery over the firm-events in ``subset`` (bool mask; default all)."""
    sel = np.ones(x.ar.shape[0], dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    idx = np.flatnonzero(sel)
    N, T = len(idx), x.ar.shape[1]
    if N == 0:
        return _empty(T)
    ar, sar, car = x.ar[idx], x.sar[idx], x.car[idx]
    scar = car / x.car_se[idx]
    df = x.df[idx]
    var_sum = float(np.sum(df / (df - 2.0)))
    I_, J_, rho = x.pairs
    in_pair = sel[I_] & sel[J_] if I_.size else np.zeros(0, dtype=bool)
    rbar, kp = st.kp_factor(N, rho[in_pair])
    bmp = st.t_cross_section(sar)
    bmp_w = float(st.t_cross_section(scar[:, None])[0])
    all_ar = np.concatenate([x.est_ar[idx], ar], axis=1)
    ranks = st.row_ranks(all_ar)
    rank, rank_w = st.corrado_zivney(all_ar, T, ranks=ranks)
    rank89, rank89_w = st.corrado_zivney(all_ar, T, standardised=False, ranks=ranks)
    gsign, gsign_w = st.generalised_sign(x.est_ar[idx], ar, car)
    C, ct, ct_w = st.calendar_time(x.blocks, x.ar, x.k, subset=sel)
    car_path = x.car_path[idx]
    caar_path = car_path.mean(axis=0)
    caar_se = car_path.std(axis=0, ddof=1) / math.sqrt(N) if N >= 2 else x.car_path_se[idx[0]].copy()
    day_stats = {
        "aar": ar.mean(axis=0),
        "t_cs": st.t_cross_section(ar),
        "patell_z": sar.sum(axis=0) / math.sqrt(var_sum),
        "bmp_t": bmp,
        "kp_bmp_t": bmp * kp,
        "corrado_z": rank,
        "gen_sign_z": gsign,
        "ct_z": ct,
        "corrado1989_z": rank89,
    }
    window_stats = {
        "caar": float(car.mean()),
        "t_cs": float(st.t_cross_section(car[:, None])[0]),
        "patell_z": float(scar.sum() / math.sqrt(var_sum)),
        "bmp_t": bmp_w,
        "kp_bmp_t": bmp_w * kp,
        "gen_sign_z": gsign_w,
        "corrado_z": rank_w,
        "ct_z": ct_w,
        "corrado1989_z": rank89_w,
    }
    if x.bhar is not None:
        bh = x.bhar[idx]
        window_stats["bhar"] = float(bh.mean())
        window_stats["bhar_t"] = float(st.t_cross_section(bh[:, None])[0])
    ci = st.bootstrap_caar(car_path, bootstrap, seed) if bootstrap else None
    if ci is not None:
        window_stats["caar_ci_low"] = float(ci[0][-1])
        window_stats["caar_ci_high"] = float(ci[1][-1])
    return Aggregate(
        N,
        day_stats,
        window_stats,
        caar_path,
        caar_se,
        rbar,
        int(in_pair.sum()),
        kp,
        C,
        ci,
        bootstrap,
        seed if bootstrap else None,
        dict(groups or {}),
    )

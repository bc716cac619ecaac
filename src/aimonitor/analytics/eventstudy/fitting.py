"""Batched least squares for every firm-event at once, and the abnormal returns.

Each firm-event ``i`` has its own estimation sample: the rows chosen by
:mod:`~aimonitor.analytics.eventstudy.windows`, gathered into an ``(N, Le)`` matrix of the
dependent variable ``y`` (NaN where unusable) and an ``(N, Le, K)`` array of regressors
(``K = 1`` market return for the market model, ``K`` factor returns for the factor model,
``K = 0`` for constant-mean and market-adjusted). The fit is centred: ``b`` solves
``Sff b = Sfy`` with ``Sff = Fc' Fc`` and ``Sfy = Fc' yc`` over each firm's usable rows,
``alpha = ybar - fbar' b``; all ``N`` small systems are solved in one batched call.

Prediction-error corrected variances (MacKinlay 1997, eq. 4.14, generalised to ``K``
regressors): ``Var(AR_t) = s^2 (1 + 1/n + d_t' Sff^-1 d_t)`` with ``d_t = f_t - fbar``;
``Var(CAR_tau) = s^2 (tau + tau^2/n + g' Sff^-1 g)``, ``g = sum_t d_t``. With ``K = 1``
these are the familiar ``(M_t - Mbar)^2 / Sxx`` terms. Constant mean: ``1 + 1/n`` and
``tau + tau^2/n``; market adjusted (``AR = R - M``, nothing estimated but the variance):
``1`` and ``tau``. ``s^2 = SSR / (n - k)``, ``k`` = number of estimated mean parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def n_params(model: str, n_factors: int) -> int:
    """``k``: mean parameters estimated per firm-event (residual degrees of freedom ``n - k``)."""
    if model in ("market", "factor"):
        return 1 + n_factors
    return 1


@dataclass(frozen=True)
class BatchFit:
    """Estimates for ``N`` firm-events (arrays indexed by firm-event)."""

    n: np.ndarray  # (N,) usable estimation rows
    alpha: np.ndarray  # (N,)
    beta: np.ndarray  # (N, K)
    fbar: np.ndarray  # (N, K)
    sinv: np.ndarray  # (N, K, K) inverse of the centred cross-product matrix
    s2: np.ndarray  # (N,)
    est_ar: np.ndarray  # (N, Le) estimation-window abnormal returns (NaN where unusable)
    centre: np.ndarray  # (N,) mean of est_ar (market adjusted) else 0
    ssr: np.ndarray  # (N,)
    degenerate_factors: np.ndarray  # (N,) bool: regressors constant or collinear
    degenerate_resid: np.ndarray  # (N,) bool: zero residual variance


def fit_batched(y: np.ndarray, F: np.ndarray, model: str) -> BatchFit:
    """Fit ``model`` to every firm-event's estimation sample.

    Parameters
    ----------
    y : ndarray (N, Le)
        Dependent variable (returns; ``R - M`` for market adjusted), NaN where unusable.
    F : ndarray (N, Le, K)
        Regressors (NaN where unusable); ``K = 0`` for constant-mean and market-adjusted.
    model : str
        One of :data:`~aimonitor.analytics.eventstudy.inputs.MODELS`.
    """
    N, Le, K = F.shape
    valid = np.isfinite(y)
    if K:
        valid &= np.isfinite(F).all(axis=2)
    n = valid.sum(axis=1)
    nf = np.maximum(n, 1).astype(float)
    y0 = np.where(valid, y, 0.0)
    ybar = y0.sum(axis=1) / nf
    vf = valid[:, :, None]
    F0 = np.where(vf, F, 0.0)
    fbar = F0.sum(axis=1) / nf[:, None]
    Fc = np.where(vf, F0 - fbar[:, None, :], 0.0)
    yc = np.where(valid, y0 - ybar[:, None], 0.0)
    Sff = np.einsum("nlk,nlj->nkj", Fc, Fc)
    Sfy = np.einsum("nlk,nl->nk", Fc, yc)
    raw = np.einsum("nlk,nlk->nk", F0, F0)
    diag = np.diagonal(Sff, axis1=1, axis2=2) if K else np.zeros((N, 0))
    degenerate_f = (~(diag > 1e-12 * np.maximum(raw, 1e-300))).any(axis=1) if K else np.zeros(N, dtype=bool)
    if K > 1:  # collinear factors: smallest eigenvalue of the correlation matrix
        d = np.sqrt(np.where(diag > 0, diag, 1.0))
        corr = Sff / (d[:, :, None] * d[:, None, :])
        degenerate_f |= np.linalg.eigvalsh(corr)[:, 0] < 1e-10
    safe = np.where(degenerate_f[:, None, None], np.eye(K)[None, :, :], Sff)
    sinv = np.linalg.inv(safe) if K else np.zeros((N, 0, 0))
    beta = np.einsum("nkj,nj->nk", sinv, Sfy) if K else np.zeros((N, 0))
    if model == "market-adjusted":
        alpha = np.zeros(N)
    else:
        alpha = ybar - np.einsum("nk,nk->n", beta, fbar)
    est_ar = y - alpha[:, None] - (np.einsum("nlk,nk->nl", F, beta) if K else 0.0)
    est_ar = np.where(valid, est_ar, np.nan)
    centre = ybar.copy() if model == "market-adjusted" else np.zeros(N)
    z = np.where(valid, est_ar - centre[:, None], 0.0)
    ssr = np.einsum("nl,nl->n", z, z)
    k = n_params(model, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = ssr / (n - k)
    # zero residual variance relative to the returns' own scale (an exact zero is rounding noise)
    degenerate_s = ~(ssr > 1e-12 * np.maximum(np.einsum("nl,nl->n", y0, y0), 1e-300))
    return BatchFit(n, alpha, beta, fbar, sinv, s2, est_ar, centre, ssr, degenerate_f, degenerate_s)


@dataclass(frozen=True)
class AbnormalReturns:
    """Event-window abnormal returns of ``N`` firm-events over ``T`` relative days."""

    ar: np.ndarray  # (N, T)
    sar: np.ndarray  # (N, T)
    car_path: np.ndarray  # (N, T)
    car_path_se: np.ndarray  # (N, T)
    expected: np.ndarray  # (N, T) model-implied normal return


def abnormal_returns(fit: BatchFit, yw: np.ndarray, Fw: np.ndarray, model: str) -> AbnormalReturns:
    """ARs, standardised ARs and the CAR path with its corrected standard deviation.

    ``yw`` (N, T) and ``Fw`` (N, T, K) are the event-window counterparts of the estimation data.
    """
    N, T = yw.shape
    K = Fw.shape[2]
    nf = np.maximum(fit.n, 1).astype(float)[:, None]
    expected = fit.alpha[:, None] + (np.einsum("ntk,nk->nt", Fw, fit.beta) if K else 0.0)
    ar = yw - expected
    tau = np.arange(1, T + 1, dtype=float)[None, :]
    s2 = fit.s2[:, None]
    if model in ("market", "factor"):
        dw = Fw - fit.fbar[:, None, :]
        c = 1.0 + 1.0 / nf + np.einsum("ntk,nkj,ntj->nt", dw, fit.sinv, dw)
        g = np.cumsum(dw, axis=1)
        vpath = s2 * (tau + tau * tau / nf + np.einsum("ntk,nkj,ntj->nt", g, fit.sinv, g))
    elif model == "constant-mean":
        c = np.broadcast_to(1.0 + 1.0 / nf, ar.shape)
        vpath = s2 * (tau + tau * tau / nf)
    else:
        c = np.ones_like(ar)
        vpath = s2 * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        sar = ar / np.sqrt(s2 * c)
    return AbnormalReturns(ar, sar, np.cumsum(ar, axis=1), np.sqrt(vpath), expected)

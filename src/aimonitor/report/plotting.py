"""Charts as PNG files: the project's only matplotlib user (Agg canvas, no display).

Small and generic on purpose: line charts of one or more series, an optional shaded
band, markers, reference lines. Other reports (prices, drawdowns, spreads) reuse it.

Speed (a demo writes dozens of charts): figures are made on an Agg canvas directly, not
through pyplot's figure manager, and the layout computed by ``tight_layout`` is kept
without its placeholder layout engine, so ``savefig`` does not run a second, layout-only
draw before the real one. Both leave the PNG bytes unchanged (tests/test_house_plotting.py
compares them with the plain pyplot path).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

log = logging.getLogger(__name__)

DPI = 110
FIGSIZE = (8.0, 4.2)
#: Fewer charts than this are drawn in this process (a worker costs more than it saves).
PARALLEL_MIN_CHARTS = 4


def plot_lines_many(jobs: Sequence[Mapping[str, Any]], *, workers: int | None = None) -> list[Path]:
    """:func:`plot_lines` for each job (its keyword arguments, ``path`` included), in order.

    A chart costs about 0.2 s of CPU (layout, drawing, PNG encoding) and a report draws
    dozens, so with several cores and at least :data:`PARALLEL_MIN_CHARTS` charts they are
    drawn by forked worker processes (one per core, at most ``workers``). Each file is
    written by the same :func:`plot_lines` call either way, so the bytes do not depend on
    where it was drawn. Where ``fork`` or the workers are not available (no ``/dev/shm``, a
    worker killed) the charts are drawn here, in turn.
    """
    n = min(workers if workers is not None else (os.cpu_count() or 1), len(jobs))
    if n < 2 or len(jobs) < PARALLEL_MIN_CHARTS or "fork" not in multiprocessing.get_all_start_methods():
        return [plot_lines(**job) for job in jobs]
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_plot_job, dict(job)) for job in jobs]
            return [f.result() for f in futures]
    except (OSError, BrokenProcessPool) as exc:  # no semaphores (/dev/shm), or a worker was killed
        log.warning("charts drawn in this process (worker processes unavailable: %s)", exc or type(exc).__name__)
        return [plot_lines(**job) for job in jobs]


def _plot_job(job: dict[str, Any]) -> Path:
    return plot_lines(**job)


def plot_lines(
    path: str | Path,
    series: Mapping[str, pd.Series],
    title: str = "",
    ylabel: str = "",
    *,
    xlabel: str = "",
    band: tuple[pd.Series, pd.Series] | Mapping[str, tuple[pd.Series, pd.Series]] | None = None,
    band_label: str = "95% band",
    markers: Mapping[str, object] | Sequence[object] | None = None,
    hline: float | None = None,
    vline: object | None = None,
    percent: bool = False,
    logy: bool = False,
    figsize: tuple[float, float] = FIGSIZE,
) -> Path:
    """Draw one or more lines and save a PNG.

    Parameters
    ----------
    path : str or Path
        Output file (parent directories are created).
    series : mapping of label -> Series
        Lines to draw; each Series' index is the x axis (dates or numbers).
    title, ylabel, xlabel : str
        Texts.
    band : (lower, upper) or mapping label -> (lower, upper), optional
        Shaded area(s), e.g. a 95% confidence band around a line.
    markers : mapping of label -> x, or sequence of x, optional
        Vertical dotted lines at given x positions (event dates), labelled if a mapping.
    hline, vline : optional
        A horizontal / vertical reference line (e.g. 0 and day 0).
    percent : bool
        Format the y axis as percent (values are fractions).
    logy : bool
        Logarithmic y axis.

    Returns
    -------
    Path
        The written file.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)  # the figure's canvas from here on; no display, no pyplot state
    ax = fig.add_subplot()
    bands: dict[str, tuple[pd.Series, pd.Series]] = {}
    if isinstance(band, Mapping):
        bands = dict(band)
    elif band is not None:
        bands = {band_label: band}
    _draw_lines(ax, series, bands)
    if hline is not None:
        ax.axhline(hline, color="0.4", linewidth=0.8)
    if vline is not None:
        ax.axvline(vline, color="0.4", linewidth=0.8, linestyle="--")  # type: ignore[arg-type]
    if markers is not None:
        _draw_markers(ax, markers)
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.grid(True, alpha=0.3)
    if len(series) + len(bands) > 1:
        ax.legend(fontsize=8, loc="best")
    first_index = next(iter(series.values())).index if series else None
    if isinstance(first_index, pd.DatetimeIndex):
        fig.autofmt_xdate()
    elif first_index is not None and pd.api.types.is_integer_dtype(first_index):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    # tight_layout leaves a placeholder engine that makes savefig draw once more, only to lay out
    fig.set_layout_engine(None)
    fig.savefig(out, dpi=DPI)
    log.debug("wrote %s", out)
    return out


def _draw_lines(ax: Axes, series: Mapping[str, pd.Series], bands: Mapping[str, tuple[pd.Series, pd.Series]]) -> None:
    """The shaded bands first, then the lines on top, each in the next colour of the cycle."""
    for i, (label, (lo, hi)) in enumerate(bands.items()):
        ax.fill_between(
            lo.index,
            lo.to_numpy(dtype=float),
            hi.to_numpy(dtype=float),
            alpha=0.18,
            color=f"C{i}",
            linewidth=0,
            label=label,
        )
    for i, (label, s) in enumerate(series.items()):
        ax.plot(
            s.index,
            s.to_numpy(dtype=float),
            color=f"C{i}",
            linewidth=1.6,
            marker="o" if len(s) <= 15 else None,
            markersize=3.5,
            label=str(label),
        )


def _draw_markers(ax: Axes, markers: Mapping[str, object] | Sequence[object]) -> None:
    """Dotted vertical lines at the markers' x, labelled along the top when given a mapping."""
    items: list[tuple[str | None, object]] = (
        [(str(k), v) for k, v in markers.items()] if isinstance(markers, Mapping) else [(None, x) for x in markers]
    )
    for mlabel, x in items:
        ax.axvline(x, color="0.55", linewidth=0.8, linestyle=":")  # type: ignore[arg-type]
        if mlabel:
            ax.annotate(
                mlabel,
                xy=(x, 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color="0.35",
            )

"""``plotting.plot_lines`` writes the same PNG bytes as the plain pyplot path it replaced.

The reference below is the former implementation (pyplot's figure manager, ``tight_layout``
then ``savefig``, whose extra layout-only draw the fast path skips), kept here only as the
oracle; both draw the same charts and the files must be identical byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from aimonitor.report import plotting


def _reference(path, series, title="", ylabel="", *, xlabel="", band=None, band_label="95% band", markers=None,
               hline=None, vline=None, percent=False, logy=False, figsize=plotting.FIGSIZE):  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    fig, ax = plt.subplots(figsize=figsize)
    try:
        bands = dict(band) if isinstance(band, Mapping) else ({band_label: band} if band is not None else {})
        for i, (label, (lo, hi)) in enumerate(bands.items()):
            ax.fill_between(lo.index, lo.to_numpy(dtype=float), hi.to_numpy(dtype=float), alpha=0.18,
                            color=f"C{i}", linewidth=0, label=label)  # fmt: skip
        for i, (label, s) in enumerate(series.items()):
            ax.plot(s.index, s.to_numpy(dtype=float), color=f"C{i}", linewidth=1.6,
                    marker="o" if len(s) <= 15 else None, markersize=3.5, label=str(label))  # fmt: skip
        if hline is not None:
            ax.axhline(hline, color="0.4", linewidth=0.8)
        if vline is not None:
            ax.axvline(vline, color="0.4", linewidth=0.8, linestyle="--")
        if markers is not None:
            items = (
                [(str(k), v) for k, v in markers.items()]
                if isinstance(markers, Mapping)
                else [(None, x) for x in markers]
            )
            for label, x in items:
                ax.axvline(x, color="0.55", linewidth=0.8, linestyle=":")
                if label:
                    ax.annotate(label, xy=(x, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top",
                                ha="right", fontsize=7, color="0.35")  # fmt: skip
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
        first = next(iter(series.values())).index if series else None
        if isinstance(first, pd.DatetimeIndex):
            fig.autofmt_xdate()
        elif first is not None and pd.api.types.is_integer_dtype(first):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        fig.savefig(path, dpi=plotting.DPI)
    finally:
        plt.close(fig)


def _car_chart():
    days = pd.Index(range(-1, 6))
    car = pd.Series([0.004, -0.012, 0.031, 0.027, 0.05, 0.041, 0.062], index=days)
    return {"series": {"CAR": car}}, {
        "title": "CAR ORCL (EV04)",
        "ylabel": "cumulative abnormal return",
        "xlabel": "day relative to event",
        "band": (car - 0.03, car + 0.03),
        "hline": 0.0,
        "vline": 0.0,
        "percent": True,
    }


def _spread_chart():
    idx = pd.bdate_range("2025-06-02", "2025-12-31")
    x = np.linspace(0.0, 3.0, len(idx))
    proxy = pd.Series(90 + 40 * np.sin(x) + 10 * x, index=idx)
    oas = pd.Series(110 + 5 * np.cos(x), index=idx)
    quotes = pd.Series([120.0, 150.0, 180.0], index=pd.to_datetime(["2025-09-15", "2025-10-15", "2025-11-14"]))
    marks = {"ORCL-OpenAI compute $300B": pd.Timestamp("2025-09-10"), "ORCL bond $18B": pd.Timestamp("2025-09-24")}
    return {"series": {"ORCL creditgrades": proxy, "BBB OAS": oas, "ORCL CDS quotes": quotes}}, {
        "title": "ORCL: equity-implied 5y CDS proxy vs BBB",
        "ylabel": "bp",
        "band": (proxy * 0.8, proxy * 1.25),
        "band_label": "parameter band",
        "markers": marks,
    }


def _log_chart():
    idx = pd.bdate_range("2025-01-02", periods=120)
    a = pd.Series(100 * np.exp(np.linspace(0, 0.6, 120)), index=idx)
    b = pd.Series(100 * np.exp(np.linspace(0, -0.4, 120)), index=idx)
    return {"series": {"NVDA": a, "ORCL": b}}, {"title": "Prices, 100 = start", "logy": True,
                                                  "markers": [pd.Timestamp("2025-03-03")]}  # fmt: skip


CHARTS = {"car": _car_chart, "spreads": _spread_chart, "log": _log_chart}


@pytest.fixture(scope="module")
def reference_png(tmp_path_factory) -> dict[str, bytes]:
    """Each chart drawn once by the reference path; every test compares its files with these
    bytes (the reference path writes the same bytes every time, in any process)."""
    folder = tmp_path_factory.mktemp("reference")
    out = {}
    for name, make in CHARTS.items():
        args, kw = make()
        _reference(folder / f"{name}.png", args["series"], **kw)
        out[name] = (folder / f"{name}.png").read_bytes()
    return out


@pytest.mark.parametrize("name", list(CHARTS))
def test_plot_lines_writes_the_reference_bytes(name, reference_png, tmp_path):
    args, kw = CHARTS[name]()
    fast = plotting.plot_lines(tmp_path / "sub" / "fast.png", args["series"], **kw)
    assert fast == tmp_path / "sub" / "fast.png"
    assert fast.read_bytes() == reference_png[name]


def test_charts_drawn_by_worker_processes_are_the_reference_bytes_in_order(reference_png, tmp_path):
    """``plot_lines_many`` with two forked workers writes each chart as the reference path
    does, and returns the paths in the order of the jobs."""
    names = list(CHARTS) * 2
    jobs = []
    for k, name in enumerate(names):
        args, kw = CHARTS[name]()
        jobs.append({"path": tmp_path / "many" / f"c{k}.png", "series": args["series"], **kw})
    paths = plotting.plot_lines_many(jobs, workers=2)
    assert paths == [tmp_path / "many" / f"c{k}.png" for k in range(len(names))]
    for name, p in zip(names, paths):
        assert p.read_bytes() == reference_png[name], p.name


def test_charts_fall_back_to_this_process_when_workers_cannot_start(reference_png, tmp_path, monkeypatch, caplog):
    """Without process semaphores (no /dev/shm) the pool cannot start: every chart is still
    written, with the reference bytes, and the fallback is logged."""

    class NoPool:
        def __init__(self, *a, **k):
            raise OSError(38, "Function not implemented")

    monkeypatch.setattr(plotting, "ProcessPoolExecutor", NoPool)
    names = ["car", "spreads", "log", "car"]
    jobs = []
    for k, name in enumerate(names):
        args, kw = CHARTS[name]()
        jobs.append({"path": tmp_path / f"c{k}.png", "series": args["series"], **kw})
    with caplog.at_level("WARNING", logger="aimonitor.report.plotting"):
        paths = plotting.plot_lines_many(jobs, workers=2)
    assert [p.read_bytes() for p in paths] == [reference_png[n] for n in names]
    assert "charts drawn in this process" in caplog.text

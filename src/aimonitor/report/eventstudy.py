"""Rendering of an :class:`~aimonitor.analytics.eventstudy.EventStudyResult`.

``write_study_report(result, out_dir)`` writes ``event_study.md``, ``event_study.html``,
PNG CAR plots (one per firm-event and the CAAR) with a 95% band, and CSVs (firms,
abnormal returns, aggregate). ``study_table(result)`` builds a rich Table for the terminal.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from pathlib import Path
from typing import Any

from aimonitor.analytics.eventstudy import EventStudyResult
from aimonitor.report.terminal import Table  # rich is imported in one module

log = logging.getLogger(__name__)

_AGG_COLS = [
    ("aar", "AAR"),
    ("caar", "CAAR"),
    ("t_cs", "t (cs)"),
    ("patell_z", "Patell Z"),
    ("bmp_t", "BMP t"),
    ("kp_bmp_t", "KP-BMP t"),
    ("corrado_z", "Rank Z"),
    ("gen_sign_z", "Gen. sign Z"),
]


def _pct(x: Any, digits: int = 2) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x) * 100:+.{digits}f}%"


def _fmt(x: Any, fmt: str = "{:.2f}") -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else fmt.format(float(x))


def _stars(p: Any) -> str:
    if p is None or not math.isfinite(float(p)):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_") or "x"


def _tables(result: EventStudyResult) -> tuple[list[str], list[list[str]], list[str], list[list[str]], list[str]]:
    firm_head = (
        ["Symbol", "Event", "Day 0", "N est.", "Alpha", "Beta", "Sigma"]
        + [f"AR({d:+d})" for d in result.days]
        + ["CAR", "t", "p"]
    )
    firm_rows = []
    for i in range(result.n):
        firm_rows.append(
            [
                result.symbols[i],
                result.event_ids[i] or "-",
                result.day0s[i].isoformat(),
                str(int(result.n_estimation[i])),
                _fmt(result.alpha[i], "{:+.5f}"),
                _fmt(result.beta[i], "{:.3f}"),
                _fmt(result.sigma[i], "{:.4f}"),
            ]
            + [_pct(a) for a in result.ar[i]]
            + [_pct(result.car[i]) + _stars(result.car_p[i]), _fmt(result.car_t[i]), _fmt(result.car_p[i], "{:.4f}")]
        )
    agg_head = ["Day"] + [h for _, h in _AGG_COLS]
    agg = result.to_frame("aggregate")
    agg_rows = []
    for _, r in agg.iterrows():
        agg_rows.append(
            [f"{int(r['day']):+d}"] + [_pct(r[k]) if k in ("aar", "caar") else _fmt(r[k]) for k, _ in _AGG_COLS]
        )
    w = result.window_stats
    A, B = result.window
    agg_rows.append(
        [f"[{A:+d},{B:+d}]", "", _pct(w.get("caar"))]
        + [_fmt(w.get(k)) for k in ("t_cs", "patell_z", "bmp_t", "kp_bmp_t", "corrado_z", "gen_sign_z")]
    )
    notes = [
        f"Model: {result.model}; returns: {result.returns_kind}; event window [{A:+d}, {B:+d}]; "
        f"estimation: {result.estimation_spec}; firm-events: {result.n}; skipped: {len(result.skipped)}.",
        "AR = R - alpha - beta*M; t and p of CAR use the prediction-error corrected variance "
        "(MacKinlay 1997), Student t with n-2 df. * p<0.10, ** p<0.05, *** p<0.01.",
        "Aggregate tests: cross-sectional t; Patell Z; BMP t (Boehmer, Musumeci & Poulsen 1991); "
        "KP-BMP t (Kolari & Pynnonen 2010, mean residual cross-correlation "
        f"{_fmt(result.rbar, '{:.3f}')}); Corrado rank Z; generalised sign Z (Cowan 1992). "
        "n/a = undefined (e.g. one firm).",
    ]
    return firm_head, firm_rows, agg_head, agg_rows, notes


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def write_study_report(
    result: EventStudyResult, out_dir: str | Path, *, title: str = "Event study", stem: str = "event_study"
) -> list[Path]:
    """Write markdown, HTML, PNG plots and CSVs of ``result`` into ``out_dir``.

    Returns
    -------
    list of Path
        Every file written: ``{stem}.md``, ``{stem}.html``, ``{stem}.json``,
        ``{stem}_firms.csv``, ``{stem}_ar.csv``, ``{stem}_aggregate.csv``,
        ``{stem}_caar.png`` and one ``{stem}_car_<symbol>[_<event>].png`` per firm-event.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []

    # CSVs
    for kind in ("firms", "ar", "aggregate"):
        p = out / f"{stem}_{kind}.csv"
        result.to_frame(kind).to_csv(p, index=False, float_format="%.10g")
        paths.append(p)
    pj = out / f"{stem}.json"
    pj.write_text(json.dumps(result.to_json(), indent=2, allow_nan=False), encoding="utf-8")
    paths.append(pj)

    # plots
    pngs: list[tuple[str, Path]] = []
    if result.n:
        p = Path(result.plot(out / f"{stem}_caar.png"))
        pngs.append((f"CAAR with 95% band (N={result.n})", p))
        used: set[str] = set()
        for i in range(result.n):
            sym, eid = result.symbols[i], result.event_ids[i]
            name = _slug(sym + (f"_{eid}" if eid else ""))
            while name in used:
                name += "_"
            used.add(name)
            p = Path(result.plot(out / f"{stem}_car_{name}.png", symbol=sym, event_id=eid))
            pngs.append((f"CAR {sym}" + (f" ({eid})" if eid else ""), p))
    paths += [p for _, p in pngs]

    firm_head, firm_rows, agg_head, agg_rows, notes = _tables(result)
    skipped = [[s.symbol, s.event_id or "-", s.reason] for s in result.skipped]

    md = [
        f"# {title}",
        "",
        *notes,
        "",
        "## Firm-events",
        "",
        _md_table(firm_head, firm_rows),
        "",
        "## Aggregate (AAR per day; last row: the whole window)",
        "",
        _md_table(agg_head, agg_rows),
        "",
    ]
    if skipped:
        md += ["## Skipped", "", _md_table(["Symbol", "Event", "Reason"], skipped), ""]
    md += ["## Charts", ""] + [f"![{cap}]({p.name})" for cap, p in pngs] + [""]
    pm = out / f"{stem}.md"
    pm.write_text("\n".join(md), encoding="utf-8")

    css = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
        "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}"
        "td:first-child,th:first-child{text-align:left}img{max-width:100%;margin:.5em 0}"
        "p.note{font-size:13px;color:#555}"
    )
    body = [f"<h1>{html.escape(title)}</h1>"] + [f"<p class='note'>{html.escape(n)}</p>" for n in notes]
    body += [
        "<h2>Firm-events</h2>",
        _html_table(firm_head, firm_rows),
        "<h2>Aggregate</h2>",
        _html_table(agg_head, agg_rows),
    ]
    if skipped:
        body += ["<h2>Skipped</h2>", _html_table(["Symbol", "Event", "Reason"], skipped)]
    body += ["<h2>Charts</h2>"] + [
        f"<figure><img src='{html.escape(p.name)}' alt='{html.escape(c)}'>"
        f"<figcaption>{html.escape(c)}</figcaption></figure>"
        for c, p in pngs
    ]
    ph = out / f"{stem}.html"
    ph.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><style>{css}</style></head><body>" + "\n".join(body) + "</body></html>",
        encoding="utf-8",
    )
    log.info("event-study report written to %s", out)
    return [pm, ph] + paths


def study_table(result: EventStudyResult) -> list[Table]:
    """Rich tables for the terminal: firm-events, then the aggregate tests."""
    firm_head, firm_rows, agg_head, agg_rows, notes = _tables(result)
    t1 = Table(title=f"Event study ({result.model}, {result.returns_kind} returns)", caption=notes[0])
    for j, h in enumerate(firm_head):
        t1.add_column(h, justify="left" if j < 3 else "right")
    for r in firm_rows:
        t1.add_row(*r)
    t2 = Table(title="Aggregate tests")
    for j, h in enumerate(agg_head):
        t2.add_column(h, justify="left" if j == 0 else "right")
    for r in agg_rows:
        t2.add_row(*r)
    tables = [t1, t2]
    if result.skipped:
        t3 = Table(title="Skipped firm-events")
        for h in ("Symbol", "Event", "Reason"):
            t3.add_column(h)
        for s in result.skipped:
            t3.add_row(s.symbol, s.event_id or "-", s.reason)
        tables.append(t3)
    return tables

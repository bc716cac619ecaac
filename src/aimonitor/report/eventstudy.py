"""Rendering of an :class:`~aimonitor.analytics.eventstudy.EventStudyResult`.

``write_study_report(result, out_dir)`` writes ``event_study.md``, ``event_study.html``,
``event_study.json``, CSVs (firms, abnormal returns, aggregate; every text cell neutralised
by :mod:`aimonitor.csvsafe`) and PNG CAR plots with a 95% band. When the study is about one
catalog deal the report is titled by the deal (description, counterparty, amount, timing,
day 0 and why) and opens with a two-sentence plain-language summary; aggregate tables and
the CAAR chart appear only when more than one firm-event was estimated.
``study_table(result)`` builds rich Tables for the terminal.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aimonitor.analytics.eventstudy import EventStudyResult
from aimonitor.analytics.eventstudy.aggregate import Aggregate
from aimonitor.csvsafe import safe_frame
from aimonitor.report import plotting
from aimonitor.report.formatting import format_usd
from aimonitor.report.terminal import Table  # rich is imported in one module

log = logging.getLogger(__name__)

_AGG_COLS = [
    ("aar", "AAR"),
    ("caar", "CAAR"),
    ("t_cs", "t (cs)"),
    ("patell_z", "Patell Z"),
    ("bmp_t", "BMP t"),
    ("kp_bmp_t", "KP-BMP t"),
    ("corrado_z", "Rank Z (CZ)"),
    ("gen_sign_z", "Gen. sign Z"),
    ("ct_z", "Cal.-time Z"),
]
_WINDOW_KEYS = ("t_cs", "patell_z", "bmp_t", "kp_bmp_t", "corrado_z", "gen_sign_z", "ct_z")

_TIMING_WHY = {
    "pre": "announced before the open, so that session's close is the first to reflect it",
    "intraday": "announced during the session, so that session's close is the first to reflect it",
    "post": "announced after the close, so the next session is the first to reflect it",
    "unknown": "time of day not known: the announcement date's session is taken as day 0",
}


# --------------------------------------------------------------------------- formatting


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _val(x: Any, bp: bool, digits: int = 2) -> str:
    v = _finite(x)
    if v is None:
        return "n/a"
    return f"{v:+.{max(digits - 1, 0)}f} bp" if bp else f"{v * 100:+.{digits}f}%"


def _fmt(x: Any, fmt: str = "{:.2f}") -> str:
    v = _finite(x)
    return "n/a" if v is None else fmt.format(v)


def _stars(p: Any) -> str:
    v = _finite(p)
    if v is None:
        return ""
    return "***" if v < 0.01 else "**" if v < 0.05 else "*" if v < 0.10 else ""


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_") or "x"


def _p_text(p: Any) -> str:
    v = _finite(p)
    if v is None:
        return "p n/a"
    return "p < 0.001" if v < 0.001 else f"p = {v:.3f}"


def _left_out(k: int) -> str:
    if k == 0:
        return ""
    return f" after leaving out {k} event-window or jump day{'s' if k != 1 else ''}"


def _day(d: int) -> str:
    return "day 0" if d == 0 else f"day {d:+d}"


def _market_phrase(result: EventStudyResult) -> str:
    ctx = result.context
    if result.measure == "spread":
        return "its rating-bucket OAS"
    if result.model == "factor":
        return f"its factor model ({', '.join(result.factor_names)}) predicted"
    if result.model == "constant-mean":
        return "its usual daily return"
    mkt = ctx.get("market")
    return f"the market ({mkt})" if mkt else "the market"


# --------------------------------------------------------------------------- deal context


def deal_of(result: EventStudyResult) -> Mapping[str, Any] | None:
    """The catalog event this study is about, when it is about exactly one."""
    events = result.context.get("events") or {}
    return next(iter(events.values())) if len(events) == 1 else None


def deal_title(deal: Mapping[str, Any]) -> str:
    """``AMD and OpenAI: compute contract; warrant equity for orders, $300B (EV09)``."""
    names = " and ".join(
        [*deal.get("tickers", [])[:3]]
        + ([deal["counterparty"].split(";")[0].strip()] if deal.get("counterparty") else [])
    )
    kind = " + ".join(t.replace("_", " ") for t in str(deal.get("event_type") or "event").split(";"))
    amount = format_usd(deal.get("amount_usd"))
    return f"{names or 'Event'}: {kind}" + (f", {amount}" if amount else "") + f" ({deal.get('event_id')})"


def deal_lines(deal: Mapping[str, Any]) -> list[str]:
    """Plain sentences: what, who, how much, when and why day 0 is where it is."""
    timing = str(deal.get("timing") or "unknown")
    lines = [str(deal.get("description") or "").strip()]
    if deal.get("counterparty"):
        lines.append(f"Counterparty: {deal['counterparty']}.")
    if deal.get("amount_usd") is not None:
        lines.append(f"Amount: {format_usd(deal['amount_usd'])}.")
    lines.append(
        f"Announced {deal.get('announce_date') or 'n/a'} ({timing}); day 0 = {deal.get('day0') or 'n/a'}: "
        f"{_TIMING_WHY.get(timing, _TIMING_WHY['unknown'])}."
    )
    return [ln for ln in lines if ln]


def plain_summary(result: EventStudyResult) -> str:
    """Two plain-language sentences on the result (empty when nothing was estimated)."""
    if result.n == 0:
        return ""
    bp = result.measure == "spread"
    days = list(result.days)
    j = days.index(0) if 0 in days else 0
    A, B = result.window
    span = f"days {A:+d} to {B:+d}"
    if result.n == 1:
        sym, ar, t = result.symbols[0], float(result.ar[0, j]), float(result.sar[0, j])
        if bp:
            verb = "widened" if ar >= 0 else "tightened"
            s1 = f"{sym}'s equity-implied 5y spread {verb} {abs(ar):.1f} bp more than {_market_phrase(result)}"
        else:
            verb = "rose" if ar >= 0 else "fell"
            s1 = f"{sym} {verb} {abs(ar) * 100:.1f}% more than {_market_phrase(result)}"
        s1 += f" on {_day(days[j])} ({result.dates[0, j]}, t = {t:.1f})."
        s2 = (
            f"Over {span} its cumulative abnormal {'change' if bp else 'return'} was "
            f"{_val(result.car[0], bp, 1)} (t = {_fmt(result.car_t[0], '{:.1f}')}, {_p_text(result.car_p[0])}), "
            f"judged against {int(result.n_estimation[0])} normal sessions"
            + (_left_out(len(result.excluded_days[0])) if result.excluded_days else "")
            + (
                f"; other news in the window: {', '.join(result.confounded_by[0])}"
                if result.confounded_by and result.confounded_by[0]
                else ""
            )
            + "."
        )
        return f"{s1} {s2}"
    agg = result.aggregate
    aar = float(agg.day_stats["aar"][j])
    s1 = (
        f"Across {result.n} firm-events the average abnormal {'change' if bp else 'return'} on {_day(days[j])} was "
        f"{_val(aar, bp)} (BMP t = {_fmt(agg.day_stats['bmp_t'][j], '{:.1f}')}, "
        f"adjusted for overlapping windows {_fmt(agg.day_stats['kp_bmp_t'][j], '{:.1f}')})."
    )
    w = agg.window_stats
    s2 = (
        f"Over {span} the average cumulative abnormal {'change' if bp else 'return'} was {_val(w.get('caar'), bp)} "
        f"(BMP t = {_fmt(w.get('bmp_t'), '{:.1f}')}, rank Z = {_fmt(w.get('corrado_z'), '{:.1f}')})"
        + (f", pooled over {len(agg.groups)} groups" if len(agg.groups) > 1 else "")
        + "."
    )
    return f"{s1} {s2}"


# --------------------------------------------------------------------------- tables


def _firm_table(result: EventStudyResult) -> tuple[list[str], list[list[str]]]:
    bp = result.measure == "spread"
    head = (
        ["Symbol", "Events", "Day 0", "N est.", "Excluded", "Alpha", "Beta", "Sigma"]
        + [f"AR({d:+d})" for d in result.days]
        + ["CAR", "t", "p", "Other news in window"]
    )
    rows = []
    for i in range(result.n):
        ids = result.all_event_ids[i] if result.all_event_ids else (result.event_ids[i] or "-",)
        rows.append(
            [
                result.symbols[i],
                ", ".join(ids) or "-",
                result.day0s[i].isoformat(),
                str(int(result.n_estimation[i])),
                str(len(result.excluded_days[i])) if result.excluded_days else "0",
                _fmt(result.alpha[i], "{:+.5f}" if not bp else "{:+.2f}"),
                _fmt(result.beta[i], "{:.3f}"),
                _fmt(result.sigma[i], "{:.4f}" if not bp else "{:.2f}"),
            ]
            + [_val(a, bp) for a in result.ar[i]]
            + [
                _val(result.car[i], bp) + _stars(result.car_p[i]),
                _fmt(result.car_t[i]),
                _fmt(result.car_p[i], "{:.4f}"),
                ", ".join(result.confounded_by[i]) if result.confounded_by and result.confounded_by[i] else "",
            ]
        )
    return head, rows


def _agg_table(result: EventStudyResult, agg: Aggregate) -> tuple[list[str], list[list[str]]]:
    bp = result.measure == "spread"
    head = ["Day"] + [h for _, h in _AGG_COLS]
    rows = []
    for j, d in enumerate(result.days):
        vals = [
            _val(agg.day_stats["aar"][j], bp)
            if k == "aar"
            else _val(agg.caar_path[j], bp)
            if k == "caar"
            else _fmt(agg.day_stats[k][j])
            for k, _ in _AGG_COLS
        ]
        rows.append([f"{int(d):+d}"] + vals)
    A, B = result.window
    w = agg.window_stats
    rows.append([f"[{A:+d},{B:+d}]", "", _val(w.get("caar"), bp)] + [_fmt(w.get(k)) for k in _WINDOW_KEYS])
    return head, rows


def _notes(result: EventStudyResult) -> list[str]:
    A, B = result.window
    agg = result.aggregate
    clean = result.cleaning
    units = (
        "bp changes of the equity-implied 5y spread" if result.measure == "spread" else f"{result.returns_kind} returns"
    )
    notes = [
        f"Model: {result.model}"
        + (f" ({', '.join(result.factor_names)})" if result.factor_names else "")
        + f"; {units}; event window [{A:+d}, {B:+d}]; estimation: {result.estimation_spec}; "
        f"firm-events: {result.n} (each symbol and day 0 counted once); skipped: {len(result.skipped)}.",
        "Estimation windows "
        + (
            "leave out the windows of other catalog events and jump days beyond "
            f"{clean.get('jump_k')} robust sigmas, extending back to keep the full length."
            if clean.get("other_event_windows") and clean.get("jump_k")
            else "leave out the windows of other catalog events."
            if clean.get("other_event_windows")
            else "are not cleaned."
        ),
        "AR = R - alpha - beta*M; t and p of CAR use the prediction-error corrected variance "
        "(MacKinlay 1997). * p<0.10, ** p<0.05, *** p<0.01.",
    ]
    if result.n > 1:
        notes.append(
            "Aggregate tests: cross-sectional t; Patell Z; BMP t (Boehmer, Musumeci & Poulsen 1991); "
            f"KP-BMP t (Kolari & Pynnonen 2010, applied to the {agg.n_pairs} pairs of firm-events whose windows "
            f"overlap, mean residual correlation {_fmt(agg.rbar, '{:.3f}')}, factor {_fmt(agg.kp_factor, '{:.3f}')}); "
            "rank Z with Corrado-Zivney standardised ranks; generalised sign Z (Cowan 1992); calendar-time Z over "
            f"{agg.clusters} same-day portfolios."
        )
        if agg.groups and len(agg.groups) > 1:
            notes.append(
                "The pooled table mixes groups: " + ", ".join(f"{g} ({n})" for g, n in agg.groups.items()) + "."
            )
    return notes


# --------------------------------------------------------------------------- charts


def _car_chart(result: EventStudyResult, path: str | Path, i: int | None = None) -> dict[str, Any]:
    """The :func:`~aimonitor.report.plotting.plot_lines` arguments of the PNG of the CAR path
    of firm-event ``i`` (CAAR if None) with its 95% band."""
    b = result.band(i)
    bp = result.measure == "spread"
    if i is None:
        title, label = f"CAAR (N={result.n})", "CAAR"
    else:
        ids = ", ".join(result.all_event_ids[i]) if result.all_event_ids else (result.event_ids[i] or "")
        title, label = f"CAR {result.symbols[i]}" + (f" ({ids})" if ids else ""), "CAR"
    return dict(
        path=path,
        series={label: b["car"]},
        title=title,
        ylabel="cumulative abnormal spread change (bp)" if bp else "cumulative abnormal return",
        xlabel="day relative to event",
        band=(b["low"], b["high"]),
        hline=0.0,
        vline=0.0,
        percent=not bp,
    )


def _charts(result: EventStudyResult, out: Path, stem: str) -> list[tuple[str, Path]]:
    captions: list[str] = []
    jobs: list[dict[str, Any]] = []
    if result.n > 1:
        captions.append(f"CAAR with 95% band (N={result.n})")
        jobs.append(_car_chart(result, out / f"{stem}_caar.png"))
    used: set[str] = set()
    for i in range(result.n):
        sym, eid = result.symbols[i], result.event_ids[i]
        name = _slug(sym + (f"_{eid}" if eid else ""))
        while name in used:
            name += "_"
        used.add(name)
        captions.append(f"CAR {sym}" + (f" ({eid})" if eid else "") + " with 95% band")
        jobs.append(_car_chart(result, out / f"{stem}_car_{name}.png", i))
    return list(zip(captions, plotting.plot_lines_many(jobs), strict=True))


# --------------------------------------------------------------------------- documents


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _sections(result: EventStudyResult) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, head, rows) of every table in the report, in order."""
    out: list[tuple[str, list[str], list[list[str]]]] = (
        [("Firm-events", *_firm_table(result))] if result.n else [("No firm-event could be estimated", [], [])]
    )
    if result.n > 1:
        out.append(("Aggregate (AAR per day; last row: the whole window)", *_agg_table(result, result.aggregate)))
    for g, agg in result.group_aggregates.items():
        if agg.n > 1:
            out.append((f"Group {g} (n={agg.n})", *_agg_table(result, agg)))
        else:
            out.append((f"Group {g} (n={agg.n}): one firm-event, see the firm table", [], []))
    if result.skipped:
        out.append(
            (
                "Not studied, and why",
                ["Symbol", "Event", "Reason"],
                [[s.symbol, s.event_id or "-", s.reason] for s in result.skipped],
            )
        )
    return out


def write_study_report(
    result: EventStudyResult, out_dir: str | Path, *, title: str | None = None, stem: str = "event_study"
) -> list[Path]:
    """Write markdown, HTML, JSON, PNG plots and CSVs of ``result`` into ``out_dir``.

    Returns
    -------
    list of Path
        Every file written: ``{stem}.md``, ``{stem}.html`` first, then ``{stem}.json``,
        ``{stem}_firms.csv``, ``{stem}_ar.csv``, ``{stem}_aggregate.csv``, ``{stem}_caar.png``
        (only when more than one firm-event) and one ``{stem}_car_<symbol>_<event>.png`` per firm-event.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for kind in ("firms", "ar", "aggregate"):
        p = out / f"{stem}_{kind}.csv"
        safe_frame(result.to_frame(kind)).to_csv(p, index=False, float_format="%.10g")
        paths.append(p)
    pj = out / f"{stem}.json"
    pj.write_text(json.dumps(result.to_json(), indent=2, allow_nan=False), encoding="utf-8")
    paths.append(pj)
    pngs = _charts(result, out, stem)
    paths += [p for _, p in pngs]

    deal = deal_of(result)
    head_title = title or (deal_title(deal) if deal else "Event study")
    intro = deal_lines(deal) if deal else []
    summary = plain_summary(result)
    notes = _notes(result)
    sections = _sections(result)

    md = [f"# {head_title}", ""]
    for line in intro:
        md += [line, ""]
    md += [f"**In short.** {summary}", ""] if summary else []
    for heading, head, rows in sections:
        md += [f"## {heading}", ""] + ([_md_table(head, rows), ""] if head else [])
    md += ["## Charts", ""] + [f"![{cap}]({p.name})" for cap, p in pngs] + [""]
    md += ["## Method", ""] + notes + [""]
    pm = out / f"{stem}.md"
    pm.write_text("\n".join(md), encoding="utf-8")

    css = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
        "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}"
        "td:first-child,th:first-child{text-align:left}img{max-width:100%;margin:.5em 0}"
        "p.note{font-size:13px;color:#555}p.summary{font-size:15px}"
    )
    body = [f"<h1>{html.escape(head_title)}</h1>"] + [f"<p>{html.escape(x)}</p>" for x in intro]
    if summary:
        body.append(f"<p class='summary'><strong>In short.</strong> {html.escape(summary)}</p>")
    for heading, head, rows in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if head:
            body.append(_html_table(head, rows))
    body += ["<h2>Charts</h2>"] + [
        f"<figure><img src='{html.escape(p.name)}' alt='{html.escape(c)}'>"
        f"<figcaption>{html.escape(c)}</figcaption></figure>"
        for c, p in pngs
    ]
    body += ["<h2>Method</h2>"] + [f"<p class='note'>{html.escape(n)}</p>" for n in notes]
    ph = out / f"{stem}.html"
    ph.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(head_title)}</title><style>{css}</style></head><body>" + "\n".join(body) + "</body></html>",
        encoding="utf-8",
    )
    log.info("event-study report written to %s", out)
    return [pm, ph] + paths


def study_table(result: EventStudyResult) -> list[Table]:
    """Rich tables for the terminal: firm-events, aggregates (when n > 1), skipped."""
    deal = deal_of(result)
    summary = plain_summary(result)
    tables = []
    for k, (heading, head, rows) in enumerate(_sections(result)):
        if not head:
            continue
        if k == 0:
            t = Table(title=deal_title(deal) if deal else f"Event study ({result.model})", caption=summary or None)
        else:
            t = Table(title=heading)
        for j, h in enumerate(head):
            t.add_column(h, justify="left" if j < 3 or h == "Reason" else "right")
        for r in rows:
            t.add_row(*r)
        tables.append(t)
    return tables

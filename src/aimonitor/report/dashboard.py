"""The HTML dashboard (``aimonitor report`` and the demo's ``index.html``), built around "now".

It answers first "is the loop under stress now, and since when": a status strip with one
card per watchlist name (``data-symbol``, ``data-status``, ``data-since`` per the CLI
contract), the loop graph with stressed nodes coloured and the firing alerts, then
interactive time series (plotly, its JavaScript inlined so the file works offline opened
from disk), event markers with short numbered labels and a legend, the alert history
with data-quality alerts apart from market stress, and links to the event-study reports.

This module renders a :class:`DashboardData` it is handed; it reads no store and no
clock (the wiring, :mod:`aimonitor.reports`, builds the data, ``generated_at`` included).
The project's only plotly user.
"""

from __future__ import annotations

import html
import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aimonitor.report.formatting import format_usd
from aimonitor.report.graph import GraphView, render_legend, render_svg

log = logging.getLogger(__name__)

SEVERITY_RANK = {"ok": 0, "info": 1, "warning": 2, "critical": 3}
STATUS_TEXT = {
    "ok": "no alert firing",
    "info": "information",
    "warning": "warning",
    "critical": "critical",
}


# ----------------------------------------------------------------------------- data objects


@dataclass(frozen=True)
class StatusCard:
    """One watchlist name "now": its status and since when, credit proxy, CDS quote, drawdown."""

    symbol: str
    name: str
    status: str  # ok | info | warning | critical
    since: str | None  # first session of the current non-ok status
    alerts: tuple[str, ...] = ()  # summaries of the firing alerts behind the status
    proxy_bp: float | None = None
    proxy_change_20d_bp: float | None = None
    proxy_low_bp: float | None = None
    proxy_high_bp: float | None = None
    cds_bp: float | None = None
    cds_date: str | None = None
    cds_source: str | None = None
    drawdown: float | None = None
    last_session: str | None = None


@dataclass(frozen=True)
class Trace:
    """One line (or band edge, or marker set) of a chart."""

    name: str
    x: list[str]
    y: list[float | None]
    kind: str = "line"  # line | band_low | band_high | markers
    group: str | None = None


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    y_title: str
    traces: tuple[Trace, ...]
    log_y: bool = False
    percent: bool = False
    markers: bool = True  # draw the event markers on it
    note: str = ""


@dataclass(frozen=True)
class Marker:
    """An event marker: a number on the charts, its line in the legend."""

    n: int
    date: str
    label: str
    event_id: str
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertRow:
    rule: str
    symbol: str | None
    severity: str
    state: str
    fired: str | None
    resolved: str | None
    value: float | None
    summary: str
    data_quality: bool = False


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows (JSON-able with :meth:`to_json`)."""

    as_of: str
    start: str
    end: str
    generated_at: str | None
    watchlist: tuple[str, ...]
    cards: tuple[StatusCard, ...]
    loop_status: str
    loop_since: str | None
    graph: GraphView | None = None
    charts: tuple[Chart, ...] = ()
    markers: tuple[Marker, ...] = ()
    firing: tuple[AlertRow, ...] = ()
    data_quality: tuple[AlertRow, ...] = ()
    history: tuple[AlertRow, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    loop_alerts: tuple[AlertRow, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- helpers


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _num(x: float | None, fmt: str, none: str = "n/a") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return none
    return fmt.format(x)


def status_of(severities: list[str]) -> str:
    """The most severe of ``severities`` (``ok`` when empty)."""
    return max(severities, key=lambda s: SEVERITY_RANK.get(s, 0), default="ok")


def _date(d: str | None) -> str:
    return f'<span class="d">{_e(d)}</span>' if d else ""


CSS = """
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;
background:#f6f7f9;font-size:14px}main{max-width:1360px;margin:0 auto;padding:12px 20px 40px}
header{display:flex;align-items:baseline;gap:16px;flex-wrap:wrap;margin-bottom:8px}
h1{font-size:20px;margin:0}h2{font-size:16px;margin:18px 0 6px}.muted{color:#666}.d{white-space:nowrap}
.verdict{font-size:17px;font-weight:600;padding:6px 12px;border-radius:6px;color:#fff}
.s-ok{background:#2e7d32}.s-info{background:#1f6fb2}.s-warning{background:#ef8f00}.s-critical{background:#c62828}
.strip{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:10px}
.card{background:#fff;border-radius:8px;padding:10px 12px;border-left:8px solid #2e7d32;box-shadow:0 1px 2px #0002}
.card[data-status=info]{border-color:#1f6fb2}.card[data-status=warning]{border-color:#ef8f00}
.card[data-status=critical]{border-color:#c62828}.card h3{margin:0;font-size:18px;display:flex;
justify-content:space-between;align-items:baseline}.card .st{font-size:13px;font-weight:600;text-transform:uppercase}
.card[data-status=critical] .st{color:#c62828}.card[data-status=warning] .st{color:#b36b00}
.card[data-status=info] .st{color:#1f6fb2}.card[data-status=ok] .st{color:#2e7d32}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:1px 10px;margin:6px 0 4px;font-size:13px}
.card dt{color:#666}.card dd{margin:0;font-variant-numeric:tabular-nums}.card ul{margin:4px 0 0;padding-left:16px;
font-size:12px;color:#444}
.row{display:grid;grid-template-columns:minmax(0,1.15fr) minmax(0,1fr);gap:12px;margin-top:10px}
.panel{background:#fff;border-radius:8px;padding:8px 12px;box-shadow:0 1px 2px #0002}
.legend{font-size:12px;color:#444}.lg{margin-right:12px;white-space:nowrap;display:inline-block}
.lg i{display:inline-block;width:14px;height:4px;margin-right:4px;vertical-align:middle}
.lg i.dot{width:10px;height:10px;border-radius:50%}
table{border-collapse:collapse;width:100%;font-size:12.5px}td,th{border-bottom:1px solid #e3e3e3;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#fafafa;font-weight:600}td.n{text-align:right;
font-variant-numeric:tabular-nums}.sev{font-weight:600}.sev-critical{color:#c62828}.sev-warning{color:#b36b00}
.sev-info{color:#1f6fb2}.chart{height:380px}.charts .panel{margin-bottom:12px}
.markers{columns:2;font-size:12px;margin:4px 0}.markers li{break-inside:avoid}
"""

_JS = """
(function(){
  var errs=[];var box=document.getElementById('js-errors');
  function note(m){
    errs.push(String(m));
    if(box){box.setAttribute('data-count',errs.length);box.textContent=errs.join('\\n');}
  }
  window.addEventListener('error',function(e){note(e.message||e);});
  var ce=console.error;
  console.error=function(){note(Array.prototype.join.call(arguments,' '));ce.apply(console,arguments);};
  var DATA=JSON.parse(document.getElementById('chart-data').textContent);
  if(typeof Plotly==='undefined'){note('plotly did not load');return;}
  var COLORS=['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#7f7f7f','#17becf'];
  DATA.charts.forEach(function(ch){
    var el=document.getElementById('chart-'+ch.id);if(!el)return;
    var traces=[];var ci=0;var colorOf={};
    ch.traces.forEach(function(t){
      var key=t.group||t.name;if(!(key in colorOf)){colorOf[key]=COLORS[ci%COLORS.length];ci++;}
      var c=colorOf[key];
      var fmt=ch.percent?'.1%':'.4~r';
      var tr={x:t.x,y:t.y,name:t.name,type:'scatter',
              hovertemplate:'%{x}: %{y:'+fmt+'}<extra>'+t.name+'</extra>'};
      if(t.kind==='band_low'||t.kind==='band_high'){
        tr.mode='lines';tr.line={width:0,color:c};tr.hoverinfo='skip';delete tr.hovertemplate;
        if(t.kind==='band_low'){tr.showlegend=false;}else{tr.fill='tonexty';tr.fillcolor=c+'33';}
      }
      else if(t.kind==='markers'){tr.mode='markers';tr.marker={size:8,symbol:'diamond',color:c};}
      else{tr.mode='lines';tr.line={width:1.8,color:c};}
      traces.push(tr);
    });
    var shapes=[],ann=[];
    if(ch.markers){DATA.markers.forEach(function(m,i){
      shapes.push({type:'line',xref:'x',yref:'paper',x0:m.date,x1:m.date,y0:0,y1:1,
                   line:{color:'#999',width:1,dash:'dot'}});
      ann.push({x:m.date,xref:'x',yref:'paper',y:1.0-0.06*(i%3),text:String(m.n),showarrow:false,
        font:{size:10,color:'#333'},bgcolor:'#fff',bordercolor:'#999',borderwidth:1,borderpad:1,
        hovertext:m.date+' '+m.label});
    });}
    var layout={title:{text:ch.title,font:{size:14}},margin:{l:60,r:10,t:36,b:30},hovermode:'x unified',
      yaxis:{title:{text:ch.y_title},type:ch.log_y?'log':'linear',tickformat:ch.percent?'.0%':''},
      xaxis:{type:'date'},legend:{orientation:'h',y:-0.12},shapes:shapes,annotations:ann};
    Plotly.newPlot(el,traces,layout,{displaylogo:false,responsive:true,scrollZoom:true});
  });
  document.body.setAttribute('data-charts-ready',DATA.charts.length);
})();
"""


# ----------------------------------------------------------------------------- rendering


def _card(c: StatusCard) -> str:
    since = f' data-since="{_e(c.since)}"' if c.status != "ok" and c.since else ""
    head = STATUS_TEXT.get(c.status, c.status)
    since_txt = f" since {_date(c.since)}" if c.status != "ok" and c.since else ""
    band = ""
    if c.proxy_low_bp is not None and c.proxy_high_bp is not None:
        band = f' <span class="muted">({_num(c.proxy_low_bp, "{:.0f}")}–{_num(c.proxy_high_bp, "{:.0f}")})</span>'
    chg = _num(c.proxy_change_20d_bp, "{:+.0f} bp", "")
    proxy = _num(c.proxy_bp, "{:.0f} bp") + band
    cds = (
        f"{_num(c.cds_bp, '{:.0f} bp')} on {_date(c.cds_date)}"
        + (f' <span class="muted">{_e(c.cds_source)}</span>' if c.cds_source else "")
        if c.cds_bp is not None
        else '<span class="muted">none imported</span>'
    )
    items = "".join(f'<li title="{_e(a)}">{_e(_short(a))}</li>' for a in c.alerts[:3])
    more = f"<li>+{len(c.alerts) - 3} more</li>" if len(c.alerts) > 3 else ""
    return (
        f'<div class="card" data-symbol="{_e(c.symbol)}" data-status="{_e(c.status)}"{since}>'
        f'<h3><span>{_e(c.symbol)} <span class="muted" style="font-size:13px">{_e(c.name)}</span></span>'
        f'<span class="st">{_e(head)}</span></h3>'
        f'<div class="since">{_e(head.capitalize()) if c.status != "ok" else "OK"}{since_txt}</div>'
        "<dl>"
        f'<dt>credit proxy</dt><dd class="proxy">{proxy}</dd>'
        f'<dt>20-session change</dt><dd class="chg">{chg or "n/a"}</dd>'
        f'<dt>CDS quote (5y)</dt><dd class="cds">{cds}</dd>'
        f'<dt>drawdown (52w)</dt><dd class="dd">{_num(c.drawdown, "{:.1%}")}</dd>'
        "</dl>" + (f"<ul>{items}{more}</ul>" if items else "") + "</div>"
    )


def _short(text: str, n: int = 150) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _rows_table(
    rows: tuple[AlertRow, ...], empty: str, limit: int, head: tuple[str, ...], row: Callable[[AlertRow], str], more: str
) -> str:
    """An HTML table of the first ``limit`` rows (``empty`` as a note when there are none);
    ``more`` (formatted with ``n``) says how many were left out."""
    if not rows:
        return f'<p class="muted">{_e(empty)}</p>'
    out = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    out += [row(a) for a in rows[:limit]]
    if len(rows) > limit:
        out.append(f'<tr><td colspan="{len(head)}" class="muted">{more.format(n=len(rows) - limit)}</td></tr>')
    return "".join(out) + "</table>"


def _firing_row(a: AlertRow) -> str:
    return (
        f'<tr class="firing" data-alert-symbol="{_e(a.symbol or "")}" data-severity="{_e(a.severity)}">'
        f'<td class="sev sev-{_e(a.severity)}">{_e(a.severity)}</td><td>{_e(a.symbol or "")}</td>'
        f'<td>{_date(a.fired)}</td><td title="{_e(a.rule)}: {_e(a.summary)}">{_e(_short(a.summary))}</td></tr>'
    )


def _history_row(a: AlertRow) -> str:
    return (
        f'<tr><td class="sev sev-{_e(a.severity)}">{_e(a.severity)}</td><td>{_e(a.symbol or "")}</td>'
        f"<td>{_date(a.fired)}</td><td>{_date(a.resolved) or ('firing' if a.state == 'firing' else '')}</td>"
        f"<td>{_e(a.rule)}</td><td>{_e(a.summary)}</td></tr>"
    )


def _firing_table(rows: tuple[AlertRow, ...], empty: str, limit: int) -> str:
    head = ("severity", "name", "since", "what")
    return _rows_table(rows, empty, limit, head, _firing_row, "+{n} more firing")


def _alert_table(rows: tuple[AlertRow, ...], empty: str, limit: int = 200) -> str:
    head = ("severity", "name", "fired", "resolved", "rule", "what")
    return _rows_table(rows, empty, limit, head, _history_row, "{n} older alerts not shown")


def plotly_js() -> str:
    """The plotly.js bundle, inlined so the page needs no network."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def render_dashboard(data: DashboardData, *, plotly_bundle: str | None = None) -> str:
    """The dashboard HTML (one self-contained document)."""
    verdict_since = f" since {_date(data.loop_since)}" if data.loop_status != "ok" and data.loop_since else ""
    stressed = [c.symbol for c in data.cards if c.status in ("warning", "critical")]
    verdict = (
        f"Loop under stress{verdict_since}: {_e(', '.join(stressed))}"
        if data.loop_status in ("warning", "critical")
        else ("Loop: information alerts only" if data.loop_status == "info" else "Loop: no stress alert firing")
    )
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>aimonitor: the AI-financing loop on {_e(data.as_of)}</title><style>{CSS}</style></head>",
        f"<body data-as-of='{_e(data.as_of)}'><main>",
        "<header><h1>AI-infrastructure financing loop</h1>"
        f'<span class="verdict s-{_e(data.loop_status)}" id="loop-status" data-status="{_e(data.loop_status)}"'
        + (f' data-since="{_e(data.loop_since)}"' if data.loop_status != "ok" and data.loop_since else "")
        + f">{verdict}</span>"
        f'<span class="muted">as of the session of {_date(data.as_of)}'
        + (f" · generated at {_date(data.generated_at)}" if data.generated_at else "")
        + "</span></header>",
        '<section class="strip" id="status-strip">' + "".join(_card(c) for c in data.cards) + "</section>",
        '<div class="row">',
    ]
    if data.graph is not None:
        parts.append(
            f'<section class="panel" id="loop-graph"><h2>Who pays whom (events announced by {_date(data.graph.as_of)})'
            f"</h2>{render_svg(data.graph, 640, 380)}{render_legend(data.graph)}</section>"
        )
    else:
        parts.append('<section class="panel" id="loop-graph"><p class="muted">No loop graph.</p></section>')
    parts.append(
        '<section class="panel" id="firing"><h2>Firing now: market stress</h2>'
        + _firing_table(data.firing, "No market-stress alert is firing.", 12)
        + "<h2>Firing now: data quality</h2>"
        + _firing_table(data.data_quality, "No data-quality alert is firing.", 4)
        + "</section></div>"
    )
    parts.append('<section class="charts"><h2>History (drag to zoom, hover for values)</h2>')
    for ch in data.charts:
        note = f'<p class="muted">{_e(ch.note)}</p>' if ch.note else ""
        parts.append(f'<div class="panel"><div class="chart" id="chart-{_e(ch.id)}"></div>{note}</div>')
    if data.markers:
        parts.append(
            '<div class="panel" id="event-legend"><h2>Event markers</h2><ol class="markers">'
            + "".join(
                f'<li value="{m.n}">{_date(m.date)} {_e(m.label)} <span class="muted">{_e(m.event_id)}</span></li>'
                for m in data.markers
            )
            + "</ol></div>"
        )
    parts.append("</section>")
    parts.append(
        '<section class="panel" id="history"><h2>Alert history (market stress)</h2>'
        + _alert_table(data.history, "No alert has fired in the window.", 120)
        + "</section>"
    )
    if data.links:
        parts.append(
            '<section class="panel" id="reports"><h2>Reports</h2><ul>'
            + "".join(f'<li><a href="{_e(href)}">{_e(label)}</a></li>' for label, href in data.links)
            + "</ul></section>"
        )
    if data.notes:
        parts.append('<p class="muted">' + "<br>".join(_e(n) for n in data.notes) + "</p>")
    payload = {
        "charts": [asdict(c) for c in data.charts],
        "markers": [asdict(m) for m in data.markers],
    }
    data_json = json.dumps(payload, allow_nan=False, default=str).replace("</", "<\\/")
    bundle = plotly_bundle if plotly_bundle is not None else (plotly_js() if data.charts else "")
    parts.append('<pre id="js-errors" data-count="0" hidden></pre>')
    parts.append(f'<script type="application/json" id="chart-data">{data_json}</script>')
    if bundle:
        parts.append("<script>" + bundle.replace("</script", "<\\/script") + "</script>")
    parts.append(f"<script>{_JS}</script></main></body></html>")
    return "\n".join(parts)


def write_dashboard(data: DashboardData, out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` (self-contained) and ``out_dir/dashboard.json``; returns the HTML path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(render_dashboard(data), encoding="utf-8")
    (out / "dashboard.json").write_text(json.dumps(data.to_json(), default=str, indent=1), encoding="utf-8")
    log.info("dashboard written to %s", path)
    return path


def usd(x: float | None) -> str:
    """Amounts as ``$157B`` (re-exported for the wiring's labels)."""
    return format_usd(x)

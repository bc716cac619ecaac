"""Drawing the loop graph: a JSON-able view object rendered as inline SVG (no JavaScript).

:class:`GraphView` holds everything a picture needs (positions, colours by alert status,
edge labels with amounts as ``$100B``); :func:`render_svg` turns it into an ``<svg>``
element that the dashboard embeds and that ``aimonitor graph --out DIR`` writes as
``graph.svg`` (plus ``graph.html`` and ``graph.json``).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aimonitor.analytics.graph import EDGE_LABELS, LoopGraph, compute_layout
from aimonitor.report.formatting import format_usd

STATUS_COLOURS = {
    "critical": "#c62828",
    "warning": "#ef8f00",
    "info": "#1f6fb2",
    "ok": "#2e7d32",
    "none": "#9e9e9e",
}
EDGE_COLOURS = {
    "equity_investment": "#6a3d9a",
    "compute_contract": "#1f78b4",
    "warrant": "#b15928",
    "debt_financing": "#e31a1c",
    "supply": "#33a02c",
}


@dataclass(frozen=True)
class NodeView:
    id: str
    label: str
    x: float
    y: float
    status: str  # ok | info | warning | critical | none (no monitored data)
    in_loop: bool
    to_loop_usd: float
    title: str


@dataclass(frozen=True)
class EdgeView:
    source: str
    target: str
    type: str
    label: str
    amount_usd: float | None
    event_ids: tuple[str, ...]
    first: str


@dataclass(frozen=True)
class GraphView:
    """A drawable, JSON-able picture of the loop as of a date."""

    as_of: str
    nodes: tuple[NodeView, ...]
    edges: tuple[EdgeView, ...]
    cycles: tuple[tuple[str, ...], ...]
    legend: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_graph_view(graph: LoopGraph, statuses: Mapping[str, str] | None = None) -> GraphView:
    """Positions and colours of ``graph``; ``statuses`` maps a node id to its alert status."""
    pos = compute_layout(graph)
    st = dict(statuses or {})
    nodes = []
    for n in graph.nodes:
        x, y = pos.get(n.id, (0.0, 0.0))
        ex = graph.exposure_of(n.id)
        to_loop = ex.to_loop_usd if ex else 0.0
        parts = [n.name]
        if ex is not None:
            parts.append(f"in {format_usd(ex.inbound_usd) or '$0'}, out {format_usd(ex.outbound_usd) or '$0'}")
            parts.append(f"inside the loop {format_usd(ex.to_loop_usd) or '$0'}")
            if ex.market_cap_usd:
                parts.append(f"market value {format_usd(ex.market_cap_usd)}")
            if ex.debt_usd:
                parts.append(f"debt {format_usd(ex.debt_usd)}")
        nodes.append(
            NodeView(
                id=n.id,
                label=n.ticker if n.ticker and "." not in n.ticker else n.name,
                x=x,
                y=y,
                status=st.get(n.id, "none"),
                in_loop=bool(ex and ex.in_loop),
                to_loop_usd=to_loop,
                title="; ".join(parts),
            )
        )
    edges = [
        EdgeView(
            source=e.source,
            target=e.target,
            type=e.type,
            label=" ".join(p for p in (EDGE_LABELS.get(e.type, e.type), format_usd(e.amount_usd)) if p),
            amount_usd=e.amount_usd,
            event_ids=e.event_ids,
            first=e.first.isoformat(),
        )
        for e in graph.edges
    ]
    return GraphView(
        as_of=graph.as_of.isoformat(),
        nodes=tuple(nodes),
        edges=tuple(edges),
        cycles=graph.cycles,
        legend={EDGE_LABELS[k]: v for k, v in EDGE_COLOURS.items()},
    )


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def render_svg(view: GraphView, width: int = 640, height: int = 400) -> str:
    """The graph as an ``<svg>`` element (loop edges solid, others dashed; nodes coloured by status)."""
    pad = 70
    loop_pairs = set()
    for c in view.cycles:
        for i, a in enumerate(c):
            loop_pairs.add((a, c[(i + 1) % len(c)]))

    def px(x: float, y: float) -> tuple[float, float]:
        return pad + (x + 1) / 2 * (width - 2 * pad), pad * 0.6 + (1 - (y + 1) / 2) * (height - 1.2 * pad)

    where = {n.id: px(n.x, n.y) for n in view.nodes}
    out = [
        f'<svg class="loop-graph" data-as-of="{_e(view.as_of)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="circular-financing graph">',
        "<defs>",
    ]
    for t, colour in EDGE_COLOURS.items():
        out.append(
            f'<marker id="arrow-{t}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" '
            'markerUnits="userSpaceOnUse" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    pair_count: dict[frozenset[str], int] = {}
    for e in view.edges:
        if e.source not in where or e.target not in where:
            continue
        (x1, y1), (x2, y2) = where[e.source], where[e.target]
        key = frozenset((e.source, e.target))
        k = pair_count.get(key, 0)
        pair_count[key] = k + 1
        dx, dy = x2 - x1, y2 - y1
        dist = math.hypot(dx, dy) or 1.0
        r = 17.0
        sx, sy = x1 + dx / dist * r, y1 + dy / dist * r
        tx, ty = x2 - dx / dist * r, y2 - dy / dist * r
        # both directions of a pair bend to opposite sides; a second edge the same way bends more
        bend = (22 + 16 * k) * (1 if e.source < e.target else -1)
        mx, my = (sx + tx) / 2 - dy / dist * bend, (sy + ty) / 2 + dx / dist * bend
        colour = EDGE_COLOURS.get(e.type, "#555")
        dash = "" if (e.source, e.target) in loop_pairs else ' stroke-dasharray="5 4"'
        width_px = 1.2 + (min(3.0, math.log10(e.amount_usd / 1e9 + 1)) if e.amount_usd else 0.0)
        title = f"{e.source} → {e.target}: {e.label} ({', '.join(e.event_ids)}, first {e.first})"
        out.append(
            f'<g class="edge" data-source="{_e(e.source)}" data-target="{_e(e.target)}" data-type="{_e(e.type)}">'
            f"<title>{_e(title)}</title>"
            f'<path d="M{sx:.1f},{sy:.1f} Q{mx:.1f},{my:.1f} {tx:.1f},{ty:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="{width_px:.1f}"{dash} marker-end="url(#arrow-{_e(e.type)})"/>'
        )
        if e.amount_usd:
            lx, ly = (sx + 2 * mx + tx) / 4, (sy + 2 * my + ty) / 4
            out.append(
                f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="10" text-anchor="middle" fill="{colour}" '
                f'stroke="#fff" stroke-width="3" paint-order="stroke">{_e(format_usd(e.amount_usd))}</text>'
            )
        out.append("</g>")
    for n in view.nodes:
        x, y = where[n.id]
        fill = STATUS_COLOURS.get(n.status, STATUS_COLOURS["none"])
        stroke = "#111" if n.in_loop else "#bbb"
        out.append(
            f'<g class="node" data-node="{_e(n.id)}" data-status="{_e(n.status)}"><title>{_e(n.title)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="15" fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{y + 29:.1f}" font-size="12" font-weight="600" text-anchor="middle">'
            f"{_e(n.label)}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def render_legend(view: GraphView) -> str:
    """HTML legend of edge types and node colours."""
    items = [f'<span class="lg"><i style="background:{c}"></i>{_e(name)}</span>' for name, c in view.legend.items()]
    items += [
        f'<span class="lg"><i class="dot" style="background:{STATUS_COLOURS[s]}"></i>{s}</span>'
        for s in ("critical", "warning", "info", "ok")
    ]
    items.append(
        f'<span class="lg"><i class="dot" style="background:{STATUS_COLOURS["none"]}"></i>not monitored</span>'
    )
    items.append('<span class="lg">solid = on a cycle, dashed = outside the loop</span>')
    return '<div class="legend">' + "".join(items) + "</div>"


def write_graph(view: GraphView, graph_json: Mapping[str, Any], out_dir: str | Path) -> list[Path]:
    """Write ``graph.svg``, ``graph.html`` (SVG + cycles + legend) and ``graph.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    svg = render_svg(view, 900, 560)
    (out / "graph.svg").write_text(svg, encoding="utf-8")
    cycles = "".join(f"<li>{_e(' → '.join([*c, c[0]]))}</li>" for c in view.cycles) or "<li>none</li>"
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>aimonitor loop graph</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:960px}"
        ".legend{font-size:.8rem}.lg{margin-right:1rem;white-space:nowrap}.lg i{display:inline-block;width:14px;"
        "height:4px;margin-right:4px;vertical-align:middle}.lg i.dot{width:10px;height:10px;border-radius:50%}"
        "</style></head><body>"
        f"<h1>The circular-financing loop as of {_e(view.as_of)}</h1>{svg}{render_legend(view)}"
        f"<h2>Cycles</h2><ul>{cycles}</ul></body></html>"
    )
    (out / "graph.html").write_text(page, encoding="utf-8")
    (out / "graph.json").write_text(json.dumps(dict(graph_json), indent=2), encoding="utf-8")
    return [out / "graph.svg", out / "graph.html", out / "graph.json"]

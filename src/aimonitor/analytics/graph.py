"""The circular-financing loop as a graph: who pays, invests in or lends to whom.

Pure (no I/O): curated events in, a :class:`LoopGraph` out, point in time. The project's
only networkx user.

Nodes are parties: listed companies by ticker (``NVDA``) and private parties by lower-case
name (``openai``). Edges are typed money flows from the party that pays, invests or lends
to the party that receives:

=============================  ===============================================  =================
catalog ``event_type``         edge                                             example
=============================  ===============================================  =================
``equity_investment``          tickers (investors) -> counterparty (investee)   NVDA -> openai
``compute_contract``           counterparty (buyer) -> tickers (seller)         openai -> ORCL
``warrant_equity_for_orders``  tickers (issuer) -> counterparty (holder)        AMD -> openai
``debt_raise``                 named lenders -> tickers (borrowers)             banks -> ORCL
``supply`` / ``other`` with a  counterparty (buyer) -> tickers, or without one   ORCL -> NVDA
description ``Supply: ...``    the first ticker (buyer) -> the other tickers
=============================  ===============================================  =================

Other event types (earnings, stock reactions, valuations, research notes, capex projects)
state no flow between two parties and give no edge; neither does a debt raise without a
named lender (a public bond sale). Where a row has several types, its ``amount_usd`` belongs
to the first listed one (the catalog's convention: ``equity_investment;compute_contract``
100e9 is Nvidia's investment; ``compute_contract;equity_investment`` 250e9 is OpenAI's Azure
commitment). An amount shared by several payers or receivers (a $100B round with three
investors) is not split: those edges carry ``amount_usd = None`` and the whole figure in
``deal_amount_usd``. Edges of the same (source, target, type) from several events are merged:
amounts add up, event ids are listed, ``first`` is the earliest announcement.

Events without an announcement date are background facts with no point in time and are
left out (listed in :attr:`LoopGraph.skipped`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # imported where cycles are listed or a layout drawn: the cycle's exposure weights never need it
    import networkx as nx

__all__ = [
    "EDGE_LABELS",
    "EDGE_TYPES",
    "EventLike",
    "FlowEdge",
    "LoopGraph",
    "NodeExposure",
    "Party",
    "PartyResolver",
    "compute_edges",
    "compute_loop_exposure_panel",
    "compute_loop_graph",
]

EDGE_TYPES = ("equity_investment", "compute_contract", "warrant", "debt_financing", "supply")
#: How an edge type reads in a sentence, a chart label or a legend.
EDGE_LABELS = {
    "equity_investment": "investment",
    "compute_contract": "compute contract",
    "warrant": "warrant",
    "debt_financing": "debt financing",
    "supply": "supply",
}
#: Upper bound on enumerated cycles (a dense imported catalog cannot hang the command).
MAX_CYCLES = 5000

_TYPE_TO_EDGE = {
    "equity_investment": "equity_investment",
    "compute_contract": "compute_contract",
    "warrant_equity_for_orders": "warrant",
    "debt_raise": "debt_financing",
    "supply": "supply",
}
_SUPPLY_PREFIX = re.compile(r"^\s*supply\s*:", re.IGNORECASE)
#: Counterparty words that name lenders in a debt row (banks are also "research" entities).
_LENDER_WORDS = re.compile(
    r"\b(bank|banks|insurers?|private credit|lenders?|jpmorgan|mufg|citi|citigroup|goldman|morgan stanley|"
    r"barclays|hsbc|deutsche|bnp|wells fargo|mizuho|smbc)\b",
    re.IGNORECASE,
)


class EventLike(Protocol):
    """What the graph reads from an event (``aimonitor.events.catalog.EventRecord`` fits)."""

    @property
    def event_id(self) -> str: ...
    @property
    def announce_date(self) -> dt.date | None: ...
    @property
    def tickers(self) -> tuple[str, ...]: ...
    @property
    def counterparty(self) -> str: ...
    @property
    def event_types(self) -> tuple[str, ...]: ...
    @property
    def amount_usd(self) -> float | None: ...
    @property
    def shares(self) -> float | None: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class Party:
    """A resolved counterparty name: its node id, ticker (None when private), display name."""

    id: str
    ticker: str | None
    name: str
    kind: str = "company"  # "company", "lender" or "source" (a research house quoted)


#: The node every named lender of a debt row maps to.
LENDERS = Party("banks", None, "Banks", "lender")


class PartyResolver:
    """Maps counterparty names and tickers to :class:`Party` nodes.

    Parameters
    ----------
    aliases : mapping of str to Party, optional
        Names and aliases (matched case-insensitively) to parties, e.g. built from the entity
        dictionary: ``{"openai": Party("openai", None, "OpenAI"), "coreweave": Party("CRWV",
        "CRWV", "CoreWeave")}``.
    names : mapping of ticker to display name, optional
    """

    def __init__(self, aliases: Mapping[str, Party] | None = None, names: Mapping[str, str] | None = None) -> None:
        self._aliases = {k.strip().lower(): v for k, v in (aliases or {}).items()}
        self._names = dict(names or {})
        for p in self._aliases.values():
            if p.ticker and p.ticker not in self._names:
                self._names[p.ticker] = p.name

    def ticker(self, ticker: str) -> Party:
        t = ticker.strip()
        return Party(t, t, self._names.get(t, t))

    def name(self, raw: str) -> Party:
        """A counterparty as written in the catalog (``"OpenAI"``, ``"Bank of America (research)"``)."""
        text = raw.strip()
        kind = "company"
        if re.search(r"\((research|analyst)\)", text, re.IGNORECASE):
            return Party(text.lower(), None, text, "source")
        base = re.sub(r"\s*\(.*?\)\s*", " ", text).strip()
        hit = self._aliases.get(base.lower())
        if _LENDER_WORDS.search(base):
            kind = "lender"
        if hit is not None:
            if hit.kind == "source" and kind != "lender":
                return Party(hit.id, hit.ticker, hit.name, "source")
            return Party(hit.id, hit.ticker, hit.name, kind if kind == "lender" else hit.kind)
        return Party(base.lower(), None, base, kind)


@dataclass(frozen=True)
class FlowEdge:
    """A typed flow ``source -> target`` (payer/investor/lender to receiver)."""

    source: str
    target: str
    type: str
    amount_usd: float | None
    event_ids: tuple[str, ...]
    first: dt.date
    deal_amount_usd: float | None = None
    shares: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "type": self.type,
            "amount_usd": self.amount_usd,
            "event_ids": list(self.event_ids),
            "first": self.first.isoformat(),
            "deal_amount_usd": self.deal_amount_usd,
            "shares": self.shares,
        }


@dataclass(frozen=True)
class NodeExposure:
    """Money into and out of one node; ``to_loop_usd`` is what flows on edges lying on a cycle."""

    id: str
    inbound_usd: float
    outbound_usd: float
    to_loop_usd: float
    market_cap_usd: float | None
    debt_usd: float | None
    in_loop: bool

    @property
    def loop_share(self) -> float | None:
        """Share of the node's inbound plus outbound flows that stays inside the loop."""
        gross = self.inbound_usd + self.outbound_usd
        return self.to_loop_usd / gross if gross > 0 else None

    def to_json(self) -> dict[str, Any]:
        def ratio(x: float | None) -> float | None:
            return self.to_loop_usd / x if x else None

        return {
            "id": self.id,
            "inbound_usd": self.inbound_usd,
            "outbound_usd": self.outbound_usd,
            "to_loop_usd": self.to_loop_usd,
            "market_cap_usd": self.market_cap_usd,
            "debt_usd": self.debt_usd,
            "in_loop": self.in_loop,
            "loop_share": self.loop_share,
            "to_loop_vs_market_cap": ratio(self.market_cap_usd),
            "to_loop_vs_debt": ratio(self.debt_usd),
        }


@dataclass(frozen=True)
class LoopGraph:
    """The financing graph as of a date (immutable result object)."""

    as_of: dt.date
    nodes: tuple[Party, ...]
    edges: tuple[FlowEdge, ...]
    exposure: tuple[NodeExposure, ...]
    skipped: tuple[str, ...] = field(default=())
    #: Cap on the number of simple cycles listed in :attr:`cycles`.
    max_cycles: int = MAX_CYCLES

    @functools.cached_property
    def cycles(self) -> tuple[tuple[str, ...], ...]:
        """Every simple directed cycle (at most ``max_cycles``), each rotated to start at its
        smallest id, sorted by length then ids. Listed on first use: the exposure (which needs
        only the strongly connected components) never enumerates them."""
        import networkx as nx

        found = itertools.islice(nx.simple_cycles(_digraph(self.edges)), self.max_cycles)
        return tuple(sorted({_canonical(c) for c in found}, key=lambda c: (len(c), c)))

    def node(self, node_id: str) -> Party | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def exposure_of(self, node_id: str) -> NodeExposure | None:
        return next((x for x in self.exposure if x.id == node_id), None)

    def edges_between(self, a: str, b: str) -> list[FlowEdge]:
        """Edges linking ``a`` and ``b`` in either direction."""
        return [e for e in self.edges if {e.source, e.target} == {a, b}]

    def neighbours(self, node_id: str) -> list[str]:
        out = {e.target for e in self.edges if e.source == node_id}
        out |= {e.source for e in self.edges if e.target == node_id}
        out.discard(node_id)
        return sorted(out)

    @property
    def loop_nodes(self) -> list[str]:
        return sorted({n for c in self.cycles for n in c})

    def to_json(self) -> dict[str, Any]:
        """The ``aimonitor graph --json`` document."""
        return {
            "as_of": self.as_of.isoformat(),
            "nodes": [{"id": n.id, "ticker": n.ticker, "name": n.name} for n in self.nodes],
            "edges": [e.to_json() for e in self.edges],
            "cycles": [list(c) for c in self.cycles],
            "exposure": [x.to_json() for x in self.exposure],
            "skipped": list(self.skipped),
        }


# ----------------------------------------------------------------------------- edges


def _edge_types(ev: EventLike) -> list[str]:
    out = []
    for t in ev.event_types:
        if t in _TYPE_TO_EDGE:
            out.append(t)
        elif t == "other" and _SUPPLY_PREFIX.match(ev.description or ""):
            out.append("supply")
    return out


def _parties(ev: EventLike, resolver: PartyResolver) -> tuple[list[Party], list[Party]]:
    tickers = [resolver.ticker(t) for t in ev.tickers if t.strip()]
    cps = [resolver.name(c) for c in re.split(r"[;,]", ev.counterparty or "") if c.strip()]
    return tickers, cps


def _uniq(parties: Iterable[Party]) -> list[Party]:
    seen: dict[str, Party] = {}
    for p in parties:
        seen.setdefault(p.id, p)
    return list(seen.values())


def _flows(ev: EventLike, etype: str, tickers: list[Party], cps: list[Party]) -> list[tuple[Party, Party]]:
    deal = [c for c in cps if c.kind == "company"]
    if etype == "equity_investment":
        # the investee is the private counterparty; listed counterparties named next to it
        # are co-investors (OpenAI's round: "OpenAI; SoftBank")
        private = [c for c in deal if c.ticker is None]
        receivers = _uniq(private or deal)
        co = [c for c in deal if private and c.ticker is not None]
        payers = [t for t in _uniq([*tickers, *co]) if t.id not in {r.id for r in receivers}]
    elif etype == "compute_contract":
        payers = _uniq(deal)
        receivers = [t for t in _uniq(tickers) if t.id not in {p.id for p in payers}]
    elif etype == "warrant_equity_for_orders":
        receivers = _uniq(deal)
        payers = [t for t in _uniq(tickers) if t.id not in {r.id for r in receivers}]
    elif etype == "debt_raise":
        # named banks, insurers and credit funds are one lender node: the loop is the subject
        payers = [LENDERS] if any(c.kind == "lender" for c in cps) else []
        receivers = _uniq(tickers) if tickers else _uniq(deal)
    elif etype == "supply":
        # the buyer pays: the counterparty when there is one, else the first ticker
        if deal:
            payers = _uniq(deal)
            receivers = [t for t in _uniq(tickers) if t.id not in {p.id for p in payers}]
        else:
            parties = _uniq(tickers)
            payers, receivers = parties[:1], parties[1:]
    else:  # pragma: no cover - guarded by _edge_types
        return []
    return [(p, r) for p in payers for r in receivers if p.id != r.id]


def compute_edges(
    events: Iterable[EventLike], as_of: dt.date | None = None, resolver: PartyResolver | None = None
) -> tuple[list[FlowEdge], dict[str, Party], list[str]]:
    """Edges of the events announced on or before ``as_of`` (all dated events when None).

    Returns
    -------
    (edges, parties, skipped)
        Merged edges sorted by (first, source, target, type); the parties they touch by id;
        ids of events left out for having no announcement date.
    """
    resolver = resolver or PartyResolver()
    raw: list[FlowEdge] = []
    parties: dict[str, Party] = {}
    skipped: list[str] = []
    for ev in events:
        kinds = _edge_types(ev)
        if not kinds:
            continue
        if ev.announce_date is None:
            skipped.append(ev.event_id)
            continue
        if as_of is not None and ev.announce_date > as_of:
            continue
        tickers, cps = _parties(ev, resolver)
        for i, k in enumerate(kinds):
            pairs = _flows(ev, k, tickers, cps)
            if not pairs:
                continue
            deal_amount = ev.amount_usd if i == 0 else None
            single = len(pairs) == 1
            for p, r in pairs:
                parties.setdefault(p.id, p)
                parties.setdefault(r.id, r)
                raw.append(
                    FlowEdge(
                        source=p.id,
                        target=r.id,
                        type=_TYPE_TO_EDGE.get(k, k),
                        amount_usd=deal_amount if single else None,
                        event_ids=(ev.event_id,),
                        first=ev.announce_date,
                        deal_amount_usd=deal_amount,
                        shares=ev.shares if k == "warrant_equity_for_orders" else None,
                    )
                )
    merged: dict[tuple[str, str, str], FlowEdge] = {}
    for e in sorted(raw, key=lambda e: (e.first, e.event_ids)):
        key = (e.source, e.target, e.type)
        cur = merged.get(key)
        if cur is None:
            merged[key] = e
            continue
        amt = None if cur.amount_usd is None and e.amount_usd is None else (cur.amount_usd or 0.0) + (e.amount_usd or 0)
        deal = (
            None
            if cur.deal_amount_usd is None and e.deal_amount_usd is None
            else (cur.deal_amount_usd or 0.0) + (e.deal_amount_usd or 0.0)
        )
        shares = None if cur.shares is None and e.shares is None else (cur.shares or 0.0) + (e.shares or 0.0)
        merged[key] = FlowEdge(
            cur.source,
            cur.target,
            cur.type,
            amt,
            tuple(dict.fromkeys((*cur.event_ids, *e.event_ids))),
            min(cur.first, e.first),
            deal,
            shares,
        )
    edges = sorted(merged.values(), key=lambda e: (e.first, e.source, e.target, e.type))
    return edges, parties, sorted(set(skipped))


# ----------------------------------------------------------------------------- graph


def _digraph(edges: Sequence[FlowEdge]) -> nx.DiGraph:
    import networkx as nx

    g = nx.DiGraph()
    for e in edges:
        g.add_edge(e.source, e.target)
    return g


def _canonical(cycle: Sequence[str]) -> tuple[str, ...]:
    """Rotate a cycle to start at its smallest node id (cycles are compared as sets of rotations)."""
    k = min(range(len(cycle)), key=lambda i: cycle[i])
    return tuple(cycle[k:]) + tuple(cycle[:k])


def _cyclic_components(edges: Sequence[FlowEdge]) -> dict[str, int]:
    """Node -> index of its strongly connected component, for components holding a cycle
    (two or more nodes, or one with an edge to itself).

    Tarjan's algorithm, iterative (the monitoring cycle computes the loop exposure without
    importing networkx, ~0.4 s of start-up; tests check it against networkx).
    """
    succ: dict[str, list[str]] = {}
    for e in edges:
        succ.setdefault(e.source, []).append(e.target)
        succ.setdefault(e.target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: dict[str, int] = {}
    found = 0
    for root in succ:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            v, targets = work[-1]
            for w in targets:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ[w])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:  # every successor of v is done
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
                if low[v] == index[v]:  # v roots a component: pop it
                    comp: list[str] = []
                    while not comp or comp[-1] != v:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                    if len(comp) > 1 or v in succ[v]:
                        for w in comp:
                            out[w] = found
                    found += 1
    return out


def _exposure(
    edges: Sequence[FlowEdge],
    nodes: Iterable[str],
    comp: Mapping[str, int],
    market_caps: Mapping[str, float] | None,
    debts: Mapping[str, float] | None,
) -> list[NodeExposure]:
    inbound: dict[str, float] = {}
    outbound: dict[str, float] = {}
    loop: dict[str, float] = {}
    for e in edges:
        a = e.amount_usd or 0.0
        outbound[e.source] = outbound.get(e.source, 0.0) + a
        inbound[e.target] = inbound.get(e.target, 0.0) + a
        # an edge lies on a cycle iff both ends are in the same cyclic strongly connected component
        if e.source in comp and comp.get(e.target) == comp[e.source]:
            loop[e.source] = loop.get(e.source, 0.0) + a
            loop[e.target] = loop.get(e.target, 0.0) + a

    def opt(m: Mapping[str, float] | None, k: str) -> float | None:
        if not m or k not in m:
            return None
        v = m[k]
        return float(v) if v is not None and np.isfinite(v) else None

    return [
        NodeExposure(
            id=n,
            inbound_usd=inbound.get(n, 0.0),
            outbound_usd=outbound.get(n, 0.0),
            to_loop_usd=loop.get(n, 0.0),
            market_cap_usd=opt(market_caps, n),
            debt_usd=opt(debts, n),
            in_loop=n in comp,
        )
        for n in nodes
    ]


def compute_loop_graph(
    events: Iterable[EventLike],
    as_of: dt.date,
    *,
    resolver: PartyResolver | None = None,
    market_caps: Mapping[str, float] | None = None,
    debts: Mapping[str, float] | None = None,
    max_cycles: int = MAX_CYCLES,
) -> LoopGraph:
    """The financing graph of the events announced on or before ``as_of``.

    Parameters
    ----------
    events : iterable of EventLike
        Curated catalog (and imported) events.
    as_of : date
        Point in time: later announcements are ignored.
    resolver : PartyResolver, optional
        Counterparty name -> node (defaults to lower-cased names).
    market_caps, debts : mapping of node id -> USD, optional
        Market value and debt of the listed nodes as of ``as_of`` (from stored prices and
        filings, read by the caller).
    max_cycles : int
        Cap on the number of simple cycles listed.

    Returns
    -------
    LoopGraph
        Nodes (sorted: tickers, then private parties), edges, every simple directed cycle
        (each rotated to start at its smallest id; sorted by length then ids; listed on first
        use of :attr:`LoopGraph.cycles`) and per-node exposure.
    """
    edges, parties, skipped = compute_edges(events, as_of, resolver)
    comp = _cyclic_components(edges)
    ids = sorted(parties, key=lambda i: (parties[i].ticker is None, i))
    nodes = tuple(Party(parties[i].id, parties[i].ticker, parties[i].name) for i in ids)
    return LoopGraph(
        as_of=as_of,
        nodes=nodes,
        edges=tuple(edges),
        exposure=tuple(_exposure(edges, ids, comp, market_caps, debts)),
        skipped=tuple(skipped),
        max_cycles=max_cycles,
    )


def compute_loop_exposure_panel(
    events: Sequence[EventLike],
    sessions: pd.DatetimeIndex,
    symbols: Sequence[str],
    *,
    resolver: PartyResolver | None = None,
) -> pd.DataFrame:
    """``to_loop_usd`` of each symbol on each session, point in time (sessions x symbols).

    The graph changes only on announcement dates, so it is rebuilt once per distinct date
    and carried forward; a session sees only events announced on or before it.
    """
    events = list(events)
    columns = list(symbols)
    values = np.zeros((len(sessions), len(columns)))
    at: dict[str, list[int]] = {}
    for j, c in enumerate(columns):
        at.setdefault(c, []).append(j)
    dates = sorted({e.announce_date for e in events if e.announce_date is not None and _edge_types(e)})
    known = _known_exposures(events, resolver)
    for i, d in enumerate(dates if len(sessions) else ()):
        lo = pd.Timestamp(d)
        hi = pd.Timestamp(dates[i + 1]) if i + 1 < len(dates) else None
        rows = (sessions >= lo) & ((sessions < hi) if hi is not None else True)
        if not np.any(rows):
            continue
        exposure = known.get(d) if known is not None else None
        if exposure is None:
            g = compute_loop_graph(events, d, resolver=resolver)
            exposure = [(x.id, x.to_loop_usd) for x in g.exposure]
            if known is not None:
                known[d] = exposure
        for node, usd in exposure:
            for j in at.get(node, ()):
                values[rows, j] = usd
    # filled as an array and framed once (a .loc assignment per node and date cost more than the graphs)
    return pd.DataFrame(values, index=sessions, columns=columns)


#: Per event list and resolver, each date's ``to_loop_usd`` per node (the graph is a pure
#: function of the events announced by the date and the resolver): a cycle rebuilds the
#: same graphs for every session otherwise. The resolver is held, so its id is not reused.
_EXPOSURES: dict[tuple[tuple[Any, ...], int], tuple[PartyResolver | None, dict[dt.date, list[tuple[str, float]]]]] = {}
_EXPOSURES_MAX = 16


def _known_exposures(
    events: list[EventLike], resolver: PartyResolver | None
) -> dict[dt.date, list[tuple[str, float]]] | None:
    """The remembered exposures of ``events`` under ``resolver`` (None: not remembered, unless
    every event is a frozen dataclass, compared by value)."""
    if not all(dataclasses.is_dataclass(e) and type(e).__dataclass_params__.frozen for e in events):
        return None
    key = (tuple(events), id(resolver))
    try:
        hit = _EXPOSURES.get(key)
    except TypeError:  # an event type that cannot be hashed: computed every time
        return None
    if hit is not None and hit[0] is resolver:
        return hit[1]
    if len(_EXPOSURES) >= _EXPOSURES_MAX:
        _EXPOSURES.clear()
    _EXPOSURES[key] = (resolver, {})
    return _EXPOSURES[key][1]


def compute_layout(graph: LoopGraph) -> dict[str, tuple[float, float]]:
    """Node positions in ``[-1, 1]^2`` for drawing (deterministic shell layout).

    The loop's hub (its node with the most edges) sits in the centre, the other loop nodes
    on an inner ring and the parties outside the loop on the outer ring.
    """
    import networkx as nx

    g = _digraph(graph.edges)
    g.add_nodes_from(n.id for n in graph.nodes)
    if not g.number_of_nodes():
        return {}
    in_loop = set(graph.loop_nodes)
    order = [n.id for n in graph.nodes]
    loop = [n for n in order if n in in_loop]
    rest = [n for n in order if n not in in_loop]
    shells: list[list[str]] = []
    if loop:
        hub = max(loop, key=lambda n: (g.degree(n), n == "openai"))
        shells.append([hub])
        if len(loop) > 1:
            shells.append([n for n in loop if n != hub])
    if rest:
        shells.append(rest)
    if len(shells) == 1 and len(shells[0]) == 1:
        return {shells[0][0]: (0.0, 0.0)}
    radii = [0.0, 0.55, 1.0] if len(shells) == 3 else ([0.0, 1.0] if loop else [1.0])
    pos: dict[str, tuple[float, float]] = {}
    for k, (shell, r) in enumerate(zip(shells, radii)):
        # nx.circular_layout puts a shell's nodes evenly on the unit circle; shift outer rings half a step
        ring = nx.circular_layout(shell, scale=1.0) if len(shell) > 1 else {shell[0]: np.zeros(2)}
        turn = (np.pi / len(shell)) * (k % 2) if len(shell) > 1 else 0.0
        rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        for n in shell:
            x, y = rot @ np.asarray(ring[n], dtype=float) * r
            pos[str(n)] = (float(x), float(y))
    return pos

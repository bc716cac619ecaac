"""Contagion: a critical credit or drawdown alert on one name informs the names linked to it.

Pure (rules level): an :class:`~aimonitor.rules.Evaluation`, the configured rules and the
loop graph in, an evaluation with ``contagion`` info alerts added out. When a name's
credit or drawdown alert is firing at ``critical``, every listed name linked to it in the
graph — directly, or through one unlisted party such as OpenAI — gets an ``info`` alert
that names the edge and the amount at stake, e.g. ``AMD: linked to stressed ORCL through
openai (openai -> AMD compute contract $300B)``. The alert resolves when no linked name is
critical any more. Inhibition and silences apply as to any alert: a name whose own alert
is critical gets no contagion notification (its alert state is still recorded).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from aimonitor.analytics.graph import EDGE_LABELS, FlowEdge, LoopGraph
from aimonitor.rules import (
    NODATA_RULE,
    AlertState,
    Evaluation,
    Rule,
    Silence,
    Transition,
    change_notice,
    fingerprint,
    open_episode,
)

CONTAGION_RULE = "contagion"
#: Signals whose critical alerts spread: credit (proxy, its change and z-score, CDS quotes) and drawdown.
SOURCE_SIGNALS = frozenset({"spread_proxy_bp", "spread_change_20d_bp", "spread_z_1y", "cds_quote_bp", "drawdown_52w"})


@dataclass(frozen=True)
class Link:
    """How ``target`` is linked to a stressed ``source``: the edges on the way (through ``via``,
    an unlisted party, or directly when ``via`` is None)."""

    source: str
    target: str
    via: str | None
    edges: tuple[FlowEdge, ...]


def _edge_text(e: FlowEdge, usd: Callable[[float | None], str]) -> str:
    amount = (usd(e.amount_usd) if e.amount_usd else "") or "amount not stated"
    return f"{e.source} -> {e.target} {EDGE_LABELS.get(e.type, e.type)} {amount}"


def graph_links(graph: LoopGraph, source: str) -> list[Link]:
    """Listed names linked to ``source``: by an edge, or through one unlisted party (OpenAI, xAI...)."""
    listed = {n.id for n in graph.nodes if n.ticker}
    out: dict[str, Link] = {}
    for nb in graph.neighbours(source):
        direct = tuple(graph.edges_between(source, nb))
        if nb in listed:
            out[nb] = Link(source, nb, None, direct)
            continue
        for nb2 in graph.neighbours(nb):
            if nb2 == source or nb2 not in listed or nb2 in out:
                continue
            out[nb2] = Link(source, nb2, nb, direct + tuple(graph.edges_between(nb, nb2)))
    return [out[k] for k in sorted(out)]


def _near_edges(target: str, links: Sequence[Link]) -> list[FlowEdge]:
    """The distinct edges touching ``target`` on its links (what it has riding on them)."""
    out: dict[tuple[str, str, str], FlowEdge] = {}
    for lk in links:
        for e in lk.edges:
            if target in (e.source, e.target):
                out.setdefault((e.source, e.target, e.type), e)
    return list(out.values())


def _summary(target: str, links: Sequence[Link], usd: Callable[[float | None], str]) -> str:
    groups: dict[str | None, list[str]] = {}
    for lk in links:
        groups.setdefault(lk.via, []).append(lk.source)
    who = "; ".join(
        (f"through {via} to stressed " if via else "to stressed ") + ", ".join(sorted(set(srcs)))
        for via, srcs in sorted(groups.items(), key=lambda kv: kv[0] or "")
    )
    stake = ", ".join(_edge_text(e, usd) for e in _near_edges(target, links))
    return f"{target}: linked {who}; at stake: {stake}"


def apply_contagion(
    ev: Evaluation,
    rules: Sequence[Rule],
    graph: LoopGraph,
    *,
    usd: Callable[[float | None], str],
    silences: Sequence[Silence] = (),
    inhibit_lower_severity: bool = True,
) -> Evaluation:
    """``ev`` with the session's ``contagion`` info alerts (new, updated or resolved) added.

    Parameters
    ----------
    ev : Evaluation
        The rules' evaluation of the session (states include the prior ones).
    rules : sequence of Rule
        The configured rules (which signal each alert watches).
    graph : LoopGraph
        The loop graph as of the session.
    usd : callable
        Formats amounts in summaries (``aimonitor.report.formatting.format_usd``: ``$300B``).
    silences, inhibit_lower_severity
        As in :func:`aimonitor.rules.evaluate`.
    """
    day = ev.as_of
    by_name = {r.name: r for r in rules}
    states: dict[str, AlertState] = dict(ev.states)
    stressed = sorted(
        {
            s.symbol
            for s in states.values()
            if s.state == "firing"
            and s.severity == "critical"
            and s.rule in by_name
            and by_name[s.rule].signal in SOURCE_SIGNALS
        }
    )
    wanted: dict[str, list[Link]] = {}
    for src in stressed:
        for lk in graph_links(graph, src):
            if lk.target != src:
                wanted.setdefault(lk.target, []).append(lk)
    critical = {
        s.symbol for s in states.values() if s.state == "firing" and s.severity == "critical" and s.rule != NODATA_RULE
    }
    current = {s.symbol for s in states.values() if s.rule == CONTAGION_RULE and s.state == "firing"}
    transitions = list(ev.transitions)
    for sym in sorted(set(wanted) | current):
        fp = fingerprint(CONTAGION_RULE, sym)
        prior = states.get(fp)
        if prior is not None and prior.last_evaluated is not None and prior.last_evaluated >= day:
            continue
        links = wanted.get(sym, [])
        value = float(sum(e.amount_usd or 0.0 for e in _near_edges(sym, links)))
        muted = _muted(sym, day, silences, inhibit_lower_severity, critical)
        if links and (prior is None or prior.state != "firing"):
            notify, reason = change_notice("firing", muted, False)
            new = open_episode(
                CONTAGION_RULE,
                sym,
                day,
                severity="info",
                value=value,
                threshold=0.0,
                summary=_summary(sym, links, usd),
                last_notified=day if notify else None,
            )
            transitions.append(Transition(fp, "inactive", "firing", day, value, notify, reason, new))
        elif links:
            assert prior is not None
            new = dataclasses.replace(
                prior,
                value=value,
                consecutive=prior.consecutive + 1,
                last_evaluated=day,
                summary=_summary(sym, links, usd),
            )
            if new.last_notified is None and muted is None:  # fired while muted: first notice now
                new = dataclasses.replace(new, last_notified=day)
                transitions.append(Transition(fp, "firing", "firing", day, value, True, "unmuted", new))
        else:
            assert prior is not None
            notify, reason = change_notice("resolved", muted, prior.last_notified is not None)
            new = dataclasses.replace(
                prior,
                state="resolved",
                resolved=day,
                consecutive=0,
                last_evaluated=day,
                last_notified=day if notify else prior.last_notified,
            )
            transitions.append(Transition(fp, "firing", "resolved", day, new.value, notify, reason, new))
        states[fp] = new
    return Evaluation(as_of=day, states=states, transitions=tuple(transitions))


def _muted(symbol: str, day: dt.date, silences: Iterable[Silence], inhibit: bool, critical: set[str]) -> str | None:
    if any(s.matches(CONTAGION_RULE, symbol, day) for s in silences):
        return "silenced"
    if inhibit and symbol in critical:
        return "inhibited"
    return None

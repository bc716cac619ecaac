"""One fact, one mention: repeats within an article are dropped after extraction.

A headline's rounded amount restated precisely in the body, the same fact stated twice (the most
specific date kept), a later restatement naming fewer parties, and a restatement with a clearer
financing cue (which replaces the generic one) are each reported once.
"""

from __future__ import annotations

import re
from dataclasses import replace

from aimonitor.events.mention import Mention
from aimonitor.events.typecues import STRONG_FIN
from aimonitor.events.types import DEAL_TYPES

#: A mention typed by a generic deal word only (its explain names the cue).
_GENERIC_EXPLAIN = re.compile(
    r"from clause cue '(?:deals?|agreements?|contracts?|合同|合约|协议|交易价值|交易金额)'$", re.I
)


def drop_repeats(mentions: list[Mention], n_headline: int) -> list[Mention]:
    """``mentions`` of one article (the first ``n_headline`` from its headline) without repeats."""
    return _dedupe(_drop_rounded_headline(mentions, n_headline))


def _drop_rounded_headline(mentions: list[Mention], n_headline: int) -> list[Mention]:
    """Headlines round ("$14bn deal", body "$14.2 billion"): a headline amount within 5% of a body
    amount of the same type and unit is that fact restated, and the body's precise figure stays."""
    head, body = mentions[:n_headline], mentions[n_headline:]
    keep = []
    for h in head:
        rounded = (
            h.type in DEAL_TYPES
            and h.amount
            and any(
                b.type == h.type
                and b.unit == h.unit
                and b.amount
                and b.amount != h.amount
                and abs(h.amount - b.amount) <= 0.05 * abs(b.amount)
                for b in body
            )
        )
        exact = any(b.amount == h.amount and b.unit == h.unit for b in body)
        if not rounded or exact:
            keep.append(h)
    return keep + body


_DATE_SPECIFICITY = {"day": 5, "month_part": 4, "week": 3, "month": 2, "year": 1, None: 0}


def _dates_compatible(a: Mention, b: Mention) -> bool:
    return a.resolved_date is None or b.resolved_date is None or a.resolved_date == b.resolved_date


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """Drop repeats of one fact within an article.

    One fact = (type, amount, amount_high, unit, parties, resolved date): two financings of the
    same size on different dates are two facts. Of the repeats, the most specific mention is
    kept (a dated one over an undated one, a day over a month), in the place of the first. A
    later restatement of an amount already reported with the same unit whose listed parties are
    a subset of the earlier mention's also goes (articles recap "the $1 trillion" without naming
    the partners again), unless its date differs. Amount-less mentions are kept once per type
    and parties.
    """
    out: list[Mention] = []
    index: dict[tuple, list[int]] = {}
    first: dict[tuple, list[int]] = {}
    for m in mentions:
        base = (m.article, m.type, m.amount, m.amount_high if m.amount is not None else None, m.unit)
        key = base + (frozenset(m.tickers), frozenset(m.entities) if m.amount is None else None)
        hit = next((j for j in index.get(key, []) if _dates_compatible(out[j], m)), None)
        if hit is not None:
            if _DATE_SPECIFICITY.get(m.date_precision, 0) > _DATE_SPECIFICITY.get(out[hit].date_precision, 0):
                out[hit] = m
            continue
        if m.amount is not None and m.type != "stock_reaction":
            akey = (m.article, m.amount, m.unit)
            tick = frozenset(m.tickers)
            same = next(
                (
                    j
                    for j in first.get(akey, [])
                    if tick <= frozenset(out[j].tickers)
                    and (out[j].type == m.type or out[j].type in DEAL_TYPES)
                    and _dates_compatible(out[j], m)
                ),
                None,
            )
            if same is not None:
                kept = out[same]
                if (
                    kept.type != m.type
                    and m.type in STRONG_FIN
                    and _GENERIC_EXPLAIN.search(kept.explain)
                    and m.confidence > kept.confidence + 0.05
                ):
                    # the same amount restated with a clearer financing cue ("Nebius to raise $3bn after
                    # Microsoft deal" / "raise $3 billion through a share sale"): the clearer type wins
                    out[same] = m
                    if m.resolved_date is None:
                        out[same] = replace(
                            out[same],
                            date_phrase=kept.date_phrase,
                            resolved_date=kept.resolved_date,
                            date_precision=kept.date_precision,
                        )
                    continue
                if kept.resolved_date is None and m.resolved_date is not None and kept.type == m.type:
                    # the headline states the deal, the body says when: keep the date
                    out[same] = replace(
                        kept,
                        date_phrase=m.date_phrase,
                        resolved_date=m.resolved_date,
                        date_precision=m.date_precision,
                    )
                continue
            first.setdefault(akey, []).append(len(out))
        index.setdefault(key, []).append(len(out))
        out.append(m)
    return _drop_party_subsets(out)


def _drop_party_subsets(mentions: list[Mention]) -> list[Mention]:
    """One deal stated twice, once with fewer parties (a headline naming one side, the body both):
    the mention whose listed parties are a strict subset of another's with the same type, amount
    and unit goes, whichever came first."""
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(mentions):
        if (m.amount is not None or m.unit is not None) and m.type in DEAL_TYPES:  # amounts, vague amounts
            groups.setdefault((m.article, m.type, m.amount, m.amount_high, m.unit), []).append(i)
    drop: set[int] = set()
    for idx in groups.values():
        for i in idx:
            ti = frozenset(mentions[i].tickers)
            if any(
                ti < frozenset(mentions[k].tickers) and _dates_compatible(mentions[i], mentions[k])
                for k in idx
                if k != i
            ):
                drop.add(i)
    return [m for i, m in enumerate(mentions) if i not in drop]

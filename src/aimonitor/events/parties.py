"""Who a mention is about: the sentence subject, the parties in reach of an amount, section topics.

An amount's parties are the entities of its clause (not across another amount of the same clause,
but including the quantity-free clauses that follow), plus the sentence subject when the clause
has none of its own at its start, plus the previous sentence's subject for a sentence without
entities ("该公司", bullets under one heading), plus, in a compilation, the listed company in a
piece's headline (or named in half of its entity matches) when nothing else is in reach. A
company named only as the maker of goods is a supplier, not a party, once two others are named;
news sources (banks arranging, research houses) are listed but are never the only party.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

from aimonitor.events import cues
from aimonitor.events.articles import Article
from aimonitor.events.entities import EntityDictionary, EntityMatch
from aimonitor.events.precision import is_price
from aimonitor.events.quantities import MONEY, Quantity
from aimonitor.events.sentences import Sentence, strip_glosses
from aimonitor.events.typecues import cue_pattern

_JOINER = re.compile(r"\s*(?:、|和|与|及|以及|联合|携手|,|and|&|together with)\s*")
_SUBJECT_LEAD = re.compile(r"^[\s*（(“\"]*(?:而|但|且|并|同时|其中|此外|另外|则|and|but|while)?[\s*]*")
_PRONOUN = cue_pattern("该公司", "公司", "其", "它", "他们", r"\bthe company\b", r"\bits?\b", r"\bthey\b")
_PRONOUN_IN = re.compile(r"\b(?:it|its|the company|the group)\b|该公司|该集团|这家公司|其", re.I)
#: A sentence about a fund, an index or a crypto token has its own subject: no section topic.

_OWN_SUBJECT = re.compile(
    r"基金|指数|ETF|比特币|以太坊|代币|加密货币"
    r"|\b(?:bitcoin|ether|crypto(?:currenc(?:y|ies))?|tokens?|ETFs?|index|indices)\b"
    r"|\b(?:the|a|this|its)\s+(?:[\w-]+\s+){0,3}funds?\b(?!\s+(?:its|the|their|a|data|new))",
    re.I,
)
#: A sentence opening with a pronoun ("它", "该公司", "the company"): its subject is the running one.
_PRONOUN_LEAD = re.compile(r"^\W*(?:它|该公司|其|公司|the company\b|it\b)", re.I)


def is_source(ents: EntityDictionary, name: str) -> bool:
    """Whether ``name`` is a news source (a bank, a research house, a newspaper)."""
    e = ents.get(name)
    return bool(e and e.is_source)


def names_and_tickers(matches: Iterable[EntityMatch]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names (first mention of each) and tickers (parties only) of ``matches``, in order."""
    names, tickers = [], []
    for m in matches:
        e = m.entity
        if e.name not in names:
            names.append(e.name)
        if e.ticker and not e.is_source and e.ticker not in tickers:
            tickers.append(e.ticker)
    return tuple(names), tuple(tickers)


def _clause_subject(sent: str, ents: Sequence[EntityMatch], clauses: Sequence[tuple[int, int]]) -> list[EntityMatch]:
    """Entities leading a clause (a Chinese subject), the first such clause of the sentence."""
    for a, b in clauses:
        lead = _SUBJECT_LEAD.match(sent[a:b])
        start = a + (lead.end() if lead else 0)
        inside = [e for e in ents if a <= e.start < b]
        if not inside or all(e.entity.is_source for e in inside):
            continue  # "据《金融时报》报道": a quoted source is not the subject
        if inside[0].start <= start + 1:
            # the subject is the run of entities joined by 和/与/、/and
            run = [inside[0]]
            for e in inside[1:]:
                gap = strip_glosses(sent[run[-1].end : e.start]).replace("*", "")
                if e.entity == run[-1].entity or _JOINER.fullmatch(gap):
                    run.append(e)
                else:
                    break
            return run
        return []
    return []


def _deal_parties(sent: str, ents: Sequence[EntityMatch]) -> tuple[list[EntityMatch], set[str]]:
    """Non-source entities of ``sent`` that can be deal parties (first mention of each), and
    the names of those named only as suppliers of goods.

    A company named only as the maker of goods inside the sentence ("Nvidia GB300 chips",
    英伟达芯片) is a supplier, not a party, when at least two other parties are named; it is
    never added to a deal it is not already attached to.
    """
    cand = [e for e in ents if not e.entity.is_source]
    supplier_only = set()
    names = {e.entity.name for e in cand}
    for n in names:
        mentions = [e for e in cand if e.entity.name == n]
        if all(cues.is_supplier_mention(sent, e.end) for e in mentions):
            supplier_only.add(n)
    drop = supplier_only if supplier_only and len(names - supplier_only) >= 2 else set()
    out, seen = [], set()
    for e in cand:
        if e.entity.name not in seen and e.entity.name not in drop:
            seen.add(e.entity.name)
            out.append(e)
    return out, supplier_only


def sentence_subject(
    sent: str,
    ents: Sequence[EntityMatch],
    clauses: Sequence[tuple[int, int]],
    prev_subject: list[EntityMatch],
    since_subject: int,
) -> tuple[list[EntityMatch], list[EntityMatch]]:
    """(subject, carry) of a sentence: the entities leading it (else its first entity), and the
    running subject ``prev_subject`` it inherits when it has a pronoun or follows the subject's
    sentence closely (``since_subject`` sentences ago), unless it is about a fund, index or token.
    A sentence opening with a pronoun takes the running subject as its own."""
    subject = _clause_subject(sent, ents, clauses) or (list(ents[:1]) if ents else [])
    # entity-less sentences right after a subject (bullets, "该公司") inherit it
    carry = prev_subject if (_PRONOUN.search(sent) or since_subject <= 3) and not _OWN_SUBJECT.search(sent) else []
    if carry and _PRONOUN_LEAD.match(sent) and not (ents and ents[0].start <= 1):
        subject = list(carry)
    return subject, carry


def running_subject(subject: list[EntityMatch], ents: Sequence[EntityMatch]) -> list[EntityMatch]:
    """The parties of a sentence's subject (else its first party) that following sentences inherit."""
    lead_ents = [e for e in (subject or ents) if not e.entity.is_source]
    return lead_ents if subject else lead_ents[:1]


class SectionTopics:
    """The default party of each piece of a compilation (the whole text when it has no stamps)."""

    def __init__(self, article: Article, text: str, ents: EntityDictionary) -> None:
        self._bounds = [0] + [st.pos for st in article.stamps] + [len(text)]
        self._topics = [
            _headline_topic(text, a, ents) or _section_topic(ents.find(text[a : _body_end(text, b)]))
            for a, b in zip(self._bounds[:-1], self._bounds[1:])
        ]

    def for_sentence(self, start: int, sent: str) -> EntityMatch | None:
        """The topic of the piece holding the sentence at ``start`` (None for a sentence about a
        fund, an index or a token: it has its own subject)."""
        sec = bisect.bisect_right(self._bounds, start, 0, len(self._bounds) - 1) - 1
        topic = self._topics[sec]
        return topic if topic is not None and not _OWN_SUBJECT.search(sent) else None


def _party_window(s: Sentence, q: Quantity, ca: int, cb: int) -> tuple[int, int]:
    """The span whose entities are the amount's own: from the previous amount of its clause to the
    next one, or through the following quantity-free clauses (up to 40 characters on)."""
    prev_q_end = max([p.end for p in s.amounts if p.end <= q.start and p.start >= ca] or [ca])
    if any(q.end <= p.start < cb for p in s.amounts):
        return prev_q_end, q.end
    # parties named in the following quantity-free clauses belong to this fact
    next_q_start = cb
    for a2, b2 in s.clauses:
        if a2 < cb:
            continue
        if a2 > cb + 40:
            break
        if any(a2 <= p.start < b2 for p in s.amounts):
            break
        next_q_start = b2
    return prev_q_end, next_q_start


def amount_parties(s: Sentence, q: Quantity, ca: int, cb: int, before: str) -> list[EntityMatch]:
    """The entities an amount in clause ``ca:cb`` is about (see the module docstring)."""
    ents, sent = s.ents, s.text
    lo, hi = _party_window(s, q, ca, cb)
    local = [e for e in ents if lo <= e.start < hi]
    if not ents:
        local = list(s.carry)
    else:
        lead = _SUBJECT_LEAD.match(s.masked[ca:cb])
        lead_pos = ca + (lead.end() if lead else 0)
        has_subject = any(e.start <= lead_pos + 1 and ca <= e.start < cb for e in ents) and any(
            e.start < q.start for e in local
        )
        if not has_subject:
            local = [e for e in s.subject if e not in local] + local
        if not local:
            local = list(s.subject or ents)
    if s.carry and not any(not e.entity.is_source for e in local) and _PRONOUN_IN.search(before):
        # "...after it raised $18 billion": the pronoun stands for the running subject
        local = local + list(s.carry)
    if not local and s.topic is not None:
        # no party in reach: fall back to the section's dominant listed company
        local = [s.topic]
    parties_all, suppliers = _deal_parties(sent, ents)
    if parties_all and all(e.entity.is_source for e in local) and q.unit in MONEY:
        # only an arranging bank in reach ("Morgan Stanley arranged $27bn of debt for Meta's SPV"):
        # the deal's parties are the others the sentence names
        local = local + [e for e in parties_all if e.entity.name not in suppliers]
    if len(parties_all) >= 2:
        keep_n = {e.entity.name for e in parties_all}
        local = [e for e in local if e.entity.name in keep_n or e.entity.is_source]
        money = [p for p in s.amounts if p.unit in MONEY and not is_price(sent, p)]  # prices are not deal amounts
        if (q.unit in MONEY and len(money) == 1) or (q in s.stakes and len(money) <= 1):
            # one financing per sentence: every party named in it belongs to that deal
            seen_n = {e.entity.name for e in local}
            local = local + [e for e in parties_all if e.entity.name not in seen_n and e.entity.name not in suppliers]
    return sorted(local, key=lambda e: e.start)


def _headline_topic(text: str, start: int, ents: EntityDictionary) -> EntityMatch | None:
    """The listed company named in the headline just above a compilation stamp at ``start``."""
    if start <= 0:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    prev_end = text.rfind("\n", 0, max(line_start - 1, 0))
    if line_start <= 0:
        return None
    headline = text[prev_end + 1 : line_start - 1]
    for e in ents.find(headline):
        if e.entity.is_listed and not e.entity.is_source:
            return e
    return None


def _body_end(text: str, stamp: int) -> int:
    """End of a compilation piece's body: the start of the next piece's headline line.

    The next piece's headline sits on the line above its stamp, so it must not count
    towards this piece's topic (a crypto piece followed by a "Bloom Energy" headline).
    """
    if stamp >= len(text):
        return len(text)
    line_start = text.rfind("\n", 0, stamp) + 1
    prev = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    return prev if 0 < prev < line_start else line_start


def _section_topic(matches: Sequence[EntityMatch]) -> EntityMatch | None:
    """The listed company named in at least half of a section's entity matches, if any."""
    if not matches:
        return None
    counts: dict[str, int] = {}
    first: dict[str, EntityMatch] = {}
    for m in matches:
        counts[m.entity.name] = counts.get(m.entity.name, 0) + 1
        first.setdefault(m.entity.name, m)
    name, n = max(counts.items(), key=lambda kv: kv[1])
    e = first[name]
    if e.entity.is_listed and not e.entity.is_source and n * 2 >= len(matches):
        return e
    return None

"""Rule-based, explainable extraction of deal mentions from English and Chinese articles.

This module walks an article's sentences and assembles the mentions; each job is a module of its own:
:mod:`~aimonitor.events.normalize` (traditional -> simplified with offsets kept, numerals in words,
byte encodings), :mod:`~aimonitor.events.sentences` (sentence and clause segmentation),
:mod:`~aimonitor.events.quantities` (amounts and their units), :mod:`~aimonitor.events.dates`
(date phrases), :mod:`~aimonitor.events.parties` (subjects, an amount's parties, section topics),
:mod:`~aimonitor.events.typecues` (cue-word typing merged with the financing grammar of
:mod:`~aimonitor.events.cues`), :mod:`~aimonitor.events.precision` (the precision rules),
:mod:`~aimonitor.events.mention` (the output record), :mod:`~aimonitor.events.dedupe` (one
mention per fact), :mod:`~aimonitor.events.scoring` (label scoring), :mod:`~aimonitor.events.llm`
(optional OpenAI-compatible engine). The text is matched in simplified script; quotes, date
phrases and amount texts are sliced from the original.

Pipeline per article:

1. split into sentences (``。！？；!?;``, line breaks, `` - `` bullets, ``[n]`` citation
   marks, and ``. `` in English) and sentences into clauses (commas, colons, and a space
   between two CJK characters, which compilations use as a separator);
2. find quantities (money with its currency as written, GW, shares, basis points,
   percentages; ranges kept as low/high), entities (:mod:`aimonitor.events.entities`)
   and date phrases (resolved against the article's publication date or, inside
   compilations, the latest section stamp);
3. emit one mention per quantity: its entities are those of its clause (plus the
   sentence subject when the clause has none of its own at its start, plus the previous
   sentence's subject for a sentence without entities, e.g. "该公司"); its type comes
   from cue words, clause first, then sentence;
4. a sentence without any quantity but with a strong financing cue (share sale, bond
   issue, funding round) and a party yields one amount-less mention.

Precision rules applied on top (:mod:`~aimonitor.events.precision` lists them in order;
each general, each shown on non-seed sentences in tests/test_extract.py): a contract total
with no named counterparty (这些合同, 超过…的协议, "contracts") is an ``aggregate_commitment``;
a spending total or budget is not a commitment; consensus figures (分析师预期的X, "consensus
of $X") are ``analyst_report``; conditional sentences (如果/若/if), suppositions (假设…, to
the end of the paragraph), worked calculations (``= X``), yardsticks (X的一半) and
requirements (需要X) state no deal; a deal mention with no party at all becomes ``other``; a
continuation sentence (又/另外/another) with a generic cue keeps the previous sentence's
type; a later restatement of an amount with a subset of the parties is dropped; vague
amounts (数百亿美元, "tens of billions of dollars") give amount-less mentions that keep their
unit; a percentage of a company's equity (10%的股份, "a 27% stake") is kept as a stake; in a
compilation the company in a piece's headline is its default party.

Every rule is a general cue-word or number rule; ``explain`` on each mention says
which cue fired.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aimonitor.errors import DataWarning
from aimonitor.events.articles import Article, load_articles
from aimonitor.events.dates import find_dates, pick_date
from aimonitor.events.dedupe import drop_repeats
from aimonitor.events.entities import EntityDictionary, EntityMatch, load_entities
from aimonitor.events.mention import ExtractionResult, Mention, amountless_mention, confidence, date_fields
from aimonitor.events.normalize import to_simplified
from aimonitor.events.parties import (
    SectionTopics,
    amount_parties,
    is_source,
    names_and_tickers,
    running_subject,
    sentence_subject,
)
from aimonitor.events.precision import not_a_deal_size, refine_type, stake_percentages
from aimonitor.events.quantities import Quantity, find_quantities, find_vague_quantities, has_vague_quantity
from aimonitor.events.scoring import compute_extraction_quality, load_labels  # re-exported: the old API
from aimonitor.events.sentences import GLOSS, Amount, Sentence, mask_glosses, split_clauses, split_sentences
from aimonitor.events.typecues import ANALYST_VERBS, Typing, classify, cue_pattern, cue_type, matched_text
from aimonitor.events.types import DEAL_TYPES

__all__ = [
    "ExtractionResult",
    "Mention",
    "article_from_text",
    "compute_extraction_quality",
    "extract_mentions",
    "extract_paths",
    "find_dates",
    "find_quantities",
    "load_labels",
]

log = logging.getLogger(__name__)

#: Hypothetical or interrogative sentences state no fact.
_HYPOTHETICAL = re.compile(r"^\W*(?:假设|假如|假定|比如说|suppose|assuming|imagine)", re.I)
_QUESTION = re.compile(r"[？?]\s*$")
#: Conditional sentences ("如果谈判破裂，…可能…") state no fact.
_CONDITIONAL = re.compile(
    r"^\W*(?:如果|假如|倘若|若|要是|万一|if|should|were)\b|^\W*(?:如果|假如|倘若|若|要是|万一)", re.I
)
#: An action word: a financing cue without an amount is a fact only when something is being done.
_ACTION = cue_pattern(
    "宣布", "正准备", "准备", "计划", "拟", "洽谈", "正在", r"announc", r"plans? to", r"in talks", r"is raising"
)
#: "投资了CoreWeave", "invested in Anthropic": an investment without an amount.
_INVESTED_IN = re.compile(r"(?:投资了|入股了?|注资了?|invested in|took a stake in|has a stake in)\s*\**\s*$", re.I)
#: Cues strong enough to make a mention from a sentence without any quantity.
_AMOUNTLESS = ("equity_raise", "debt_raise")


def extract_mentions(article: Article, entities: EntityDictionary | None = None) -> list[Mention]:
    """All deal, financing, credit and market mentions of one article.

    Parameters
    ----------
    article : Article
        A loaded article (:func:`aimonitor.events.articles.load_article`).
    entities : EntityDictionary, optional
        The entity dictionary (default: the packaged one).

    Returns
    -------
    list of Mention
        One per quantity (money, GW, shares, bp; a percentage only when it is the
        sentence's sole quantity), plus amount-less mentions for strong financing cues.
    """
    return _ArticleReader(article, entities or load_entities()).mentions()


class _ArticleReader:
    """One walk over an article's sentences, carrying the context a sentence inherits: the running
    subject, the previous sentence's deal types, a supposition's paragraph, the compilation piece."""

    def __init__(self, article: Article, ents: EntityDictionary) -> None:
        self.article = article
        self.ents = ents
        # traditional -> simplified, same length: spans found in ``text`` slice ``original`` verbatim
        self.text = to_simplified(article.text)
        self.topics = SectionTopics(article, self.text, ents)
        self.stamp_pos = [st.pos for st in article.stamps]
        nl = self.text.find("\n")
        self.headline_end = nl if nl >= 0 else 0  # a one-line text has no headline of its own
        self.first_line_end = nl if nl >= 0 else len(self.text)
        self.prev_subject: list[EntityMatch] = []
        self.since_subject = 0

    def mentions(self) -> list[Mention]:
        text = self.text
        out: list[Mention] = []
        last_end = 0
        hypo_until = -1
        prev_types: list[str] = []
        n_headline: int | None = None
        for s0, s1 in split_sentences(text):
            if n_headline is None and s0 >= self.headline_end:
                n_headline = len(out)
            k = bisect.bisect_left(self.stamp_pos, last_end)
            if k < len(self.stamp_pos) and self.stamp_pos[k] < s1:
                self.prev_subject = []  # a new piece of a compilation starts: forget the context
                prev_types = []
            last_end = s1
            self.since_subject += 1
            sent = text[s0:s1]
            if _HYPOTHETICAL.search(sent):
                # a supposition runs to the end of its paragraph ("假设…。…总成本为100万美元。")
                nl = text.find("\n", s1)
                hypo_until = len(text) if nl < 0 else nl
                prev_types = []
                continue
            if s0 < hypo_until or _QUESTION.search(sent) or _CONDITIONAL.search(sent):
                prev_types = []
                continue
            s = self._read(s0, s1)
            if s is None:
                prev_types = []  # nothing to report and no subject to carry: skip the rest (speed)
                continue
            found, prev_types = _amount_mentions(self.article.path, s, self.ents, prev_types)
            out += found
            if not s.quants and not s.amounts and s.ents:
                out += _amountless_mentions(self.article.path, s)
            lead = running_subject(s.subject, s.ents)
            if lead:
                self.since_subject = 0
            if s.ents:  # a sentence naming nobody keeps the running subject (bullets under one heading)
                self.prev_subject = lead
        return drop_repeats(out, n_headline if n_headline is not None else 0)

    def _read(self, s0: int, s1: int) -> Sentence | None:
        """The sentence at ``s0:s1`` with its entities, amounts, dates, clauses and subject; None
        when it names nobody and holds no amount."""
        sent = self.text[s0:s1]
        glosses = [(g.start(), g.end()) for g in GLOSS.finditer(sent)]
        # glosses are masked (same length) so their colons and commas do not cut clauses
        masked = mask_glosses(sent)
        ents = [e for e in self.ents.find(sent) if not any(a < e.start < b for a, b in glosses)]
        quants = find_quantities(sent)
        if not ents and not quants and not has_vague_quantity(masked):
            return None
        ref = self.article.reference_date(s0)
        # a date phrase must not sit inside a quantity
        dates = [d for d in find_dates(sent, ref) if not any(q.start <= d.start < q.end for q in quants)]
        clauses = split_clauses(masked)
        subject, carry = sentence_subject(sent, ents, clauses, self.prev_subject, self.since_subject)
        sent_type, sent_cue = classify(masked)
        vague = find_vague_quantities(masked, quants)
        non_pct = [q for q in quants if q.unit != "pct"]
        stakes = stake_percentages(sent, quants)
        return Sentence(
            start=s0,
            text=sent,
            masked=masked,
            quote=self.article.text[s0:s1],
            ents=ents,
            quants=quants,
            amounts=sorted(non_pct + stakes + vague, key=lambda q: q.start) if non_pct or vague else quants,
            stakes=stakes,
            dates=dates,
            clauses=clauses,
            subject=subject,
            carry=carry,
            topic=self.topics.for_sentence(s0, sent),
            in_headline=s0 < self.first_line_end,
            type=sent_type,
            cue=sent_cue,
            research_subject=bool(ents and ents[0].entity.is_source and ANALYST_VERBS.search(sent)),
        )


def _amount_mentions(
    path: str, s: Sentence, ents: EntityDictionary, prev_types: list[str]
) -> tuple[list[Mention], list[str]]:
    """One mention per amount of ``s`` that states a fact, and the deal types among them."""
    out: list[Mention] = []
    cur_types: list[str] = []
    seen: set[tuple] = set()
    for q in s.amounts:
        typed = _typed_amount(s, q, ents, prev_types, cur_types)
        if typed is None:
            continue
        a, (typ, cue, level) = typed
        typ = typ or "other"
        key = (a.q.amount, a.q.low, a.q.high, a.q.unit, a.tickers)
        if key in seen:
            continue  # the sentence restates the same amount ("这意味着...")
        seen.add(key)
        if typ in DEAL_TYPES:
            cur_types.append(typ)
        out.append(_mention(path, s, a, typ, cue, level))
    return out, cur_types


def _typed_amount(
    s: Sentence, q: Quantity, ents: EntityDictionary, prev_types: list[str], cur_types: list[str]
) -> tuple[Amount, Typing] | None:
    """The amount ``q`` with its clause and parties, and its type; None when it states no deal."""
    ca, cb = next(((a, b) for a, b in s.clauses if a <= q.start < b), (0, len(s.text)))
    before = s.text[ca : q.start]
    if not_a_deal_size(s.text, q, before):
        return None
    names, tickers = names_and_tickers(amount_parties(s, q, ca, cb, before))
    a = Amount(
        q=q,
        ca=ca,
        cb=cb,
        clause=s.masked[ca:cb],
        before=before,
        after=s.text[q.end :],
        names=names,
        tickers=tickers,
        parties=[n for n in names if not is_source(ents, n)],
        clause_parties={e.entity.name for e in s.ents if ca <= e.start < cb and not e.entity.is_source},
    )
    # the deal type: from the clause first, then from the sentence; then the precision rules
    return refine_type(s, a, cue_type(s, a), ents, prev_types, cur_types)


def _mention(path: str, s: Sentence, a: Amount, typ: str, cue: str | None, level: str) -> Mention:
    """The mention of amount ``a``, typed ``typ`` by ``cue`` found at ``level``, dated by its clause."""
    q, quote = a.q, s.quote
    dp = pick_date(s.dates, a.ca, a.cb)
    return Mention(
        article=path,
        entities=a.names,
        tickers=a.tickers,
        type=typ,
        amount=q.amount if q.amount is not None else q.low,
        unit=q.unit,
        quote=quote,
        amount_low=q.low,
        amount_high=q.high,
        amount_text=quote[q.start : q.end],
        explain=f"amount {q.text!r}; type {typ} from {level} cue {cue!r}" if cue else f"amount {q.text!r}; no type cue",
        confidence=confidence(
            level if cue else "none", bool(a.clause_parties), bool(a.names), dp.precision if dp else None
        ),
        **date_fields(quote, dp),
    )


def _amountless_mentions(path: str, s: Sentence) -> list[Mention]:
    """A sentence without any amount: an investment between two named parties ("投资了CoreWeave"),
    or a strong financing cue with an action word ("plans to sell shares")."""
    out: list[Mention] = []
    ents, masked = s.ents, s.masked
    typ, cue = classify(masked)
    inv = next((e for e in ents if not e.entity.is_source and _INVESTED_IN.search(masked[: e.start])), None)
    if inv is not None and typ not in _AMOUNTLESS:
        # "英伟达还投资了CoreWeave": an investment between two named parties, no amount
        typ, cue = "equity_investment", matched_text(_INVESTED_IN, masked[: inv.start]).strip()
        names, tickers = names_and_tickers([e for e in (s.subject or ents[:1]) if e.entity != inv.entity] + [inv])
        if len(names) >= 2:
            dp = pick_date(s.dates, 0, len(s.text))
            out.append(
                amountless_mention(path, s.quote, names, tickers, typ, dp, f"no amount; type {typ} from cue {cue!r}")
            )
    if typ in _AMOUNTLESS and any(not e.entity.is_source for e in ents) and _ACTION.search(masked):
        names, tickers = names_and_tickers(s.subject or ents)
        dp = pick_date(s.dates, 0, len(s.text))
        out.append(
            amountless_mention(
                path, s.quote, names, tickers, typ, dp, f"no amount; type {typ} from sentence cue {cue!r}"
            )
        )
    return out


def extract_paths(
    paths: Iterable[str | Path],
    entities: EntityDictionary | None = None,
    max_bytes: int | None = None,
    llm: Any = None,
    environ: Mapping[str, str] | None = None,
) -> ExtractionResult:
    """Load articles and extract their mentions; unreadable files become ``failures``.

    ``llm`` (an ``[extract]`` config section with ``base_url``, ``model``, ``api_key_env`` and
    ``timeout``) sends each article to an OpenAI-compatible endpoint
    (:mod:`aimonitor.events.llm`); when that fails for an article, a :class:`DataWarning` says
    so and the rules extract it instead.
    """
    kw = {} if max_bytes is None else {"max_bytes": max_bytes}
    articles, failures = load_articles(paths, **kw)
    ents = entities or load_entities()
    mentions: list[Mention] = []
    for a in articles:
        if llm is not None:
            from aimonitor.events.llm import LLMFailure

            try:
                mentions.extend(_llm_mentions(a, llm, environ))
                continue
            except LLMFailure as exc:
                log.warning("%s: LLM engine failed (%s); used the rules instead", a.path, exc)
                warnings.warn(f"{a.path}: LLM engine failed ({exc}); used the rules instead", DataWarning, stacklevel=2)
        mentions.extend(extract_mentions(a, ents))
    log.info("extracted %d mentions from %d articles (%d skipped)", len(mentions), len(articles), len(failures))
    return ExtractionResult(tuple(articles), tuple(mentions), tuple(failures))


def _llm_mentions(article: Article, llm: Any, environ: Mapping[str, str] | None) -> list[Mention]:
    from aimonitor.events.llm import LLMFailure, fetch_mentions

    if not llm.base_url or not llm.model:
        raise LLMFailure('[extract] base_url and model must be set for engine = "openai"')
    got = fetch_mentions(
        article.text,
        base_url=llm.base_url,
        model=llm.model,
        api_key_env=llm.api_key_env,
        timeout=llm.timeout,
        published=article.published,
        environ=environ,
    )
    return [
        Mention(
            article=article.path,
            entities=tuple(m.entities),
            tickers=tuple(m.tickers),
            type=m.type,
            amount=m.amount,
            unit=m.unit,
            date_phrase=m.date_phrase,
            resolved_date=m.resolved_date,
            quote=m.quote,
            amount_low=m.amount,
            amount_high=m.amount_high if m.amount_high is not None else m.amount,
            amount_text=None,
            explain="llm engine",
            confidence=m.confidence,
        )
        for m in got
    ]


def article_from_text(text: str, path: str = "<text>", published: dt.date | None = None) -> Article:
    """An :class:`Article` from text already in memory (a passage, an LLM fallback, a test)."""
    from aimonitor.events.articles import detect_lang, find_publication_date, find_stamps

    return Article(
        path=path,
        text=text,
        lang=detect_lang(text),
        published=published if published is not None else find_publication_date(text),
        stamps=find_stamps(text),
    )

"""What the extractor emits: one :class:`Mention` per fact, and its review-ordering confidence."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from aimonitor.events.articles import Article, ArticleFailure
from aimonitor.events.dates import DatePhrase


@dataclass(frozen=True)
class Mention:
    """One fact pulled out of an article sentence."""

    article: str
    entities: tuple[str, ...]
    tickers: tuple[str, ...]
    type: str
    amount: float | None
    unit: str | None
    date_phrase: str | None
    resolved_date: dt.date | None
    quote: str
    amount_low: float | None = None
    amount_high: float | None = None
    amount_text: str | None = None
    date_precision: str | None = None
    explain: str = ""
    confidence: float = 0.5

    def to_json(self) -> dict:
        return {
            "article": self.article,
            "entities": list(self.entities),
            "tickers": list(self.tickers),
            "type": self.type,
            "amount": self.amount,
            "unit": self.unit,
            "date_phrase": self.date_phrase,
            "resolved_date": self.resolved_date.isoformat() if self.resolved_date else None,
            "quote": self.quote,
            "amount_low": self.amount_low,
            # the upper end of a stated range only (CONTRACT.md); null for a single amount
            "amount_high": self.amount_high
            if self.amount_high is not None and self.amount_high != self.amount
            else None,
            "amount_text": self.amount_text,
            "date_precision": self.date_precision,
            "explain": self.explain,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class ExtractionResult:
    """Articles read, mentions found and files skipped."""

    articles: tuple[Article, ...]
    mentions: tuple[Mention, ...]
    failures: tuple[ArticleFailure, ...] = field(default=())

    def to_json(self) -> dict:
        return {
            "articles": [
                {"path": a.path, "published": a.published.isoformat() if a.published else None, "lang": a.lang}
                for a in self.articles
            ],
            "mentions": [m.to_json() for m in self.mentions],
            "failures": [f.to_json() for f in self.failures],
        }


def confidence(level: str, party_in_clause: bool, any_party: bool, date_precision: str | None) -> float:
    """A review-ordering score in [0, 1]: cue strength x party certainty, nudged by date certainty.

    Cue strength: the financing grammar in the amount's clause 0.9, another clause cue 0.8, a
    cue found in the sentence 0.65, a rule that re-typed the amount (continuation, stake, unit)
    0.6, no cue 0.3. Parties: named in the amount's clause x1, only elsewhere in the sentence or
    carried from context x0.8, none x0.5. A resolved day adds 0.05, no date phrase takes 0.05.
    """
    if level == "none":
        cue = 0.3
    elif level.startswith("clause (financing"):
        cue = 0.9
    elif level.startswith("clause"):
        cue = 0.8
    elif level.startswith("sentence"):
        cue = 0.65
    else:
        cue = 0.6
    party = 1.0 if party_in_clause else (0.8 if any_party else 0.5)
    date = {"day": 0.05, None: -0.05}.get(date_precision, 0.0)
    return round(min(1.0, max(0.0, cue * party + date)), 3)


def date_fields(quote: str, dp: DatePhrase | None) -> dict[str, Any]:
    """A mention's ``date_phrase`` (sliced from ``quote``), ``resolved_date`` and ``date_precision``."""
    return {
        "date_phrase": quote[dp.start : dp.end] if dp else None,
        "resolved_date": dp.date if dp else None,
        "date_precision": dp.precision if dp else None,
    }


def amountless_mention(
    path: str,
    quote: str,
    names: tuple[str, ...],
    tickers: tuple[str, ...],
    typ: str,
    dp: DatePhrase | None,
    explain: str,
) -> Mention:
    """A mention with parties and a type but no amount (lower confidence than one with an amount)."""
    return Mention(
        article=path,
        entities=names,
        tickers=tickers,
        type=typ,
        amount=None,
        unit=None,
        quote=quote,
        explain=explain,
        **date_fields(quote, dp),
        confidence=confidence("sentence", True, True, dp.precision if dp else None) * 0.8,
    )

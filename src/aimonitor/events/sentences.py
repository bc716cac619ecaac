"""Sentence and clause segmentation of an article's (simplified) text.

Sentences end at ``。！？；!?;``, line breaks, `` - `` bullets, ``[n]`` citation marks and ``. ``
in English; clauses at commas, colons, and a space between two CJK characters (compilations
use it as a separator). Parenthetical glosses are masked (same length) so their punctuation
cuts nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aimonitor.events.dates import DatePhrase
    from aimonitor.events.entities import EntityMatch
    from aimonitor.events.quantities import Quantity

_SENT_END = re.compile(
    r"(?:[。！？!?；;]+[”’\"』」)]*|\n+|\s+-\s+|(?:\s*\[\d+\])+\s*|(?<=[A-Za-z0-9%)][A-Za-z0-9%)])\.(?=\s+[A-Z\"“]))"
)
#: A space between two CJK characters: compilations and headlines use it to separate statements.
SEGMENT_GAP = re.compile(r"(?<=[\u4e00-\u9fff）)”*])\s+(?=[\u4e00-\u9fff（(“*])")
_CLAUSE_END = re.compile(r"[，,：:]|" + SEGMENT_GAP.pattern)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences; quotes are ``text[start:end]`` verbatim."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END.finditer(text):
        end = m.start() if m.group(0).strip() in ("", "-") or m.group(0).lstrip().startswith("[") else m.end()
        if m.group(0).startswith("\n") or m.group(0).strip() == "-":
            end = m.start()
        _add_span(text, pos, end, spans)
        pos = m.end()
    _add_span(text, pos, len(text), spans)
    return spans


def _add_span(text: str, a: int, b: int, spans: list) -> None:
    while a < b and text[a] in " \t\u3000-*#>":
        a += 1
    while b > a and text[b - 1] in " \t\u3000":
        b -= 1
    if b - a >= 2:
        spans.append((a, b))


def split_clauses(sent: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _CLAUSE_END.finditer(sent):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(sent)))
    return [(a, b) for a, b in spans if b > a]


GLOSS = re.compile(r"（[^）]*）|\([^)]*\)")


def mask_glosses(sent: str) -> str:
    """``sent`` with each parenthetical gloss replaced by underscores of the same length."""
    return GLOSS.sub(lambda g: "_" * len(g.group(0)), sent)


def strip_glosses(text: str) -> str:
    """``text`` without its parenthetical glosses."""
    return GLOSS.sub("", text)


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article and what was found in it (offsets relative to the sentence).

    ``amounts`` are the quantities that become mentions (every non-percentage quantity, stakes
    and vague amounts; all quantities when the sentence holds percentages only); ``subject`` is
    the run of entities leading its first clause with an entity (or the running subject a
    pronoun stands for); ``carry`` the previous sentences' subject it may inherit; ``topic`` the
    listed company of its compilation piece; ``quote`` its text in the article's own script;
    ``type``/``cue`` the sentence's keyword type.
    """

    start: int
    text: str
    masked: str
    quote: str
    ents: list[EntityMatch]
    quants: list[Quantity]
    amounts: list[Quantity]
    stakes: list[Quantity]
    dates: list[DatePhrase]
    clauses: list[tuple[int, int]]
    subject: list[EntityMatch]
    carry: list[EntityMatch]
    topic: EntityMatch | None
    in_headline: bool
    type: str | None
    cue: str | None
    research_subject: bool


@dataclass(frozen=True)
class Amount:
    """One amount of a sentence with its clause (``ca:cb``) and the parties it was given.

    ``before`` is the clause's text up to the amount, ``after`` the sentence after it; ``names``
    and ``tickers`` the parties listed on the mention, ``parties`` those names that are not
    news sources, ``clause_parties`` the non-source entities named in the amount's clause.
    """

    q: Quantity
    ca: int
    cb: int
    clause: str
    before: str
    after: str
    names: tuple[str, ...]
    tickers: tuple[str, ...]
    parties: list[str]
    clause_parties: set[str]

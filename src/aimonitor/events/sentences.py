"""Sentence and clause segmentation of an article's (simplified) text.

Sentences end at ``。！？；!?;``, line breaks, `` - `` bullets, ``[n]`` citation marks and ``. ``
in English; clauses at commas, colons, and a space between two CJK characters (compilations
use it as a separator). Parenthetical glosses are masked (same length) so their punctuation
cuts nothing.
"""

from __future__ import annotations

import re

_SENT_END = re.compile(
    r"(?:[。！？!?；;]+[”’\"』」)]*|\n+|\s+-\s+|(?:\s*\[\d+\])+\s*|(?<=[A-Za-z0-9%)][A-Za-z0-9%)])\.(?=\s+[A-Z\"“]))"
)
_CLAUSE_END = re.compile(r"[，,：:]|(?<=[\u4e00-\u9fff）)”*])\s+(?=[\u4e00-\u9fff（(“*])")


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

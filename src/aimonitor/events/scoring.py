"""Label scoring for the article extractor (used by the tests and ``bench/extraction_quality.py``).

Two label formats are read:

- the seed labels (``tests/fixtures/events/seed_labels.csv``: ``article,type,amount,unit,tickers,note``);
- the development / held-out passages (``tests/fixtures/events/devset``: ``passages.jsonl`` plus
  ``labels.csv`` with ``amount_high``, ``headline`` and ``date`` columns).

A mention matches a label of the same article when type, unit and ticker set are equal, the amounts
agree within 1e-6 relative (both blank for vague amounts and old-style blank ranges) and, where the
label gives ``amount_high``, the upper ends agree too. Recall counts headline labels only; a mention
matching a secondary (``headline = 0``) label is not a false positive.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aimonitor.errors import DataError
from aimonitor.events.types import DEAL_TYPES


class _MentionLike(Protocol):
    article: str
    type: str
    amount: float | None
    amount_high: float | None
    unit: str | None
    tickers: tuple[str, ...]


@dataclass(frozen=True)
class LabelledFact:
    """A hand-labelled fact: article key (``"000"``, ``"en01"``), type, amount, unit, tickers."""

    article: str
    type: str
    amount: float | None
    unit: str | None
    tickers: frozenset[str]
    note: str = ""
    amount_high: float | None = None
    headline: bool = True
    date: dt.date | None = None


@dataclass(frozen=True)
class Passage:
    """One development / held-out passage."""

    id: str
    split: str
    lang: str
    published: dt.date | None
    text: str


def _num(s: str | None, where: str) -> float | None:
    s = (s or "").strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        raise DataError(f"{where}: {s!r} is not a number") from None


def load_labels(path: str | Path) -> list[LabelledFact]:
    """Read a labels CSV (article or passage, type, amount, [amount_high,] unit, tickers, ...)."""
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            where = f"{path}:{i}"
            key = (row.get("article") or row.get("passage") or "").strip()
            date_s = (row.get("date") or "").strip()
            out.append(
                LabelledFact(
                    key,
                    row["type"].strip(),
                    _num(row.get("amount"), where),
                    (row.get("unit") or "").strip() or None,
                    frozenset(t.strip() for t in (row.get("tickers") or "").split(";") if t.strip()),
                    row.get("note") or "",
                    _num(row.get("amount_high"), where),
                    (row.get("headline") or "1").strip() != "0",
                    dt.date.fromisoformat(date_s) if date_s else None,
                )
            )
    return out


def load_passages(path: str | Path) -> list[Passage]:
    """Read ``passages.jsonl`` (one JSON object per line: id, split, lang, published, text)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                pub = dt.date.fromisoformat(r["published"]) if r.get("published") else None
                out.append(Passage(r["id"], r["split"], r["lang"], pub, r["text"]))
            except (ValueError, KeyError) as exc:
                raise DataError(f"{path}:{i}: bad passage line ({exc})") from None
    return out


def article_key(path: str) -> str:
    """``seeds/000_xxx.txt`` -> ``000``; a passage id stays itself."""
    return Path(path).name.split("_")[0].split(".")[0]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(b), 1.0)


def same_fact(m: _MentionLike, f: LabelledFact) -> bool:
    """True when mention ``m`` states labelled fact ``f`` (see the module docstring)."""
    if article_key(m.article) != f.article or m.type != f.type or m.unit != f.unit:
        return False
    if set(m.tickers) != f.tickers:
        return False
    if f.amount is None or m.amount is None:
        return f.amount is None and m.amount is None
    if not _close(m.amount, f.amount):
        return False
    if f.amount_high is not None:
        return m.amount_high is not None and _close(m.amount_high, f.amount_high)
    return True


def compute_extraction_quality(
    mentions: Sequence[Any], labels: Sequence[LabelledFact], types: Iterable[str] | None = None
) -> dict:
    """Precision and recall of ``mentions`` against hand ``labels``.

    Several mentions of one fact are all correct (an article may repeat a fact); a headline label is
    found when at least one mention matches it. Only mentions and labels whose type is in ``types``
    (default :data:`DEAL_TYPES`) count.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``tp``, ``n_pred``, ``n_labels``, ``found`` and ``per_type``
        ({type: {precision, recall, n_pred, n_labels}}), plus ``false_positives`` and ``missed``.
    """
    keep = set(types) if types is not None else set(DEAL_TYPES)
    preds = [m for m in mentions if m.type in keep]
    all_labs = [f for f in labels if f.type in keep]
    labs = [f for f in all_labs if f.headline]
    ok = [any(same_fact(m, f) for f in all_labs) for m in preds]
    found = [any(same_fact(m, f) for m in preds) for f in labs]
    per_type = {}
    for t in sorted(keep):
        pt = [o for m, o in zip(preds, ok) if m.type == t]
        lt = [o for f, o in zip(labs, found) if f.type == t]
        if pt or lt:
            per_type[t] = {
                "precision": sum(pt) / len(pt) if pt else None,
                "recall": sum(lt) / len(lt) if lt else None,
                "n_pred": len(pt),
                "n_labels": len(lt),
            }
    return {
        "precision": sum(ok) / len(preds) if preds else 0.0,
        "recall": sum(found) / len(labs) if labs else 0.0,
        "tp": sum(ok),
        "n_pred": len(preds),
        "n_labels": len(labs),
        "found": sum(found),
        "per_type": per_type,
        "false_positives": [m for m, o in zip(preds, ok) if not o],
        "missed": [f for f, o in zip(labs, found) if not o],
    }

"""Quantities in a sentence: money with its currency as written, GW, shares, basis points, percentages.

Chinese multipliers (亿 = 1e8, 万亿 = 1e12, ...), English multipliers and abbreviations (bn, tn),
numbers written in words (:mod:`aimonitor.events.normalize`), ranges kept as low/high
("between $114bn and $118bn" is one range), and vague amounts written in words (数百亿美元,
"tens of billions of dollars") whose amount is unknown but whose unit is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aimonitor.events.normalize import EN_NUMBER_WORDS_RE, ZH_NUMERAL_RE, parse_en_number, parse_zh_number
from aimonitor.events.types import UNITS

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_ZH_MULT = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3}
_ZH_MULT_RE = "万亿|千亿|百亿|亿|千万|百万|万|千"
_ZH_CUR = {
    "美元": "USD",
    "美金": "USD",
    "日元": "JPY",
    "日圆": "JPY",
    "港元": "HKD",
    "港币": "HKD",
    "人民币": "CNY",
    "元人民币": "CNY",
    "欧元": "EUR",
    "英镑": "GBP",
}
_ZH_CUR_RE = "元人民币|人民币|美元|美金|日元|日圆|港元|港币|欧元|英镑|美分"
_EN_MULT = {
    "trillion": 1e12,
    "tn": 1e12,
    "t": 1e12,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "million": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "thousand": 1e3,
    "k": 1e3,
}
_EN_MULT_RE = r"trillion|billion|million|thousand|tn|bn|mn|mln|[tbmk]"
_EN_SYM = {
    "$": "USD",
    "US$": "USD",
    "USD": "USD",
    "HK$": "HKD",
    "HKD": "HKD",
    "¥": "JPY",
    "JPY": "JPY",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
}
_EN_WORD_CUR = {
    "dollars": "USD",
    "dollar": "USD",
    "usd": "USD",
    "yen": "JPY",
    "hkd": "HKD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
}

#: The currencies a money amount is kept in (others are matched but give no mention).
MONEY = ("USD", "JPY", "HKD")

_SEP = r"\s*(?:-|–|—|~|～|至|到|to)\s*"

_QUANTITY_RES: list[tuple[str, re.Pattern[str]]] = [
    # Chinese money, optionally a range: 1750-1850亿美元, 1000亿至5000亿美元, 280 亿美元
    (
        "zh_money",
        re.compile(
            rf"(?P<a>{_NUM})\s*(?:(?P<am>{_ZH_MULT_RE})\s*)?(?:(?:{_SEP})(?P<b>{_NUM})\s*)?"
            rf"(?P<mult>{_ZH_MULT_RE})?\s*(?P<cur>{_ZH_CUR_RE})"
        ),
    ),
    # English money with a symbol: $300 billion, US$1.4tn, HK$2bn, $63,000
    (
        "en_money_sym",
        re.compile(
            rf"(?P<cur>US\$|HK\$|\$|¥|€|£|USD\s?|HKD\s?|JPY\s?|EUR\s?|GBP\s?)(?P<a>{_NUM})"
            rf"(?:\s*(?P<am>{_EN_MULT_RE})(?![A-Za-z]))?"
            rf"(?:{_SEP}(?:US\$|HK\$|\$|¥|€|£)?(?P<b>{_NUM}))?"
            rf"(?:\s*(?P<mult>{_EN_MULT_RE})(?![A-Za-z]))?",
            re.I,
        ),
    ),
    # English money with a trailing currency word or a bn/tn abbreviation: 300bn, 5 billion yen
    (
        "en_money_word",
        re.compile(
            rf"(?<![\w$.])(?P<a>{_NUM})(?:{_SEP}(?P<b>{_NUM}))?\s*(?P<mult>trillion|billion|million|tn|bn)"
            rf"(?:\s+(?P<cur>dollars|dollar|usd|yen|hkd|euros|euro|pounds))?(?![A-Za-z])",
            re.I,
        ),
    ),
    # capacity: 6G瓦, 10 GW, 1-2GW, 5 gigawatts, 300 MW
    (
        "power",
        re.compile(
            rf"(?P<a>{_NUM})(?:{_SEP}(?P<b>{_NUM}))?\s*(?P<u>G瓦|GW|吉瓦|千兆瓦|gigawatts?|MW|兆瓦|megawatts?)(?![A-Za-z])",
            re.I,
        ),
    ),
    # shares: 1.6亿股, 413万股, 160 million shares
    ("zh_shares", re.compile(rf"(?P<a>{_NUM})\s*(?P<mult>{_ZH_MULT_RE})?\s*股(?![价票市东份指权息])")),
    (
        "en_shares",
        re.compile(
            rf"(?P<a>{_NUM})\s*(?P<mult>billion|million|thousand|mn|m|bn)?\s+(?:[A-Z][A-Za-z]{{1,10}}\s+)?(?:common\s+)?shares\b",
            re.I,
        ),
    ),
    # number words: "six gigawatts", "two billion dollars", 一百八十亿美元, 十吉瓦
    (
        "en_words",
        re.compile(
            rf"(?<![\w-])(?P<w>{EN_NUMBER_WORDS_RE})[\s-]+(?:(?P<mult>trillion|billion|million)[\s-]+"
            rf"(?P<cur>dollars|dollar|usd|yen)|(?P<u>gigawatts?|megawatts?))(?![A-Za-z])",
            re.I,
        ),
    ),
    (
        "zh_words",
        re.compile(
            rf"(?<![数几上近多余\d])(?P<w>{ZH_NUMERAL_RE})(?:(?P<mult>万亿|亿|万)(?P<cur>美元|日元|港元)|(?P<u>吉瓦|千兆瓦|G瓦))(?!级|以上)"
        ),
    ),
    # basis points: 60个基点, 60 bp, 60 basis points
    ("bp", re.compile(rf"(?P<a>{_NUM})\s*(?:个)?(?:基点|bps?\b|basis\s+points?)", re.I)),
    # percentages and percentage points
    (
        "pct",
        re.compile(
            rf"(?P<a>{_NUM})(?:\s*(?:{_SEP})\s*(?P<b>{_NUM}))?\s*(?:%|％|个百分点|\s?percent(?:age points?)?\b)", re.I
        ),
    ),
]


@dataclass(frozen=True)
class Quantity:
    """A number found in a sentence: ``amount`` in ``unit`` (None for a range)."""

    start: int
    end: int
    text: str
    amount: float | None
    unit: str | None
    low: float | None = None
    high: float | None = None


def _f(s: str) -> float:
    return float(s.replace(",", ""))


def _word_quantity(kind: str, m: re.Match[str]) -> Quantity | None:
    """A quantity whose number is written in words (English number words, Chinese numerals)."""
    g = m.groupdict()
    n = parse_en_number(g["w"]) if kind == "en_words" else parse_zh_number(g["w"])
    if n is None or n <= 0:
        return None
    if g.get("u"):
        u = g["u"].lower()
        v = n * (1e-3 if u.startswith("megawatt") else 1.0)
        return Quantity(m.start(), m.end(), m.group(0), v, "GW", v, v)
    mult = g["mult"].lower()
    scale = _EN_MULT.get(mult) or _ZH_MULT.get(mult, 1.0)
    cur = g["cur"].lower()
    unit = {"dollars": "USD", "dollar": "USD", "usd": "USD", "yen": "JPY", "美元": "USD", "日元": "JPY", "港元": "HKD"}[
        cur
    ]
    v = n * scale
    return Quantity(m.start(), m.end(), m.group(0), v, unit, v, v)


def find_quantities(text: str) -> list[Quantity]:
    """Amounts with units in ``text`` (non-overlapping, in text order).

    Chinese multipliers: 亿 = 1e8, 万亿 = 1e12, 万 = 1e4 (also 千/百万/千万/百亿/千亿).
    Currencies are kept as written (美元 USD, 日元 JPY, 港元 HKD; 美分 is USD/100);
    an amount without a currency is not money. Vague numbers written in words
    (``十几瓦``, ``数百亿``) have no digits and yield nothing. A range gives ``low`` and
    ``high`` and ``amount = None``.
    """
    taken: list[tuple[int, int]] = []
    out: list[Quantity] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for kind, rx in _QUANTITY_RES:
        for m in rx.finditer(text):
            if not free(m.start(), m.end()):
                continue
            g = m.groupdict()
            if kind in ("en_words", "zh_words"):
                wq = _word_quantity(kind, m)
                if wq is not None:
                    taken.append((m.start(), m.end()))
                    out.append(wq)
                continue
            scales = _unit_and_scales(kind, g)
            if scales is None:
                continue  # "300 billion tokens" is not money
            taken.append((m.start(), m.end()))
            if scales[0] in UNITS:
                # currencies we do not convert (CNY, EUR) stay taken spans, so they are not
                # mistaken for something else, but they produce no mention
                out.append(_digit_quantity(m, *scales))
    out.sort(key=lambda q: q.start)
    return _merge_between(text, out)


def _unit_and_scales(kind: str, g: dict[str, Any]) -> tuple[str, float, float] | None:
    """(unit, scale of the amount or of a range's high end, scale of a range's low end) of a
    quantity written in digits; None for a bare "billion" that is not money."""
    b = g.get("b")
    scale = 1.0
    scale_a = None
    if kind == "zh_money":
        cur = g["cur"]
        mult = _ZH_MULT.get(g.get("mult") or "", 1.0)
        scale_a = _ZH_MULT[g["am"]] if g.get("am") else mult
        if cur == "美分":
            unit, mult, scale_a = "USD", mult * 0.01, scale_a * 0.01
        else:
            unit = _ZH_CUR[cur]
        scale = mult if b else scale_a  # 1000亿至5000亿美元: each end its own multiplier
    elif kind == "en_money_sym":
        unit = _EN_SYM[g["cur"].strip()]
        mult_s = (g.get("mult") or g.get("am") or "").lower()
        scale = _EN_MULT.get(mult_s, 1.0)
        scale_a = _EN_MULT.get((g.get("am") or "").lower(), scale)
        if not b and g.get("am"):
            scale = scale_a
    elif kind == "en_money_word":
        cur = (g.get("cur") or "").lower()
        mult_s = g["mult"].lower()
        if not cur and mult_s in ("billion", "million", "trillion"):
            return None
        unit = _EN_WORD_CUR.get(cur, "USD")
        scale = _EN_MULT[mult_s]
    elif kind == "power":
        u = g["u"].lower()
        unit = "GW"
        scale = 1e-3 if u in ("mw", "兆瓦") or u.startswith("megawatt") else 1.0
    elif kind in ("zh_shares", "en_shares"):
        unit = "shares"
        ms = g.get("mult") or ""
        scale = _ZH_MULT.get(ms) or _EN_MULT.get(ms.lower(), 1.0)
    elif kind == "bp":
        unit = "bp"
    else:
        unit = "pct"
    return unit, scale, scale if scale_a is None else scale_a


def _digit_quantity(m: re.Match[str], unit: str, scale: float, scale_a: float) -> Quantity:
    """The quantity of match ``m`` (groups ``a`` and, for a range, ``b``) in ``unit``."""
    a, b = m.group("a"), m.groupdict().get("b")
    if b:
        low, high = _f(a) * scale_a, _f(b) * scale
        return Quantity(m.start(), m.end(), m.group(0), None, unit, min(low, high), max(low, high))
    v = _f(a) * scale
    return Quantity(m.start(), m.end(), m.group(0), v, unit, v, v)


_BETWEEN = re.compile(r"\bbetween\s+(?:about\s+|roughly\s+)?$|介于\s*$|在\s*$", re.I)
_AND = re.compile(r"^\s*(?:and|&|与|和)\s*$", re.I)


def _merge_between(text: str, qs: list[Quantity]) -> list[Quantity]:
    """ "between $114bn and $118bn" (介于…和…之间) is one range, not two amounts."""
    out: list[Quantity] = []
    i = 0
    while i < len(qs):
        q = qs[i]
        if (
            i + 1 < len(qs)
            and qs[i + 1].unit == q.unit
            and q.amount is not None
            and qs[i + 1].amount is not None
            and _AND.match(text[q.end : qs[i + 1].start])
            and _BETWEEN.search(text[max(0, q.start - 20) : q.start])
        ):
            r = qs[i + 1]
            lo, hi = sorted((q.amount, r.amount))  # type: ignore[type-var]
            out.append(Quantity(q.start, r.end, text[q.start : r.end], None, q.unit, lo, hi))
            i += 2
            continue
        out.append(q)
        i += 1
    return out


#: Vague amounts written in words: amount unknown, unit known (数百亿美元 -> USD, 十几G瓦 -> GW).
_VAGUE_QTY = re.compile(
    r"(?P<zh>(?:(?:数|几|上|近)[十百千]*|[十百千](?:几|多|余))(?:万亿|亿|万)\s*(?P<zcur>美元|日元|港元)(?!级))"
    r"|(?P<en>(?:tens|hundreds) of billions of (?P<ecur>dollars|yen)|(?:tens|hundreds) of billions)"
    r"|(?P<pw>[十几数]+(?:G|吉|千兆)?瓦|several gigawatts)",
    re.I,
)
_VAGUE_UNIT = {"美元": "USD", "日元": "JPY", "港元": "HKD", "dollars": "USD", "yen": "JPY"}


def find_vague_quantities(masked: str, quants: list[Quantity]) -> list[Quantity]:
    """Vague amounts of ``masked`` (amount None, unit known) not overlapping one of ``quants``."""
    return [
        Quantity(
            v.start(),
            v.end(),
            v.group(0),
            None,
            "GW"
            if v.group("pw")
            else _VAGUE_UNIT.get(
                (v.group("zcur") or v.group("ecur") or "dollars").lower(),
                _VAGUE_UNIT.get(v.group("zcur") or "", "USD"),
            ),
        )
        for v in _VAGUE_QTY.finditer(masked)
        if not any(q.start < v.end() and v.start() < q.end for q in quants)
    ]


def has_vague_quantity(masked: str) -> bool:
    """Whether ``masked`` holds a vague amount written in words."""
    return _VAGUE_QTY.search(masked) is not None

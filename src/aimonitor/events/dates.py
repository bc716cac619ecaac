"""Date phrases in a sentence, resolved against a reference date (publication or section stamp)."""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_ZH_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_EN_WEEKDAY = {d.lower(): i for i, d in enumerate(_cal.day_name)}
_MONTH_NAMES = {m.lower(): i for i, m in enumerate(_cal.month_name) if m}
_MONTH_NAMES.update({m.lower(): i for i, m in enumerate(_cal.month_abbr) if m})
_MONTH_NAMES["sept"] = 9
_EN_MON = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)

_DATE_RES: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(?<!\d)(?P<y>20\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)")),
    ("zh_ymd", re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]")),
    ("zh_ym", re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?:份)?(?P<part>初|上旬|中旬|下旬|中|底|末)?")),
    ("zh_md", re.compile(r"(?<![\d年])(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]")),
    ("zh_m", re.compile(r"(?<![\d年])(?P<m>\d{1,2})月(?:份)?(?P<part>初|上旬|中旬|下旬|中|底|末)?(?![\d薪])")),
    ("en_mdy", re.compile(_EN_MON + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,\s*(?P<y>20\d{2}))?\b")),
    ("zh_rel", re.compile(r"(?P<rel>上周|上星期|本周|这周|昨天|昨日|今天|今日|前天)")),
    ("zh_wd", re.compile(r"(?P<rel>上)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])")),
    ("en_rel", re.compile(r"\b(?P<rel>last week|this week|yesterday|today)\b", re.I)),
    ("en_wd", re.compile(r"\b(?:(?P<rel>last)\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")),
    ("year", re.compile(r"(?P<y>(?:19|20)\d{2})年(?!\d)")),
]


@dataclass(frozen=True)
class DatePhrase:
    start: int
    end: int
    text: str
    date: dt.date | None
    precision: str | None  # day | month_part | month | week | year


def _safe(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _month_part(y: int, m: int, part: str | None) -> tuple[dt.date | None, str]:
    if not 1 <= m <= 12:
        return None, "month"
    if part in ("初", "上旬"):
        return _safe(y, m, 1), "month_part"
    if part in ("中", "中旬"):
        return _safe(y, m, 11), "month_part"
    if part in ("下旬", "底", "末"):
        return _safe(y, m, 21), "month_part"
    return _safe(y, m, 1), "month"


def _infer_year(m: int, d: int, ref: dt.date) -> int:
    """Year of a month-day phrase: the latest occurrence not far after the reference date."""
    cand = _safe(ref.year, m, min(d, 28))
    if cand and cand > ref + dt.timedelta(days=31):
        return ref.year - 1
    return ref.year


def find_dates(text: str, ref: dt.date | None) -> list[DatePhrase]:
    """Date phrases in ``text`` resolved against ``ref`` (None leaves relative phrases unresolved).

    ``11月29日`` takes the reference year (the previous year when that would be more than
    a month in the future); ``9月初`` resolves to the 1st, ``中`` to the 11th and
    ``底``/``下旬`` to the 21st (precision ``month_part``); ``上周`` to the Monday of the
    previous week; ``周四`` to the latest Thursday on or before ``ref``. A bare year is
    reported as a phrase without a resolved date.
    """
    out: list[DatePhrase] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _DATE_RES:
        for m in rx.finditer(text):
            if any(not (m.end() <= s or m.start() >= e) for s, e in taken):
                continue
            resolved = _resolve(kind, m.groupdict(), ref)
            if resolved is None:
                continue
            date, prec = resolved
            taken.append((m.start(), m.end()))
            out.append(DatePhrase(m.start(), m.end(), m.group(0), date, prec))
    out.sort(key=lambda p: p.start)
    return out


def _resolve(kind: str, g: dict[str, Any], ref: dt.date | None) -> tuple[dt.date | None, str | None] | None:
    """(date, precision) of a date phrase of ``kind`` with groups ``g`` (None: not a date)."""
    date: dt.date | None = None
    prec: str | None = None
    if kind in ("iso", "zh_ymd"):
        date, prec = _safe(int(g["y"]), int(g["m"]), int(g["d"])), "day"
    elif kind == "zh_ym":
        date, prec = _month_part(int(g["y"]), int(g["m"]), g.get("part"))
    elif kind == "zh_md":
        mo, d = int(g["m"]), int(g["d"])
        prec = "day"
        if ref is not None and 1 <= mo <= 12:
            date = _safe(_infer_year(mo, d, ref), mo, d)
    elif kind == "zh_m":
        mo = int(g["m"])
        if not 1 <= mo <= 12:
            return None
        if ref is not None:
            date, prec = _month_part(_infer_year(mo, 1, ref), mo, g.get("part"))
        else:
            prec = "month"
    elif kind == "en_mdy":
        mo = _MONTH_NAMES.get(g["mon"].lower().rstrip(".")) or _MONTH_NAMES.get(g["mon"].lower()[:3]) or 0
        d = int(g["d"])
        prec = "day"
        if mo and g.get("y"):
            date = _safe(int(g["y"]), mo, d)
        elif mo and ref is not None:
            date = _safe(_infer_year(mo, d, ref), mo, d)
    elif kind in ("zh_rel", "en_rel"):
        rel = g["rel"].lower()
        if ref is not None:
            if rel in ("上周", "上星期", "last week"):
                date, prec = ref - dt.timedelta(days=ref.weekday() + 7), "week"
            elif rel in ("本周", "这周", "this week"):
                date, prec = ref - dt.timedelta(days=ref.weekday()), "week"
            elif rel in ("昨天", "昨日", "yesterday"):
                date, prec = ref - dt.timedelta(days=1), "day"
            elif rel in ("前天",):
                date, prec = ref - dt.timedelta(days=2), "day"
            else:
                date, prec = ref, "day"
    elif kind in ("zh_wd", "en_wd"):
        wd_s = g["wd"]
        wd = _ZH_WEEKDAY.get(wd_s, _EN_WEEKDAY.get(wd_s.lower()))
        if wd is None:
            return None
        prec = "day"
        if ref is not None:
            back = (ref.weekday() - wd) % 7
            if g.get("rel"):
                back += 7 if back else 7
            date = ref - dt.timedelta(days=back)
    elif kind == "year":
        prec = "year"
    return date, prec


def pick_date(dates: Sequence[DatePhrase], a: int, b: int) -> DatePhrase | None:
    """The date phrase for the span ``a:b``: one inside it, else any of the sentence; a day or
    month over a bare year."""
    inside = [d for d in dates if a <= d.start < b]
    pool = inside or list(dates)
    # prefer a phrase that resolves to a day/month over a bare year
    for d in pool:
        if d.precision != "year":
            return d
    return pool[0] if pool else None

"""Text normalisation before matching: script, numerals, number words and byte encodings.

Everything here keeps offsets: :func:`to_simplified` returns a string of the same length as its
input (so a sentence span found in the simplified text slices the *original* text and ``quote``
stays verbatim in the article's own script). Numerals written in words are not rewritten in the
text; :func:`parse_zh_number` and :func:`parse_en_number` read them where the quantity finder meets
them.

Libraries (each imported here only): OpenCC (``opencc-python-reimplemented``) for traditional ->
simplified Chinese, ``cn2an`` for Chinese numerals, ``word2number`` for English number words,
``charset-normalizer`` for GBK / Big5 / UTF-16 detection.
"""

from __future__ import annotations

import codecs
import functools
import re

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@functools.lru_cache(maxsize=1)
def _t2s():  # noqa: ANN202 - OpenCC has no type stubs
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def _convert_run(run: str) -> str:
    conv = _t2s().convert(run)
    if len(conv) == len(run):
        return conv
    # a phrase conversion changed the length: fall back to character by character
    out = []
    for ch in run:
        c = _t2s().convert(ch)
        out.append(c if len(c) == 1 else ch)
    return "".join(out)


def to_simplified(text: str) -> str:
    """Traditional Chinese converted to simplified, same length as ``text`` (offsets preserved).

    Only runs of CJK characters go through OpenCC, so English text costs nothing.
    """
    return _CJK_RUN.sub(lambda m: _convert_run(m.group(0)), text)


# --------------------------------------------------------------------------- numerals

ZH_DIGITS = "零〇一二两三四五六七八九十百千"
#: A Chinese numeral (digits in characters), e.g. 一百八十, 两千, 十二.
ZH_NUMERAL_RE = rf"[{ZH_DIGITS}]{{1,12}}"


def parse_zh_number(s: str) -> float | None:
    """Value of a Chinese numeral (``一百八十`` -> 180, ``两千`` -> 2000), None when unreadable."""
    import cn2an

    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


_EN_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred"
).split()
#: English number words, e.g. "six", "twenty-five", "one hundred and fifty".
EN_NUMBER_WORDS_RE = r"(?:" + "|".join(_EN_WORDS) + r")(?:[\s-]+(?:and[\s-]+)?(?:" + "|".join(_EN_WORDS) + r"))*"


def parse_en_number(s: str) -> float | None:
    """Value of English number words (``seven`` -> 7, ``twenty-five`` -> 25), None when unreadable."""
    from word2number import w2n

    try:
        return float(w2n.word_to_num(s.replace("-", " ")))
    except (ValueError, IndexError):
        return None


# --------------------------------------------------------------------------- bytes


def decode_text(data: bytes) -> tuple[str, str] | None:
    """Decode article bytes: (text, encoding) or None when no text encoding fits.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read directly; otherwise
    charset-normalizer decides among the legacy encodings (GBK/GB18030, Big5, ...).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "cp1252", "shift_jis"]).best()
    if best is None:
        return None
    enc = best.encoding
    if enc in ("gbk", "gb2312"):
        enc = "gb18030"
    try:
        return data.decode(enc), enc
    except (UnicodeDecodeError, LookupError):
        return None

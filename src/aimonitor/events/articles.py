"""Article loading: size guard, decoding, HTML stripping, language and publication date.

Bad input never stops a batch: :func:`load_articles` returns the articles it could read
and a list of :class:`ArticleFailure` (path + one-line reason) for the others.
"""

from __future__ import annotations

import bisect
import codecs
import datetime as dt
import html
import logging
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from aimonitor.errors import DataError, DataWarning
from aimonitor.events.normalize import decode_text

log = logging.getLogger(__name__)

#: Articles larger than this are refused without being read (bytes).
MAX_ARTICLE_BYTES = 5 * 1024 * 1024

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_HTML_HINT = re.compile(r"<\s*(!doctype\s+html|html|body|head|p|div|br|span|article)\b", re.I)

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MON_ABBR = {k[:3]: v for k, v in _MONTHS.items()}
_MON_ABBR["sept"] = 9

#: Date stamps recognised in headers and as section stamps inside compilations.
_STAMP_RES = [
    re.compile(r"(?<!\d)(20\d{2})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?(?!\d)"),
    re.compile(r"(?<!\d)(20\d{2})/(\d{1,2})/(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(20\d{2})年(\d{1,2})月(\d{1,2})日"),
]
_FRONT_DATE = re.compile(r"^(?:date|published|pubdate|publish_date)\s*:\s*['\"]?(\d{4}-\d{2}-\d{2})", re.I | re.M)
_HEADER_LABEL = re.compile(
    r"(?:发布时间|发布日期|发表时间|时间|日期|Published(?: on)?|Posted(?: on)?|Date)\s*[:：]?\s*(.{0,40})", re.I
)
_EN_LONG = re.compile(
    r"\b(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s+(\d{1,2}),\s*(20\d{2})\b"
)


@dataclass(frozen=True)
class Stamp:
    """A date stamp found in the text at ``pos`` (a compilation's section date)."""

    pos: int
    date: dt.date


@dataclass(frozen=True)
class Article:
    """A decoded article: text, language, publication date and section stamps."""

    path: str
    text: str
    lang: str
    published: dt.date | None
    stamps: tuple[Stamp, ...] = field(default=())

    def reference_date(self, pos: int) -> dt.date | None:
        """Date that relative phrases at character ``pos`` are resolved against.

        The latest section stamp before ``pos`` (compilations carry one per piece),
        else the publication date.
        """
        i = bisect.bisect_right([s.pos for s in self.stamps], pos) if self.stamps else 0
        return self.stamps[i - 1].date if i else self.published


@dataclass(frozen=True)
class ArticleFailure:
    """A file that was skipped, with a one-line reason."""

    path: str
    reason: str

    def to_json(self) -> dict:
        return {"path": self.path, "reason": self.reason}


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "noscript", "head"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "article", "section", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def strip_html(text: str) -> str:
    """Visible text of an HTML page, one block element per line."""
    p = _TextExtractor()
    p.feed(text)
    p.close()
    out = html.unescape("".join(p.parts))
    return "\n".join(line.strip() for line in out.splitlines() if line.strip())


def detect_lang(text: str) -> str:
    """``"zh"`` when CJK characters make up a noticeable share of the letters, else ``"en"``."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk and cjk >= 0.1 * (cjk + latin) else "en"


def _valid(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _parse_stamp_text(s: str) -> dt.date | None:
    for rx in _STAMP_RES:
        m = rx.search(s)
        if m:
            return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _EN_LONG.search(s)
    if m:
        mon = _MON_ABBR.get(m.group(1).lower()[:4].rstrip(".")) or _MON_ABBR.get(m.group(1).lower()[:3])
        return _valid(int(m.group(3)), mon, int(m.group(2))) if mon else None
    return None


def find_publication_date(text: str) -> dt.date | None:
    """The publication date from front matter or the header (first 15 lines).

    Looks, in order, for a YAML front-matter ``date:``, a labelled header date
    (``发布时间:``, ``Published:``), then the first full date stamp in the header.
    Returns None when the header carries no date (relative phrases then stay unresolved).
    """
    head = text[:3000]
    if head.lstrip().startswith("---"):
        end = head.find("\n---", 3)
        fm = head[: end if end > 0 else len(head)]
        m = _FRONT_DATE.search(fm)
        if m:
            return _valid(*map(int, m.group(1).split("-")))
    header = "\n".join(text.splitlines()[:15])
    for m in _HEADER_LABEL.finditer(header):
        d = _parse_stamp_text(m.group(1))
        if d:
            return d
    return _parse_stamp_text(header)


def find_stamps(text: str) -> tuple[Stamp, ...]:
    """Full date stamps (``2025-11-21 00:25``, ``2025年11月21日``) anywhere in the text."""
    found: list[Stamp] = []
    for rx in _STAMP_RES:
        for m in rx.finditer(text):
            d = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if d:
                found.append(Stamp(m.start(), d))
    return tuple(sorted(found, key=lambda s: s.pos))


def decode_article(data: bytes, path: str) -> str:
    """Decode article bytes (UTF-8, UTF-16 with BOM, GBK/GB18030, Big5 detected).

    Raises :class:`DataError` for empty or binary files and for bytes no text encoding fits.
    """
    if not data.strip():
        raise DataError(f"{path}: empty file; nothing to extract")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and b"\x00" in data[:8192]:
        raise DataError(f"{path}: binary file (NUL bytes); expected a text article")
    got = decode_text(data)
    if got is None:
        raise DataError(
            f"{path}: not a text encoding we can read (tried UTF-8, UTF-16, GB18030, Big5); "
            "convert it, e.g. iconv -f GB18030 -t UTF-8"
        )
    text, enc = got
    if enc != "utf-8":
        log.info("%s: decoded as %s", path, enc)
    if not text.strip():
        raise DataError(f"{path}: empty file; nothing to extract")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_article(path: str | Path, max_bytes: int = MAX_ARTICLE_BYTES) -> Article:
    """Read one article file.

    Refuses files above ``max_bytes`` without reading them, rejects binary and
    non-UTF-8 files and empty files with :class:`DataError`, strips HTML tags (with a
    :class:`DataWarning`), and finds the language and publication date.
    """
    p = Path(path)
    name = str(path)
    try:
        size = os.stat(p).st_size
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read ({exc.strerror})") from None
    if p.is_dir():
        raise DataError(f"{name}: is a directory; pass article files")
    if size > max_bytes:
        raise DataError(
            f"{name}: {size / 1e6:.1f} MB is above the {max_bytes / 1e6:.1f} MB article limit; "
            "split the file or pass a larger max_bytes"
        )
    with open(p, "rb") as fh:
        data = fh.read(max_bytes + 1)
    text = decode_article(data, name)
    if _HTML_HINT.search(text[:5000]):
        warnings.warn(f"{name}: HTML page; tags stripped, extracting from the visible text", DataWarning, stacklevel=2)
        text = strip_html(text)
        if not text.strip():
            raise DataError(f"{name}: HTML page without visible text")
    return Article(
        path=name, text=text, lang=detect_lang(text), published=find_publication_date(text), stamps=find_stamps(text)
    )


def load_articles(
    paths: Iterable[str | Path], max_bytes: int = MAX_ARTICLE_BYTES
) -> tuple[list[Article], list[ArticleFailure]]:
    """Load many articles; a bad file becomes an :class:`ArticleFailure`, the rest go on."""
    ok: list[Article] = []
    bad: list[ArticleFailure] = []
    for path in paths:
        try:
            ok.append(load_article(path, max_bytes=max_bytes))
        except DataError as exc:
            log.info("%s", exc)  # reported to the user by the caller (failures)
            bad.append(ArticleFailure(str(path), str(exc)))
    return ok, bad

"""Entity dictionary: canonical parties, their tickers and their aliases (zh + en).

The dictionary lives in TOML (``config/entities.toml``; the packaged copy
``aimonitor/data/entities.toml`` is the default) so users extend it without code::

    [[entity]]
    name = "Oracle"
    ticker = "ORCL"
    aliases = ["甲骨文", "Oracle", "OCI"]

Validation errors name the file and the key path, e.g.
``config/entities.toml: entity[3].aliases[0]: expected a non-empty string, got 5``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aimonitor.errors import ConfigError

log = logging.getLogger(__name__)

KINDS = ("company", "research", "fund")
_ALLOWED_KEYS = {"name", "ticker", "private", "kind", "aliases"}
_TICKER_RE = re.compile(r"^[A-Z0-9^][A-Z0-9.\-=^]{0,14}$")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Entity:
    """One party: canonical ``name``, ``ticker`` (None when private), aliases."""

    name: str
    ticker: str | None
    private: bool
    kind: str
    aliases: tuple[str, ...]

    @property
    def is_listed(self) -> bool:
        return self.ticker is not None

    @property
    def is_source(self) -> bool:
        """True for banks/research houses quoted as sources rather than deal parties."""
        return self.kind == "research"


@dataclass(frozen=True)
class EntityMatch:
    """An entity found in a text at ``[start, end)`` through ``alias`` (ASCII aliases match in any case)."""

    entity: Entity
    start: int
    end: int
    alias: str


class EntityDictionary:
    """A validated set of entities with a longest-match alias finder."""

    def __init__(self, entities: Iterable[Entity], source: str = "<memory>") -> None:
        self.entities: tuple[Entity, ...] = tuple(entities)
        self.source = source
        self._by_name = {e.name: e for e in self.entities}
        self._by_ticker = {e.ticker: e for e in self.entities if e.ticker}
        pairs = [(a, e) for e in self.entities for a in e.aliases]
        # longest alias first so "Blue Owl Capital" beats "Blue Owl"
        pairs.sort(key=lambda p: -len(p[0]))
        # Two alternations without capture groups (hundreds of groups make matching slow):
        # pure-ASCII aliases case-insensitively on word boundaries, the rest (CJK, mixed) as written.
        self._ascii = {a.lower(): e for a, e in pairs if a.isascii()}
        self._other = {a: e for a, e in pairs if not a.isascii()}
        # matched case-sensitively against an ASCII-lowercased copy of the text (same length):
        # an IGNORECASE alternation is about a hundred times slower
        lowered = sorted({a.lower() for a, _ in pairs if a.isascii()}, key=lambda a: -len(a))
        ascii_alts = "|".join(re.escape(a) for a in lowered)
        self._ascii_re = re.compile(rf"(?<![a-z0-9])(?:{ascii_alts})(?![a-z0-9])") if ascii_alts else None
        parts = []
        for alias, _ in pairs:
            if alias.isascii():
                continue
            esc = re.escape(alias)
            if _ASCII_WORD.search(alias[0]) is not None:
                esc = r"(?<![A-Za-z0-9])" + esc
            if _ASCII_WORD.search(alias[-1]) is not None:
                esc = esc + r"(?![A-Za-z0-9])"
            parts.append(esc)
        self._other_re = re.compile("|".join(parts)) if parts else None

    def __len__(self) -> int:
        return len(self.entities)

    def __iter__(self):
        return iter(self.entities)

    def get(self, name: str) -> Entity | None:
        """The entity with canonical ``name`` (or ticker), or None."""
        return self._by_name.get(name) or self._by_ticker.get(name)

    def find(self, text: str) -> list[EntityMatch]:
        """All non-overlapping alias occurrences in ``text``, in text order (longest wins)."""
        found: list[EntityMatch] = []
        if self._ascii_re is not None:
            low = text.translate(_ASCII_LOWER)
            for m in self._ascii_re.finditer(low):
                found.append(EntityMatch(self._ascii[m.group(0)], m.start(), m.end(), text[m.start() : m.end()]))
        if self._other_re is not None:
            for m in self._other_re.finditer(text):
                found.append(EntityMatch(self._other[m.group(0)], m.start(), m.end(), m.group(0)))
        found.sort(key=lambda x: (x.start, -(x.end - x.start)))
        out: list[EntityMatch] = []
        for x in found:
            if out and x.start < out[-1].end:
                continue
            out.append(x)
        return out


def _fail(path: str, key: str, msg: str) -> ConfigError:
    return ConfigError(f"{path}: {key}: {msg}")


def _validate(data: dict[str, Any], path: str) -> list[Entity]:
    unknown = set(data) - {"entity"}
    if unknown:
        raise _fail(path, sorted(unknown)[0], "unknown top-level key; expected [[entity]] tables")
    raw = data.get("entity")
    if raw is None:
        raise _fail(path, "entity", "no [[entity]] tables found; add at least one")
    if not isinstance(raw, list):
        raise _fail(path, "entity", "expected an array of tables ([[entity]])")
    entities: list[Entity] = []
    names: dict[str, str] = {}
    aliases_seen: dict[str, str] = {}
    for i, item in enumerate(raw):
        where = f"entity[{i}]"
        if not isinstance(item, dict):
            raise _fail(path, where, "expected a table")
        extra = set(item) - _ALLOWED_KEYS
        if extra:
            k = sorted(extra)[0]
            raise _fail(path, f"{where}.{k}", f"unknown key; allowed: {', '.join(sorted(_ALLOWED_KEYS))}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _fail(path, f"{where}.name", f"expected a non-empty string, got {name!r}")
        name = name.strip()
        if name in names:
            raise _fail(path, f"{where}.name", f"duplicate entity name {name!r} (first at {names[name]})")
        names[name] = where
        ticker = item.get("ticker")
        if ticker is not None:
            if not isinstance(ticker, str) or not _TICKER_RE.match(ticker.strip()):
                raise _fail(path, f"{where}.ticker", f"expected a ticker such as 'ORCL' or '9984.T', got {ticker!r}")
            ticker = ticker.strip()
        private = item.get("private", False)
        if not isinstance(private, bool):
            raise _fail(path, f"{where}.private", f"expected true or false, got {private!r}")
        if private and ticker:
            raise _fail(path, f"{where}.private", "a private party cannot have a ticker; remove one of them")
        kind = item.get("kind", "company")
        if kind not in KINDS:
            raise _fail(path, f"{where}.kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        aliases = item.get("aliases")
        if not isinstance(aliases, list) or not aliases:
            raise _fail(path, f"{where}.aliases", "expected a non-empty list of strings")
        clean: list[str] = []
        for j, a in enumerate(aliases):
            if not isinstance(a, str) or not a.strip():
                raise _fail(path, f"{where}.aliases[{j}]", f"expected a non-empty string, got {a!r}")
            a = a.strip()
            if a in aliases_seen and aliases_seen[a] != name:
                raise _fail(
                    path,
                    f"{where}.aliases[{j}]",
                    f"alias {a!r} already belongs to {aliases_seen[a]!r}; an alias must name one party",
                )
            aliases_seen[a] = name
            clean.append(a)
        if name not in clean:
            clean.append(name)
            aliases_seen.setdefault(name, name)
        entities.append(Entity(name, ticker or None, bool(private) or not ticker, kind, tuple(dict.fromkeys(clean))))
    return entities


def default_entities_path() -> Path:
    """Path of the packaged default dictionary."""
    return Path(str(resources.files("aimonitor") / "data" / "entities.toml"))


def load_entities(path: str | Path | None = None) -> EntityDictionary:
    """Load and validate an entity dictionary (the packaged default when ``path`` is None).

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML, or an entry is invalid; the message
        names the file and the key path.
    """
    p = Path(path) if path is not None else default_entities_path()
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{p}: entity dictionary not found; create it or pass another path") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read entity dictionary ({exc.strerror})") from None
    key = (hashlib.sha256(raw).digest(), str(p))
    ents = _VALIDATED.get(key)
    if ents is None:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(f"{p}: not UTF-8 text; save the dictionary as UTF-8") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: invalid TOML: {exc}") from None
        ents = tuple(_validate(data, str(p)))
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        _VALIDATED[key] = ents
    log.debug("loaded %d entities from %s", len(ents), p)
    return EntityDictionary(ents, source=str(p))


#: Dictionaries that validated, by the SHA-256 of their bytes and their path (which the
#: messages name): extraction loads the dictionary for every article, and parsing the TOML
#: was most of its cost. The entities are frozen and every call builds its own
#: :class:`EntityDictionary`; an edited file has other bytes, so it is parsed and checked again.
_VALIDATED: dict[tuple[bytes, str], tuple[Entity, ...]] = {}
_VALIDATED_MAX = 8

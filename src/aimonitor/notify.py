"""Alert sinks: the ``alerts/`` folder first, then apprise channels (the only apprise user).

Delivery follows an outbox: every alert transition that should notify is recorded in
SQLite together with one outbox entry per channel, in the same transaction as the alert
state. Delivery then works through pending entries:

1. ``file``: appended to ``alerts/alerts.jsonl`` (flushed and fsynced). The append is
   idempotent: a line whose key (alert id, session, state) is already in the file is not
   written again, so a crash between the append and marking the entry sent duplicates
   nothing.
2. each apprise URL from the environment variable named in ``[notify].urls_env``. The
   outbox keeps only the channel's id, never the URL (URLs carry tokens). A channel
   that fails stays pending and is retried on the next cycle; its alert is never lost.

Each sink succeeds or fails alone: an unwritable alerts folder is reported (one line) and
the apprise channels are still tried; a channel that fails is not tried again in the same
cycle (a hanging endpoint costs one timeout per cycle, not one per pending entry).

Channel identity is stable across secret rotation: the id is a configured name
(``NAME=URL`` in the environment variable) or a hash of the URL's public parts (scheme,
host, user, port, path), never of its passwords or tokens. Entries of a channel that is
no longer configured are reported and can be re-targeted or dropped
(``aimonitor alerts outbox --retarget OLD=NEW`` / ``--drop CHANNEL``).

At most once: an entry is claimed (``sending``) atomically before the send is tried, so a
crash between a send and its ``sent`` mark leaves it visible as ``sending`` and it is not
re-sent blindly (``alerts outbox --requeue CHANNEL`` re-sends it on purpose). Each send
carries a deterministic notification id (in the body, and as an ``Idempotency-Key`` header
where the channel sends HTTP headers) and is bounded by ``[notify].timeout_seconds``.

A per-session markdown digest ``alerts/YYYY-MM-DD.md`` is (re)written from the stored
transitions, so it is the same however often a session is replayed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# apprise is imported where a URL is parsed or a channel made: a cycle without channels (and
# `status`, `alerts list`) never loads it (~0.15 s of start-up)

log = logging.getLogger(__name__)

FILE_CHANNEL = "file"


_NAME_RE = re.compile(r"^([A-Za-z][\w.-]{0,39})=([A-Za-z][\w+.-]*://.*)$")


def parse_channel_spec(spec: str) -> tuple[str | None, str]:
    """``"NAME=scheme://..."`` → (NAME, URL); a bare URL → (None, URL)."""
    m = _NAME_RE.match(spec.strip())
    return (m.group(1), m.group(2)) if m else (None, spec.strip())


def _public_parts(url: str) -> list[str]:
    """The parts of an apprise URL that apprise itself shows in privacy mode (no secrets)."""
    import apprise

    ap = apprise.Apprise()
    if not ap.add(url):
        raise ValueError("apprise does not understand the URL")
    plugin = ap[0]
    shown = set(re.split(r"[/:@?&=#]+", plugin.url(privacy=True)))
    out: list[str] = []
    part: Any
    for part in plugin.url_identifier or ():
        if part is None:
            continue
        pieces = [p for p in re.split(r"[/:@?&=#]+", str(part)) if p]
        if pieces and all(p in shown for p in pieces):
            out.append(str(part))
    return out


def channel_id(url: str, name: str | None = None) -> str:
    """A stable, secret-free id for a notification URL: ``name`` if given, else
    ``scheme:hash(public parts)``, so rotating a password or token keeps the id."""
    if name:
        return name
    scheme = url.split("://", 1)[0].lower() if "://" in url else "url"
    try:
        public = _public_parts(url)
    except (ValueError, IndexError, TypeError):
        public = [url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]]
    return f"{scheme}:{hashlib.sha256('|'.join([scheme, *public]).encode()).hexdigest()[:12]}"


def notification_id(entry: dict[str, Any]) -> str:
    """Deterministic id of one notification (the same for every retry of the same entry)."""
    return hashlib.sha256(f"{_key(entry)}|{entry['channel']}".encode()).hexdigest()[:24]


def _key(entry: dict[str, Any]) -> str:
    return f"{entry['alert_id']}|{entry['session']}|{entry['to_state']}"


class Channel(Protocol):
    id: str

    def send(self, title: str, body: str) -> None:
        """Deliver or raise."""


#: Default per-send timeout in seconds (apprise's own default, 4 s, made retries of slow
#: endpoints re-send notifications they had in fact received).
DEFAULT_TIMEOUT = 15.0


@dataclass
class AppriseChannel:
    """One apprise URL (email, Slack, webhooks, ...)."""

    url: str
    id: str = ""
    timeout: float = DEFAULT_TIMEOUT
    name: str | None = None
    supports_notification_id: bool = True

    def __post_init__(self) -> None:
        self.id = self.id or channel_id(self.url, self.name)
        import apprise

        self._ap = apprise.Apprise()
        if not self._ap.add(self.url):
            raise ValueError(f"apprise does not understand the URL scheme of channel {self.id}")
        for plugin in self._ap:
            plugin.socket_read_timeout = self.timeout
            plugin.socket_connect_timeout = self.timeout

    def send(self, title: str, body: str, notification_id: str | None = None) -> None:
        for plugin in self._ap:
            headers = getattr(plugin, "headers", None)
            if notification_id and isinstance(headers, dict):
                headers["Idempotency-Key"] = notification_id
                headers["X-Aimonitor-Notification-Id"] = notification_id
        if not self._ap.notify(title=title, body=body):
            raise RuntimeError(f"apprise channel {self.id} did not accept the notification")


def make_channels(specs: Iterable[str], timeout: float = DEFAULT_TIMEOUT) -> list[AppriseChannel]:
    """Channels for the configured ``[NAME=]URL`` entries; an unusable URL is logged (by id) and skipped.

    Two entries with the same id (same public parts, e.g. two Slack webhooks whose every
    part is a token) are an error: name them (``NAME=URL``) so their outbox entries stay apart.
    """
    from aimonitor.errors import ConfigError

    out: list[AppriseChannel] = []
    for spec in specs:
        name, url = parse_channel_spec(spec)
        try:
            ch = AppriseChannel(url, timeout=timeout, name=name)
        except ValueError as exc:
            log.error("%s", exc)
            continue
        if any(c.id == ch.id for c in out):
            raise ConfigError(
                f"two notification URLs share the channel id {ch.id}; give them names (NAME=URL) "
                "in the notification environment variable"
            )
        out.append(ch)
    return out


def format_message(
    payload: dict[str, Any], prefix: str = "[aimonitor]", notification: str | None = None
) -> tuple[str, str]:
    """Title and body of a notification from a transition payload (an ALERT document)."""
    a = payload
    state = a.get("state", "")
    sym = f" {a['symbol']}" if a.get("symbol") else ""
    title = f"{prefix} {a.get('severity', '').upper()} {state}: {a.get('rule', '')}{sym}"
    body = (
        f"{a.get('summary', '')}\n\nvalue {a.get('value')} vs threshold {a.get('threshold')}; "
        f"started {a.get('started')}, fired {a.get('fired')}, resolved {a.get('resolved')}.\n"
        + (f"notification id {notification}; " if notification else "")
        + f"alert id {a.get('id')}"
    )
    return title, body


@dataclass
class FileSink:
    """``alerts/alerts.jsonl`` (append-only, fsynced) and per-session markdown digests."""

    folder: Path
    _keys: set[str] | None = field(default=None, repr=False)

    @property
    def jsonl(self) -> Path:
        return self.folder / "alerts.jsonl"

    def _known(self) -> set[str]:
        if self._keys is None:
            self._keys = set()
            if self.jsonl.exists():
                with self.jsonl.open("r", encoding="utf-8") as fh:
                    for line in fh:
                        line = line.strip()
                        if not line:
                            continue
                        try:
                            rec = json.loads(line)
                        except json.JSONDecodeError:
                            continue  # a torn last line from a crash: ignored, rewritten below
                        self._keys.add(rec.get("key", ""))
        return self._keys

    def _torn(self) -> bool:
        """True when the file exists, is not empty and does not end with a newline."""
        try:
            with self.jsonl.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() == 0:
                    return False
                fh.seek(-1, os.SEEK_END)
                return fh.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def append(self, entries: list[dict[str, Any]]) -> int:
        """Append transitions not yet in the file; returns how many lines were written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        known = self._known()
        lines = []
        for e in entries:
            k = _key(e)
            if k in known:
                continue
            rec = {"key": k, "session": e["session"], "transition": e["to_state"], "alert": e["payload"]}
            lines.append(json.dumps(rec, sort_keys=True, ensure_ascii=False))
            known.add(k)
        if lines:
            # a crash mid-append can leave a torn last line without its newline: end it first,
            # or the next record would be glued to the fragment and become unreadable too
            lead = "\n" if self._torn() else ""
            with self.jsonl.open("a", encoding="utf-8") as fh:
                fh.write(lead + "\n".join(lines) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        return len(lines)

    def write_digest(self, session: str, transitions: list[dict[str, Any]]) -> Path | None:
        """(Re)write ``alerts/<session>.md`` from the session's transitions."""
        if not transitions:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{session}.md"
        lines = [
            f"# aimonitor alerts for session {session}",
            "",
            "| state | severity | rule | symbol | value | threshold | summary |",
            "|---|---|---|---|---|---|---|",
        ]
        for t in transitions:
            a = t["payload"]
            val = a.get("value")
            thr = a.get("threshold")
            lines.append(
                f"| {t['to_state']} | {a.get('severity', '')} | {a.get('rule', '')} | "
                f"{a.get('symbol') or ''} | {_fmt(val)} | {_fmt(thr)} | "
                f"{str(a.get('summary', '')).replace('|', '/')} |"
            )
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path


def _fmt(v: Any) -> str:
    try:
        return f"{float(v):.4g}"
    except (TypeError, ValueError):
        return "" if v is None else str(v)


@dataclass
class DeliveryReport:
    written: int = 0
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    #: channel id -> undelivered entries of channels that are not configured any more
    orphaned: dict[str, int] = field(default_factory=dict)
    #: channel id -> entries left ``sending`` by a crash (not re-sent blindly)
    stuck: dict[str, int] = field(default_factory=dict)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{type(exc).__name__}: {where}{exc.strerror}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def deliver(
    store: Any,
    sink: FileSink | None,
    channels: list[Channel],
    *,
    prefix: str = "[aimonitor]",
    on_error: Callable[[str, Exception], None] | None = None,
) -> DeliveryReport:
    """Work through the store's pending outbox: the file first, then each channel, each alone."""
    rep = DeliveryReport()
    if sink is not None:
        files = [e for e in store.read_outbox("pending", [FILE_CHANNEL]) + store.read_outbox("sending", [FILE_CHANNEL])]
        # the file append is idempotent, so an entry a crash left "sending" is taken again
        claimed = [e for e in files if store.claim_outbox(e, reclaim=True)]
        if claimed:
            try:
                rep.written = sink.append(claimed)
            except Exception as exc:  # noqa: BLE001 - a broken alerts folder must not silence the channels
                msg = _one_line(exc)
                for e in claimed:
                    store.mark_outbox(e["alert_id"], e["session"], e["to_state"], FILE_CHANNEL, ok=False, error=msg)
                rep.failed[FILE_CHANNEL] = msg
                log.error("alerts folder %s: cannot write (%s); the other channels are still tried", sink.folder, msg)
                if on_error and isinstance(exc, Exception):
                    on_error(FILE_CHANNEL, exc)
            else:
                for e in claimed:
                    store.mark_outbox(e["alert_id"], e["session"], e["to_state"], FILE_CHANNEL, ok=True)
    for ch in channels:
        for e in store.read_outbox("pending", [ch.id]):
            if not store.claim_outbox(e):
                continue  # another process took it
            nid = notification_id(e)
            title, body = format_message(e["payload"], prefix, nid)
            try:
                if getattr(ch, "supports_notification_id", False):
                    ch.send(title, body, notification_id=nid)  # type: ignore[call-arg]
                else:
                    ch.send(title, body)
            except Exception as exc:  # noqa: BLE001 - any channel failure is retried next cycle
                msg = _one_line(exc)
                store.mark_outbox(e["alert_id"], e["session"], e["to_state"], e["channel"], ok=False, error=msg)
                rep.failed[ch.id] = msg
                log.warning("notification via %s failed (retried next cycle): %s", ch.id, msg)
                if on_error:
                    on_error(ch.id, exc)
                break  # one failure per channel and cycle: the rest wait for the next cycle
            store.mark_outbox(e["alert_id"], e["session"], e["to_state"], e["channel"], ok=True)
            rep.sent += 1
    known = {FILE_CHANNEL, *(c.id for c in channels)}
    for ch_id, counts in store.outbox_counts().items():
        if ch_id not in known:
            rep.orphaned[ch_id] = sum(counts.values())
        elif ch_id != FILE_CHANNEL and counts.get("sending"):
            rep.stuck[ch_id] = counts["sending"]
    for ch_id, n in rep.orphaned.items():
        log.warning(
            "%d notification(s) wait for channel %s, which is not configured any more; "
            "re-target them with `aimonitor alerts outbox --retarget %s=NEW` or drop them with "
            "`aimonitor alerts outbox --drop %s`",
            n,
            ch_id,
            ch_id,
            ch_id,
        )
    for ch_id, n in rep.stuck.items():
        log.warning(
            "%d notification(s) via %s were being sent when a run died; they are not re-sent blindly "
            "(`aimonitor alerts outbox --requeue %s` sends them again)",
            n,
            ch_id,
            ch_id,
        )
    return rep

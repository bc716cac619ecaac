"""Alert sinks: the ``alerts/`` folder first, then apprise channels (the only apprise user).

Delivery follows an outbox: every alert transition that should notify is recorded in
SQLite together with one outbox entry per channel, in the same transaction as the alert
state. Delivery then works through pending entries:

1. ``file``: appended to ``alerts/alerts.jsonl`` (flushed and fsynced). The append is
   idempotent: a line whose key (alert id, session, state) is already in the file is not
   written again, so a crash between the append and marking the entry sent duplicates
   nothing.
2. each apprise URL from the environment variable named in ``[notify].urls_env``. The
   outbox keeps only a hash of the URL, never the URL (URLs carry tokens). A channel
   that fails stays pending and is retried on the next cycle; its alert is never lost.

A per-session markdown digest ``alerts/YYYY-MM-DD.md`` is (re)written from the stored
transitions, so it is the same however often a session is replayed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import apprise

log = logging.getLogger(__name__)

FILE_CHANNEL = "file"


def channel_id(url: str) -> str:
    """A stable, secret-free id for a notification URL."""
    scheme = url.split("://", 1)[0] if "://" in url else "url"
    return f"{scheme}:{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def _key(entry: dict[str, Any]) -> str:
    return f"{entry['alert_id']}|{entry['session']}|{entry['to_state']}"


class Channel(Protocol):
    id: str

    def send(self, title: str, body: str) -> None:
        """Deliver or raise."""


@dataclass
class AppriseChannel:
    """One apprise URL (email, Slack, webhooks, ...)."""

    url: str
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or channel_id(self.url)
        self._ap = apprise.Apprise()
        if not self._ap.add(self.url):
            raise ValueError(f"apprise does not understand the URL scheme of channel {self.id}")

    def send(self, title: str, body: str) -> None:
        if not self._ap.notify(title=title, body=body):
            raise RuntimeError(f"apprise channel {self.id} did not accept the notification")


def make_channels(urls: Iterable[str]) -> list[AppriseChannel]:
    """Channels for the configured URLs; an unusable URL is logged (by id) and skipped."""
    out = []
    for u in urls:
        try:
            out.append(AppriseChannel(u))
        except ValueError as exc:
            log.error("%s", exc)
    return out


def format_message(payload: dict[str, Any], prefix: str = "[aimonitor]") -> tuple[str, str]:
    """Title and body of a notification from a transition payload (an ALERT document)."""
    a = payload
    state = a.get("state", "")
    sym = f" {a['symbol']}" if a.get("symbol") else ""
    title = f"{prefix} {a.get('severity', '').upper()} {state}: {a.get('rule', '')}{sym}"
    body = (
        f"{a.get('summary', '')}\n\nvalue {a.get('value')} vs threshold {a.get('threshold')}; "
        f"started {a.get('started')}, fired {a.get('fired')}, resolved {a.get('resolved')}.\n"
        f"alert id {a.get('id')}"
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


def deliver(
    store: Any,
    sink: FileSink,
    channels: list[Channel],
    *,
    prefix: str = "[aimonitor]",
    on_error: Callable[[str, Exception], None] | None = None,
) -> DeliveryReport:
    """Work through the store's pending outbox: the file first, then each channel."""
    rep = DeliveryReport()
    pending = store.read_outbox("pending")
    files = [e for e in pending if e["channel"] == FILE_CHANNEL]
    if files:
        rep.written = sink.append(files)
        for e in files:
            store.mark_outbox(e["alert_id"], e["session"], e["to_state"], FILE_CHANNEL, ok=True)
    by_id = {c.id: c for c in channels}
    for e in pending:
        if e["channel"] == FILE_CHANNEL:
            continue
        ch = by_id.get(e["channel"])
        if ch is None:
            # the URL is no longer configured: keep the entry pending, it is not lost
            continue
        title, body = format_message(e["payload"], prefix)
        try:
            ch.send(title, body)
        except Exception as exc:  # noqa: BLE001 - any channel failure is retried next cycle
            msg = f"{type(exc).__name__}: {exc}"
            store.mark_outbox(e["alert_id"], e["session"], e["to_state"], e["channel"], ok=False, error=msg)
            rep.failed[e["channel"]] = msg
            log.warning("notification via %s failed (will retry next cycle): %s", e["channel"], msg)
            if on_error:
                on_error(e["channel"], exc)
            continue
        store.mark_outbox(e["alert_id"], e["session"], e["to_state"], e["channel"], ok=True)
        rep.sent += 1
    return rep

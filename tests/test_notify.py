"""Alert delivery: the fsynced, idempotent alerts.jsonl, digests, the outbox and channels."""

from __future__ import annotations

import json
from pathlib import Path

from aimonitor.notify import FILE_CHANNEL, FileSink, channel_id, deliver, format_message, make_channels

ALERT = {
    "id": "drawdown_warning:ORCL:2025-11-20",
    "rule": "drawdown_warning",
    "symbol": "ORCL",
    "severity": "warning",
    "state": "firing",
    "value": -0.36,
    "threshold": -0.25,
    "started": "2025-11-20",
    "fired": "2025-11-20",
    "resolved": None,
    "summary": "ORCL is -36.0% below its 52-week high (< -25%)",
}


class FakeChannel:
    """Records every send; raises for the first ``fail`` calls."""

    def __init__(self, cid: str = "fake:1", fail: int = 0) -> None:
        self.id = cid
        self.fail = fail
        self.calls: list[tuple[str, str]] = []
        self.delivered: list[tuple[str, str]] = []

    def send(self, title: str, body: str) -> None:
        self.calls.append((title, body))
        if len(self.calls) <= self.fail:
            raise ConnectionError("smtp server down")
        self.delivered.append((title, body))


def _entry(alert: dict, session: str, to_state: str = "firing") -> dict:
    return {"alert_id": alert["id"], "session": session, "to_state": to_state, "payload": alert}


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(encoding="utf-8").split("\n") if ln]


def _record(store, alert: dict, session: str, channels: list[str], to_state: str = "firing") -> int:
    a = {**alert, "fingerprint": f"{alert['rule']}:{alert['symbol']}"}
    return store.write_alert_cycle(
        {},
        session,
        [a],
        [
            {
                "alert_id": alert["id"],
                "session": session,
                "to_state": to_state,
                "from_state": "inactive",
                "value": alert["value"],
                "notify": True,
                "payload": alert,
            }
        ],
        [FILE_CHANNEL, *channels],
    )


# --------------------------------------------------------------------------- FileSink


def test_append_is_idempotent_across_sink_instances(tmp_path):
    sink = FileSink(tmp_path / "alerts")
    assert sink.append([_entry(ALERT, "2025-11-20")]) == 1
    assert sink.append([_entry(ALERT, "2025-11-20")]) == 0
    # a new process (fresh sink) reads the keys back from the file
    again = FileSink(tmp_path / "alerts")
    assert again.append([_entry(ALERT, "2025-11-20"), _entry(ALERT, "2025-11-21", "resolved")]) == 1
    lines = _lines(again.jsonl)
    assert len(lines) == 2
    recs = [json.loads(x) for x in lines]
    assert [r["transition"] for r in recs] == ["firing", "resolved"]
    assert recs[0]["alert"] == ALERT


def test_torn_last_line_does_not_swallow_the_next_alert(tmp_path):
    sink = FileSink(tmp_path / "alerts")
    sink.append([_entry(ALERT, "2025-11-20")])
    with sink.jsonl.open("a", encoding="utf-8") as fh:  # a crash mid-write: no newline
        fh.write('{"key": "x|2025-11-21|firing", "sess')
    other = {**ALERT, "id": "drawdown_warning:AMD:2025-11-21", "symbol": "AMD"}
    assert FileSink(tmp_path / "alerts").append([_entry(other, "2025-11-21")]) == 1
    parsed = []
    for ln in _lines(sink.jsonl):
        try:
            parsed.append(json.loads(ln))
        except json.JSONDecodeError:
            assert ln.startswith('{"key": "x|')  # only the fragment itself is unreadable
    assert [r["alert"]["id"] for r in parsed] == [ALERT["id"], other["id"]]


def test_digest_is_rewritten_identically(tmp_path):
    sink = FileSink(tmp_path / "alerts")
    tr = [{"to_state": "firing", "payload": {**ALERT, "summary": "a | b"}}]
    p = sink.write_digest("2025-11-20", tr)
    first = p.read_text(encoding="utf-8")
    assert sink.write_digest("2025-11-20", tr).read_text(encoding="utf-8") == first
    assert "| firing | warning | drawdown_warning | ORCL | -0.36 | -0.25 | a / b |" in first
    assert sink.write_digest("2025-11-21", []) is None
    assert not (tmp_path / "alerts" / "2025-11-21.md").exists()


# --------------------------------------------------------------------------- outbox


def test_failed_channel_keeps_alert_and_retries_exactly_once(store, tmp_path):
    sink_dir = tmp_path / "alerts"
    ch = FakeChannel(fail=1)
    assert _record(store, ALERT, "2025-11-20", [ch.id]) == 1

    rep = deliver(store, FileSink(sink_dir), [ch])
    assert rep.written == 1 and rep.sent == 0 and "fake:1" in rep.failed
    assert len(_lines(sink_dir / "alerts.jsonl")) == 1  # the alert is on disk despite the failure
    (pending,) = store.read_outbox("pending")
    assert pending["channel"] == "fake:1" and pending["attempts"] == 1
    assert "smtp server down" in pending["last_error"]

    rep = deliver(store, FileSink(sink_dir), [ch])  # next cycle: retried and sent
    assert rep.sent == 1 and rep.failed == {} and rep.written == 0
    rep = deliver(store, FileSink(sink_dir), [ch])  # and never again
    assert rep.sent == 0
    assert len(ch.calls) == 2 and len(ch.delivered) == 1
    assert store.read_outbox("pending") == []
    assert len(_lines(sink_dir / "alerts.jsonl")) == 1


def test_rerecording_the_same_transition_notifies_nobody_twice(store, tmp_path):
    ch = FakeChannel()
    assert _record(store, ALERT, "2025-11-20", [ch.id]) == 1
    deliver(store, FileSink(tmp_path / "a"), [ch])
    assert _record(store, ALERT, "2025-11-20", [ch.id]) == 0
    deliver(store, FileSink(tmp_path / "a"), [ch])
    assert len(ch.calls) == 1
    assert len(_lines(tmp_path / "a" / "alerts.jsonl")) == 1


def test_unconfigured_channel_entry_stays_pending(store, tmp_path):
    _record(store, ALERT, "2025-11-20", ["mailto:abc"])
    deliver(store, FileSink(tmp_path / "a"), [])
    assert [e["channel"] for e in store.read_outbox("pending")] == ["mailto:abc"]


def test_crash_between_append_and_mark_duplicates_nothing(store, tmp_path):
    """The file line is written, then the process dies before the outbox is marked sent."""
    _record(store, ALERT, "2025-11-20", [])
    FileSink(tmp_path / "a").append(store.read_outbox("pending"))  # appended, not marked
    rep = deliver(store, FileSink(tmp_path / "a"), [])
    assert rep.written == 0
    assert len(_lines(tmp_path / "a" / "alerts.jsonl")) == 1
    assert store.read_outbox("pending") == []


# --------------------------------------------------------------------------- channels


def test_channel_id_hides_the_secret_and_survives_its_rotation():
    url = "json://bot:s3cr3t@hooks.example.com:8443/alerts"
    cid = channel_id(url)
    assert cid.startswith("json:") and "s3cr3t" not in cid
    # rotating the password keeps the id: pending notifications are not stranded
    assert channel_id("json://bot:n3wpass@hooks.example.com:8443/alerts") == cid
    # another host or path is another channel
    assert channel_id("json://bot:s3cr3t@other.example.com:8443/alerts") != cid
    assert channel_id("json://bot:s3cr3t@hooks.example.com:8443/ops") != cid
    # a configured name is the id
    assert channel_id(url, "ops-webhook") == "ops-webhook"


def test_make_channels_skips_unusable_urls(caplog):
    chans = make_channels(["notascheme://whatever/s3cr3t", "json://localhost:9/hook"])
    assert [c.id.split(":")[0] for c in chans] == ["json"]
    assert "s3cr3t" not in caplog.text


def test_format_message():
    title, body = format_message(ALERT, prefix="[x]")
    assert title == "[x] WARNING firing: drawdown_warning ORCL"
    assert ALERT["summary"] in body and ALERT["id"] in body


def test_empty_batch_writes_nothing(tmp_path):
    sink = FileSink(tmp_path / "alerts")
    assert sink.append([]) == 0
    assert not sink.jsonl.exists()

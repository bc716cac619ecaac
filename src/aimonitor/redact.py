"""Secrets never reach a log line: URL passwords, tokens in URL paths and query strings.

Notification URLs carry their credentials (``slack://T000/B000/<token>``,
``https://discord.com/api/webhooks/<id>/<token>``, ``mailto://user:<password>@host``),
and apprise prints them at debug level. :class:`RedactingFilter` is installed on the
CLI's log handler, so it sees every record of every logger (apprise's included) at every
level and masks:

* the password of ``scheme://user:password@host`` (and a bare ``token@host``);
* values of query parameters whose name says secret (token, key, secret, password,
  pass, auth, sig, signature, apikey, access_token, webhook, code);
* path segments that look like tokens: at least 8 characters mixing letters and digits,
  or at least 20 characters of letters, digits, ``-`` and ``_``;
* ``Bearer``/``Basic`` authorisation values.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,15})://(?P<rest>[^\s'\"<>()\[\]{}]+)")
_SECRET_KEYS = re.compile(
    r"(?i)^(?:.*token|.*key|.*secret|pass(?:word)?|pwd|auth.*|sig(?:nature)?|apikey|webhook|code|bot|user_?key)$"
)
_AUTH = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}")


def _tokenish(seg: str) -> bool:
    if len(seg) >= 20 and re.fullmatch(r"[A-Za-z0-9_\-]+", seg):
        return True
    return len(seg) >= 8 and bool(re.search(r"[A-Za-z]", seg)) and bool(re.search(r"\d", seg))


def _redact_url(m: re.Match[str]) -> str:
    scheme, rest = m.group("scheme"), m.group("rest")
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
    # userinfo: keep the user, mask the password (or a lone token before @)
    head, sep, tail = rest.partition("/")
    if "@" in head:
        user, host = head.rsplit("@", 1)
        user = f"{user.split(':', 1)[0]}:{MASK}" if ":" in user else MASK
        head = f"{user}@{host}"
    if _tokenish(head.split(":", 1)[0]) and "." not in head:
        head = MASK  # apprise puts tokens where a host would be (discord://id/token, tgram://bottoken/...)
    segs = [MASK if _tokenish(s) else s for s in tail.split("/")] if sep else []
    out = f"{scheme}://{head}" + (sep + "/".join(segs) if sep else "")
    if query:
        parts = []
        for kv in query.split("&"):
            k, eq, v = kv.partition("=")
            parts.append(f"{k}={MASK}" if eq and (_SECRET_KEYS.match(k) or _tokenish(v)) else kv)
        out += "?" + "&".join(parts)
    return out


def redact(text: str) -> str:
    """``text`` with URL credentials and tokens masked."""
    if "://" in text:
        text = _URL.sub(_redact_url, text)
    return _AUTH.sub(lambda m: f"{m.group(1)} {MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is left to the handler
            return True
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True

"""Optional LLM engine: any OpenAI-compatible chat-completions endpoint extracts the mentions.

Enabled with ``[extract] engine = "openai"`` (``base_url``, ``model``, the API key read from the
environment variable named by ``api_key_env``, ``timeout`` in seconds). The article goes in with
the JSON schema of a mention (:class:`MentionModel`, the same model the rules' output conforms
to); the answer is validated with that model and every ``quote`` must occur verbatim in the
article. Any failure (network, HTTP status, timeout, non-JSON, schema violation, invented quote)
raises :class:`LLMFailure`; the caller then falls back to the rules with a warning.

``requests`` is imported here only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from aimonitor.errors import AimonitorError
from aimonitor.events.types import EventType, Unit
from aimonitor.schema import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)


class LLMFailure(AimonitorError):
    """The LLM engine gave no usable answer (the rules are used instead)."""


class MentionModel(BaseModel):
    """One mention as ``events extract --json`` reports it (CONTRACT.md), minus ``article``."""

    model_config = ConfigDict(extra="ignore")

    entities: list[str] = Field(default_factory=list, description="parties as named (canonical names preferred)")
    tickers: list[str] = Field(default_factory=list, description="listed parties' tickers, e.g. ORCL, 9984.T")
    type: EventType
    amount: float | None = Field(description="the amount; the LOW end of a stated range; null when vague")
    unit: Unit | None
    amount_high: float | None = Field(default=None, description="upper end of a stated range, else null")
    date_phrase: str | None = None
    resolved_date: dt.date | None = None
    quote: str = Field(min_length=1, description="the sentence the fact comes from, copied verbatim")
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class AnswerModel(BaseModel):
    """The answer the endpoint must return: ``{"mentions": [MENTION, ...]}``."""

    mentions: list[MentionModel]


_SYSTEM = (
    "You extract deal, financing and credit facts from a news article about AI infrastructure "
    "(bond sales, loans, private credit, funding rounds, compute contracts, chip-for-equity warrants, "
    "CDS moves). Answer with one JSON object that follows the given JSON schema exactly. Amounts are "
    "plain numbers in the unit (USD 18e9 for $18bn; bp for credit spreads: 1.1 percentage points = 110 bp). "
    "A range is one mention: amount = low end, amount_high = high end. Share prices, index levels and "
    "crypto prices are not deal amounts. Copy each quote verbatim from the article."
)


def build_request(article_text: str, model: str, published: dt.date | None) -> dict[str, Any]:
    """The chat-completions request body for one article."""
    schema = AnswerModel.model_json_schema()
    user = (
        f"Publication date: {published.isoformat() if published else 'unknown'}\n"
        f"JSON schema of the answer:\n{json.dumps(schema, ensure_ascii=False)}\n\nArticle:\n{article_text}"
    )
    return {
        "model": model,
        "temperature": 0,
        "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "mentions", "schema": schema}},
    }


def parse_answer(body: Mapping[str, Any], article_text: str) -> list[MentionModel]:
    """Validate a chat-completions response body; raise :class:`LLMFailure` when unusable."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMFailure("answer has no choices[0].message.content") from None
    if not isinstance(content, str):
        raise LLMFailure("answer content is not a string")
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        answer = AnswerModel.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise LLMFailure(f"answer does not follow the mention schema ({where}: {first.get('msg')})") from None
    for i, m in enumerate(answer.mentions):
        if m.quote not in article_text:
            raise LLMFailure(f"mentions[{i}].quote is not a verbatim sentence of the article")
    return answer.mentions


def fetch_mentions(
    article_text: str,
    *,
    base_url: str,
    model: str,
    api_key_env: str,
    timeout: float,
    published: dt.date | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[MentionModel]:
    """Ask the endpoint for the article's mentions; raise :class:`LLMFailure` on any failure."""
    import requests

    env = os.environ if environ is None else environ
    key = env.get(api_key_env, "")
    if not key:
        raise LLMFailure(f"environment variable {api_key_env} (the API key) is not set")
    url = base_url.rstrip("/") + "/chat/completions"
    try:
        resp = requests.post(
            url,
            json=build_request(article_text, model, published),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=timeout,
        )
    except requests.Timeout:
        raise LLMFailure(f"{url}: no answer within {timeout:g}s") from None
    except requests.RequestException as exc:
        raise LLMFailure(f"{url}: {type(exc).__name__}") from None
    if resp.status_code != 200:
        raise LLMFailure(f"{url}: HTTP {resp.status_code}")
    try:
        body = resp.json()
    except ValueError:
        raise LLMFailure(f"{url}: answer is not JSON") from None
    return parse_answer(body, article_text)

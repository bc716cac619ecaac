"""The optional LLM engine against a small fake OpenAI-compatible server on 127.0.0.1.

Checks the protocol (POST /chat/completions, bearer key from the named env var, the mention JSON
schema in the request), schema validation of the answer, fallback to the rules on a bad answer or
an HTTP error, and the timeout.
"""

from __future__ import annotations

import json
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aimonitor.config import ExtractConfig
from aimonitor.errors import DataWarning
from aimonitor.events.extract import article_from_text, extract_mentions, extract_paths
from aimonitor.events.llm import AnswerModel, MentionModel

ARTICLE = "Oracle sold $18 billion of investment-grade bonds on Wednesday.\n"


class _Fake:
    mode = "good"
    requests: list[dict] = []


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):  # noqa: N802 - http.server API
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n))
        _Fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        mention = {
            "entities": ["Oracle"],
            "tickers": ["ORCL"],
            "type": "debt_raise",
            "amount": 18e9,
            "unit": "USD",
            "amount_high": None,
            "date_phrase": "Wednesday",
            "resolved_date": "2025-09-24",
            "quote": "Oracle sold $18 billion of investment-grade bonds on Wednesday.",
            "confidence": 0.9,
        }
        if _Fake.mode == "slow":
            time.sleep(2.0)
        if _Fake.mode == "http500":
            self.send_response(500)
            self.end_headers()
            return
        if _Fake.mode == "badschema":
            mention = dict(mention, type="bond_sale", unit="dollars")
        if _Fake.mode == "invented_quote":
            mention = dict(mention, quote="Oracle sold $99 billion of bonds.")
        content = json.dumps({"mentions": [mention]})
        if _Fake.mode == "notjson":
            content = "Sure! Oracle sold bonds."
        out = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()
    th.join(timeout=5)


@pytest.fixture
def article(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Published: 2025-09-25\n" + ARTICLE, encoding="utf-8")
    return p


def _cfg(url: str, timeout: float = 5.0):
    return ExtractConfig(engine="openai", base_url=url, model="fake-model", api_key_env="FAKE_KEY", timeout=timeout)


def _run(article, url, mode, timeout=5.0):
    _Fake.mode = mode
    _Fake.requests.clear()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = extract_paths([article], llm=_cfg(url, timeout), environ={"FAKE_KEY": "sk-test"})
    return res, [str(x.message) for x in w if issubclass(x.category, DataWarning)]


def test_protocol_and_good_answer(server, article):
    res, warns = _run(article, server, "good")
    assert not warns
    req = _Fake.requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["auth"] == "Bearer sk-test"
    assert req["body"]["model"] == "fake-model"
    schema = req["body"]["response_format"]["json_schema"]["schema"]
    assert "mentions" in schema["properties"]
    assert ARTICLE.strip() in req["body"]["messages"][-1]["content"]
    (m,) = res.mentions
    assert (m.type, m.amount, m.unit, m.tickers, m.explain) == ("debt_raise", 18e9, "USD", ("ORCL",), "llm engine")
    assert m.confidence == 0.9 and str(m.resolved_date) == "2025-09-24"


@pytest.mark.parametrize("mode", ["badschema", "notjson", "http500", "invented_quote"])
def test_bad_answers_fall_back_to_rules_with_a_warning(server, article, mode):
    res, warns = _run(article, server, mode)
    assert len(warns) == 1 and "used the rules instead" in warns[0] and "\n" not in warns[0]
    assert [(m.type, m.amount, m.tickers) for m in res.mentions] == [("debt_raise", 18e9, ("ORCL",))]
    assert res.mentions[0].explain != "llm engine"


def test_timeout_falls_back(server, article):
    # the server answers after 2 s: only the client's 0.3 s timeout gives this warning (no timing asserted)
    res, warns = _run(article, server, "slow", timeout=0.3)
    assert warns and "no answer within 0.3s" in warns[0]
    assert [m.type for m in res.mentions] == ["debt_raise"]


def test_missing_key_falls_back(article):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = extract_paths([article], llm=_cfg("http://127.0.0.1:9/v1"), environ={})
    assert any("FAKE_KEY" in str(x.message) for x in w)
    assert [m.type for m in res.mentions] == ["debt_raise"]


def test_rules_output_conforms_to_the_same_model():
    ms = extract_mentions(article_from_text(ARTICLE, "a", None))
    for m in ms:
        MentionModel.model_validate(m.to_json())
    AnswerModel.model_validate({"mentions": [m.to_json() for m in ms]})


def test_extract_config_validation():
    from pydantic import ValidationError

    assert ExtractConfig().engine == "rules"
    with pytest.raises(ValidationError):
        ExtractConfig(engine="openai")  # no base_url / model
    with pytest.raises(ValidationError):
        ExtractConfig(engine="claude")

"""Precision rules: corrections to an amount's cue type, and amounts that state no deal.

Each rule is a general cue-word or number rule shown on non-seed sentences in
tests/test_extract.py; each names itself in the mention's ``explain``. They run in a fixed order
(a later rule sees the type an earlier one gave), in six stages:

1. :func:`deal_scope`: a cost or price is no deal; a contract total with no named counterparty
   (这些合同, 超过…的协议, "contracts") is an ``aggregate_commitment``; a spending total or budget is
   not a commitment; a total between two named parties is one deal; spending on one's own project
   is capex;
2. :func:`financing_corrections`: a stake sold, debt outstanding, a generic total over a specific
   financing, the object of the amount, a listed company's valuation, small amounts, the verb
   governing the amount;
3. :func:`market_readings`: order books, share/token/index prices (dropped), market values,
   capacity in GW, one's own build-out;
4. :func:`credit_and_stake_units`: a research house's sentence is an ``analyst_report``; percentage
   points of a credit measure become bp; a stake (10%的股份, "a 27% stake") is kept as a stake;
5. :func:`context_rules`: a continuation sentence (又/另外/another) with a generic cue keeps the
   previous sentence's type; consensus figures (分析师预期的X) are ``analyst_report``; a private
   company raising money is a round; coupons and yields (dropped); guarantees; an earlier size of
   the same deal; totals over agreements; first tranches and hedged vague sizes (dropped); open
   lists of parties; requirements (需要X);
6. :func:`party_and_unit_fallbacks`: a deal with no party at all becomes ``other``; a percentage
   outside a market context is dropped; share counts take a share-sale type from the sentence.

Before typing, :func:`not_a_deal_size` drops rates, prices per unit, anaphora (这1000亿美元),
worked calculations (``= X``) and yardsticks (X的一半).
"""

from __future__ import annotations

import re
from dataclasses import replace

from aimonitor.events import cues
from aimonitor.events.entities import EntityDictionary
from aimonitor.events.quantities import MONEY, Quantity
from aimonitor.events.sentences import Amount, Sentence, strip_glosses
from aimonitor.events.typecues import (
    ANALYST_VERBS,
    STOCK_CUE,
    STRONG_FIN,
    TYPE_CUES,
    TYPE_PATTERNS,
    Typing,
    classify,
    cue_pattern,
    matched_text,
)
from aimonitor.events.types import DEAL_TYPES

#: Amount read as a rate or a price (per unit), not a deal size.
_RATE_BEFORE = re.compile(r"(?:每|一块|一座|一台|单价|价格|\bper\s)[^，,。：:]{0,14}$", re.I)
_RATE_AFTER = re.compile(r"^\s*(?:/|每|per\b|a share|each|[×x*÷](?!\w))", re.I)
#: Costs and prices are estimates of what things cost, not deals.
_COST = re.compile(r"成本|单价|价格|\bcosts?\b|\bprices?\b", re.I)
#: Amount referring back to one already stated ("这1000亿美元").
_ANAPHORA_BEFORE = re.compile(r"(?:这|该|此|上述|these|this|the same)\s*(?:笔)?\s*$", re.I)
#: A consensus or expectation figure ("高于分析师预期的1195亿美元", "1290亿美元的普遍预期",
#: "above the consensus of $65 billion") is not the company's own number.
_CONSENSUS_BEFORE = re.compile(
    r"(?:预期|预估|共识|一致预期|预测值)(?:的|为|是)?\s*(?:约|大约)?\s*$"
    r"|(?:consensus|expectations?|estimates?|analysts? (?:had )?expected|forecasts? of analysts)"
    r"\s*(?:of|for|at)?\s*(?:about|around|roughly)?\s*$",
    re.I,
)
_CONSENSUS_AFTER = re.compile(
    r"^\s*(?:的)?(?:普遍|一致|平均|市场)?(?:预期|预估|共识)|^\s*(?:consensus|expected by analysts)", re.I
)
#: Several contracts or a lower bound over contracts is a total, not one contract:
#: "超过1万亿美元的算力合作协议", "这些合同", "more than $1 trillion of contracts".
_AGG_PLURAL = cue_pattern(
    "这些合同",
    "这些协议",
    "这些合约",
    "一系列",
    "多份",
    "多项",
    "一共",
    "累计",
    "总计",
    "加起来",
    r"\bcontracts\b",
    r"\bagreements\b",
    r"\bcommitments\b",
    r"\baltogether\b",
    r"\bcumulative",
)
_AGG_LOWER = re.compile(r"(?:超过|逾|超|more than|over|upwards of)\s*(?:约)?\s*$", re.I)
#: A named counterparty: "与OpenAI的协议", "with OpenAI".
_WITH = re.compile(r"(?:与|和|跟|同|向|with|from)\s*\**$", re.I)
#: Spending totals and budgets are plans, not signed commitments.
_SPENDING = cue_pattern("支出", "开支", "预算", "花费", r"\bspend(?:ing)?\b", r"\bbudget", r"\bcapex\b")
#: A sentence continuing the previous fact ("又承接了", "另外约380亿美元", "another $10 billion").
_CONTINUE = cue_pattern(
    "又", "另外", "另有", "此外还", r"\banother\b", r"\ba further\b", r"\badditional\b", r"\balso\b"
)
#: Cues too generic to override a continued fact's type.
_GENERIC_CUES = cue_pattern(r"^投资$", r"^交易$", r"^invest", r"^deal$", r"^investment$")
#: A percentage of a company's equity is a stake, not a market move.
_STAKE_AFTER = re.compile(
    r"^\s*(?:的)?\s*(?:股份|股权|权益|股票|stake|of the company|of (?:its|the) shares|equity)", re.I
)
_STAKE_BEFORE = re.compile(
    r"(?:占(?:公司|总股本)?|持有|持股|a|holds?|owns?)\s*(?:约|大约|about|roughly|up to|最多|高达)?\s*$", re.I
)
#: A percentage that is an interest rate, coupon or yield ("a 7.75% coupon", 票面利率5%) is a price of
#: money, never a stake or a deal size.
_RATE_PCT_AFTER = re.compile(
    r"^\s*(?:annual\s+|fixed\s+)?(?:coupons?|yields?|interest|rates?\b|APR)|^\s*的?(?:票息|利率|收益率)", re.I
)
_RATE_PCT_BEFORE = re.compile(
    r"(?:\bcoupons?|\byield(?:s|ed|ing)?|\binterest(?: rate)?|\brate|票面利率|票息|利率|收益率|殖利率|年息)"
    r"\s*(?:of|at|to|is|was|为|是|达|约)?\s*(?:about|around|roughly|约|大约)?\s*$",
    re.I,
)
#: A guarantee of someone else's obligations is credit support, not a financing of the guarantor:
#: "Google has backstopped $1.8 billion of Fluidstack's lease obligations", 为其提供14亿美元担保.
_BACKSTOP_BEFORE = re.compile(
    r"(?:\bbackstop\w*|\bguarantee[sd]?|\bguaranteeing|担保|兜底|背书)\s*(?:up to|about|roughly|最多|约|高达)?\s*$",
    re.I,
)
#: An earlier size of the same deal ("raising the deal from an initial $3 billion", 原计划30亿美元):
#: it takes the type of the sentence's fact, never a type of its own.
_EARLIER_SIZE_BEFORE = re.compile(
    r"(?:\b(?:from|of) (?:an? )?(?:initial(?:ly)?|original(?:ly)?|earlier|planned|proposed)\s*(?:about |roughly )?"
    r"|\bup from\s*(?:about |roughly )?|原计划|原先|原本|最初|初始规模|此前计划)\s*$",
    re.I,
)
#: "agreements totalling $1.4 trillion": a total over several agreements is an aggregate.
_TOTALLING_BEFORE = re.compile(
    r"(?:\btotal(?:l)?ing\b|\bworth a combined\b|\bcombined\b|总计|合计)\s*(?:about |roughly |some |约|大约)?\s*$", re.I
)
#: A generic raising verb right before the amount ("扩大融资至200亿美元", "is raising $5 billion").
_RAISE_BEFORE = re.compile(r"(?:融资|筹资|筹集|募资|募集|\braise[sd]?\b|\braising\b)[^，,。；;]{0,6}$", re.I)
_DEBT_WORD = re.compile(r"债|贷款|\bdebt\b|\bloans?\b|\bbonds?\b|\bnotes\b", re.I)
_EQUITY_WORD = re.compile(r"股权|股票|股份|\bequity\b|\bshares\b|\bstock\b", re.I)
#: One contract, said so ("签署一份价值逾50亿美元的合约", "a contract worth more than $5 billion").
_ONE_CONTRACT = re.compile(
    r"(?:一份|一项|一纸|单份)[^，,。；;]{0,20}(?:合同|合约|协议)|\ban? (?:\w+[- ]?){0,3}(?:contract|agreement|deal)\b",
    re.I,
)
#: A first tranche or batch of a deal ("首批1吉瓦", "首笔100亿美元投资", "the first $10 billion").
_TRANCHE_BEFORE = re.compile(
    r"(?:首批|首笔|第一笔|第一批|第一期|首期|\bfirst (?:tranche|batch|phase|instal?lment)s?(?: of)?|\bthe first)"
    r"\s*(?:约|about|roughly)?\s*$",
    re.I,
)
#: A modal hedge right before a vague amount ("可能超过数千亿美元", "could be worth tens of billions").
_MODAL_BEFORE = re.compile(r"(?:可能|或将|或许|也许|\bmay\b|\bmight\b|\bcould\b)[^，,。；;]{0,12}$", re.I)
#: An open list of parties ("甲骨文、微软和亚马逊等公司", "Oracle, Microsoft and others").
_OPEN_LIST = re.compile(r"等(?:公司|企业|厂商|云服务商|合作伙伴)|\band others\b|\bamong others\b", re.I)
#: Arithmetic ("20GW × 500亿美元/GW = 1万亿美元") illustrates, it reports no fact.
_CALC_BEFORE = re.compile(r"(?:=|＝|等于|equals)\s*$")
#: An amount used as a yardstick: "还不到OpenAI 20GW的一半", "twice the $10 billion".
_COMPARE_AFTER = re.compile(r"^\s*的?(?:一半|两倍|三倍|[0-9一二三四五六七八九十]+倍|几分之一)")
#: An amount something would require is an estimate, not a deal: "仅GPU采购就需要50亿美元",
#: "building it would cost $50 billion".
_REQUIRE_BEFORE = re.compile(
    r"(?:需要|所需|需花费|需投入|would (?:cost|require|need)|requires?|needs?)\s*(?:约|大约|额外|about|roughly)?\s*$",
    re.I,
)
_DEPLOY = re.compile(r"\bdeploy|\bchips?\b|\bGPUs?\b|\bsystems\b|部署|芯片|GPU|系统|算力", re.I)
_OWN_BUILD = re.compile(r"\binfrastructure\b|\bdata[- ]cent(?:re|er)s?\b|基础设施|数据中心|园区", re.I)
#: Capacity (GW) is deployed or built: these types keep it, other deal types become capex or compute.
_CAPACITY_TYPES = frozenset({"compute_contract", "capex_project", "aggregate_commitment", "capex_guidance"})


def is_price(sent: str, q: Quantity) -> bool:
    """A price per share/unit ("每股23.28美元", "$23.28 a share"), unless a financing verb governs it."""
    m = _RATE_BEFORE.search(sent[max(0, q.start - 8) : q.start])
    if m is not None and cues.financing_type(sent[max(0, q.start - 8) + m.start() : q.start]) is None:
        return True
    return bool(_RATE_AFTER.search(sent[q.end :]))


def stake_percentages(sent: str, quants: list[Quantity]) -> list[Quantity]:
    """The percentages of ``sent`` that are a stake in a company's equity, not a move or a rate."""
    return [
        q
        for q in quants
        if q.unit == "pct"
        and (_STAKE_AFTER.search(sent[q.end :]) or _STAKE_BEFORE.search(sent[max(0, q.start - 12) : q.start]))
        and not cues.MOVE_NEAR.search(sent[max(0, q.start - 8) : q.start])
        and not _RATE_PCT_AFTER.search(sent[q.end :])
        and not _RATE_PCT_BEFORE.search(sent[max(0, q.start - 14) : q.start])
    ]


def not_a_deal_size(sent: str, q: Quantity, before: str) -> bool:
    """A rate or unit price, an amount referring back to one stated, a calculation's result or a yardstick."""
    rate_m = _RATE_BEFORE.search(before)
    # 每年1.1个百分点 is a level; "以每股X美元的价格向Y投资Z美元": the verb governs Z, not the price
    rate = (
        rate_m is not None
        and q.unit not in ("pct", "bp", "shares")  # a share count is never a unit price
        and cues.financing_type(before[rate_m.start() :]) is None
    )
    if rate or _RATE_AFTER.search(sent[q.end :]) or _ANAPHORA_BEFORE.search(before):
        return True
    # the result of a worked calculation, or a yardstick ("不到20GW的一半")
    return bool(_CALC_BEFORE.search(before) or _COMPARE_AFTER.search(sent[q.end :]))


def deal_scope(s: Sentence, a: Amount, t: Typing) -> Typing:
    """Cost or price, one contract or an aggregate, a spending plan, one's own project."""
    typ, cue, level = t
    q, clause, before, sent = a.q, a.clause, a.before, s.text
    if (
        _COST.search(clause)
        and q.unit != "bp"
        and typ != "credit_move"
        and cues.governing_type(strip_glosses(clause), q.start - a.ca) is None
    ):
        typ, cue, level = "other", matched_text(_COST, clause), "clause (cost or price)"
    counterparty = (
        len(a.clause_parties) >= 2
        or any(a.ca <= e.start < a.cb and _WITH.search(sent[a.ca : e.start]) for e in s.ents if not e.entity.is_source)
        or any(  # "contracts with OpenAI, worth $300 billion": the counterparty sits in another clause
            _WITH.search(sent[max(0, e.start - 6) : e.start]) for e in s.ents if not e.entity.is_source
        )
    )
    if (
        typ == "compute_contract"
        and not counterparty
        and not _ONE_CONTRACT.search(clause)
        and (_AGG_PLURAL.search(strip_glosses(sent)) or _AGG_LOWER.search(before))
    ):
        typ, cue, level = (
            "aggregate_commitment",
            matched_text(_AGG_PLURAL, strip_glosses(sent)) or matched_text(_AGG_LOWER, before),
            "total without counterparty",
        )
    if typ == "aggregate_commitment" and _SPENDING.search(clause if level == "clause" else s.masked):
        # a spending total or budget is a plan, not signed commitments
        typ2, cue2 = classify(TYPE_PATTERNS["aggregate_commitment"].sub("", clause))
        typ, cue, level = (
            (typ2 if typ2 == "capex_guidance" else "other"),
            cue2 or "spending",
            "clause (spending total)",
        )
    if typ == "aggregate_commitment" and len(a.clause_parties) >= 2:
        # a total between two named parties is one contract, not an aggregate
        rest = [(k, r) for k, r in TYPE_CUES if k != "aggregate_commitment"]
        hit = next(
            ((k, r.search(strip_glosses(clause))) for k, r in rest if r.search(strip_glosses(clause))),
            (None, None),
        )
        if hit[0]:
            typ, cue, level = hit[0], hit[1].group(0) if hit[1] else None, "clause (two parties)"
    if typ == "equity_investment" and len(a.parties) < 2 and TYPE_PATTERNS["capex_project"].search(strip_glosses(sent)):
        # spending on one's own project is capex, not an investment in another party
        typ, cue, level = (
            "capex_project",
            matched_text(TYPE_PATTERNS["capex_project"], strip_glosses(sent)),
            "sentence",
        )
    return typ, cue, level


def financing_corrections(s: Sentence, a: Amount, t: Typing, ents: EntityDictionary) -> Typing:
    """Stakes sold, debt outstanding, generic totals, the amount's object, valuations, small amounts."""
    typ, cue, level = t
    q, clause = a.q, a.clause
    if typ == "equity_investment" and cues.DIVEST.search(clause):
        typ, cue, level = "other", matched_text(cues.DIVEST, clause), "clause (a stake sold, not an investment)"
    if typ == "debt_raise" and cues.DEBT_STOCK.search(clause):
        typ, cue, level = "other", matched_text(cues.DEBT_STOCK, clause), "clause (debt outstanding, not a raise)"
    if typ in ("aggregate_commitment", "compute_contract") and cues.is_generic_total(cue):
        fin_s = cues.financing_type(strip_glosses(s.masked))
        if fin_s is not None and fin_s[0] in STRONG_FIN:
            typ, cue, level = fin_s[0], fin_s[1], "sentence (financing object; total is generic)"
    obj = cues.object_type(clause, q.end - a.ca)
    if obj is not None and typ in DEAL_TYPES and typ not in ("credit_move", "warrant_equity_for_orders"):
        if obj[0] != typ:
            typ, cue, level = obj[0], obj[1], "clause (object of the amount)"
    if typ == "debt_raise" and cues.DEBT_STOCK.search(clause):
        typ, cue, level = "other", matched_text(cues.DEBT_STOCK, clause), "clause (debt outstanding, not a raise)"
    if (
        typ == "funding_round"
        and cues.VALUATION.search(clause)
        and a.tickers
        and all(not getattr(ents.get(n), "private", True) for n in a.parties)
        and STOCK_CUE.search(strip_glosses(s.masked))
    ):
        # a listed company "valued at" X in a sentence about its shares: a market value, not a round
        typ, cue, level = "stock_reaction", "market value", "sentence (listed company's valuation)"
    if q.unit in MONEY and q.amount is not None and q.amount < 1e6 and typ in DEAL_TYPES:
        typ, cue, level = "other", "small amount", "clause (a price, not a deal size)"
    gov = cues.governing_type(strip_glosses(clause), q.start - a.ca)
    if gov is not None and gov[0] == "equity_investment" and typ == "funding_round":
        typ, cue, level = gov[0], gov[1], "clause (verb governing the amount)"
    return typ, cue, level


def market_readings(s: Sentence, a: Amount, t: Typing) -> Typing | None:
    """Order books, market values, capacity and own build-out; None for a price level."""
    typ, cue, level = t
    q, clause, before = a.q, a.clause, a.before
    if q.unit in MONEY and (cues.ORDERS_BEFORE.search(before) or cues.ORDERS_AFTER.search(a.after)):
        typ, cue, level = "other", "orders", "clause (order book, not the deal)"
    if (
        q.unit in MONEY
        and cues.PRICE_BEFORE.search(before)
        and cues.PRICE_CONTEXT.search(clause)
        and not cues.financing_type(clause[: q.start - a.ca])
    ):
        return None  # a share, token or index price is not a deal amount
    if q.unit in MONEY and cues.MARKET_VALUE.search(before):
        typ, cue, level = "stock_reaction", "market value", "clause (market value)"
    if q.unit == "GW" and typ in DEAL_TYPES and typ not in _CAPACITY_TYPES:
        typ, cue, level = (
            ("compute_contract", "deploy", "capacity")
            if _DEPLOY.search(s.text)
            else ("capex_project", "capacity", "capacity")
        )
    if (
        typ == "equity_investment"
        and _OWN_BUILD.search(clause)
        and not any(q.end <= e.start < a.cb and not e.entity.is_source for e in s.ents)
    ):
        typ, cue, level = "capex_project", matched_text(_OWN_BUILD, clause), "clause (own build-out)"
    return typ, cue, level


def credit_and_stake_units(s: Sentence, a: Amount, t: Typing) -> tuple[Amount, Typing]:
    """Research sources, credit measures in percentage points (converted to bp) or %, spreads in
    bp, stakes. Returns the amount too: a converted one carries its bp values."""
    typ, cue, level = t
    q, before, sent = a.q, a.before, s.text
    if s.research_subject and typ != "credit_move":
        typ, cue, level = "analyst_report", matched_text(ANALYST_VERBS, sent), "sentence (research source)"
    if (
        q.unit == "pct"
        and q not in s.stakes
        and (cues.PCT_POINTS.search(q.text) or cues.LEVEL_BEFORE.search(before))
        and (typ == "credit_move" or (cues.financing_type(sent) or ("",))[0] == "credit_move")
    ):
        q = Quantity(
            q.start,
            q.end,
            q.text,
            None if q.amount is None else round(q.amount * 100, 6),
            "bp",
            None if q.low is None else round(q.low * 100, 6),
            None if q.high is None else round(q.high * 100, 6),
        )
        a = replace(a, q=q)
        typ, cue, level = "credit_move", "percentage points of a credit measure", "unit (converted to bp)"
    if q.unit == "pct" and typ == "credit_move" and q not in s.stakes:
        # "CDS fell 17%": a relative change of the price, not a level in bp
        typ, cue, level = "other", "relative change", "clause (credit price change in %)"
    if q.unit == "bp" and typ in DEAL_TYPES and typ != "credit_move":
        typ, cue, level = "credit_move", "bp", "unit (a spread in basis points)"
    if q.unit == "bp" and typ is None:
        typ, cue, level = "credit_move", "bp", "unit"
    if q in s.stakes and typ != "warrant_equity_for_orders":
        typ2, cue2 = classify(sent)
        typ, cue, level = (
            ("warrant_equity_for_orders", cue2, "sentence (stake)")
            if typ2 == "warrant_equity_for_orders"
            else ("equity_investment", "stake", "clause (stake)")
        )
    return a, (typ, cue, level)


def context_rules(
    s: Sentence, a: Amount, t: Typing, ents: EntityDictionary, prev_types: list[str], cur_types: list[str]
) -> Typing | None:
    """Continuations, consensus figures, private raises, guarantees, earlier sizes, totals, open
    lists and requirements; None for a coupon or yield, a first tranche or a hedged vague size.

    ``prev_types`` are the deal types of the previous sentence's mentions, ``cur_types`` those of
    this sentence's mentions so far.
    """
    typ, cue, level = t
    q, clause, before, sent = a.q, a.clause, a.before, s.text
    if (
        typ in DEAL_TYPES
        and prev_types
        and _CONTINUE.search(sent)
        and (cue is None or _GENERIC_CUES.search(cue or ""))
        and typ != prev_types[-1]
    ):
        typ, cue, level = prev_types[-1], matched_text(_CONTINUE, sent), "continues previous sentence"
    elif typ is None and prev_types and _CONTINUE.search(sent):
        typ, cue, level = prev_types[-1], matched_text(_CONTINUE, sent), "continues previous sentence"
    if q.amount is not None and (_CONSENSUS_BEFORE.search(before) or _CONSENSUS_AFTER.search(a.after)):
        typ, cue, level = "analyst_report", "consensus", "clause (expectation figure)"
    if typ in (None, "other") and q.unit in MONEY and _RAISE_BEFORE.search(before):
        mixed = _DEBT_WORD.search(s.masked) and _EQUITY_WORD.search(s.masked)
        if (
            a.parties
            and not mixed  # a debt-and-equity total is no typed deal (devset convention: other)
            and all(getattr(ents.get(n), "private", False) for n in a.parties)
        ):
            # "xAI扩大融资至200亿美元": a private company raising money without a debt word is a round
            typ, cue, level = "funding_round", matched_text(_RAISE_BEFORE, before), "clause (private company raising)"
    if q.unit == "pct" and (_RATE_PCT_AFTER.search(a.after) or _RATE_PCT_BEFORE.search(before)):
        return None  # a coupon, a yield or an interest rate
    if typ in DEAL_TYPES and _BACKSTOP_BEFORE.search(before):
        typ, cue, level = "other", matched_text(_BACKSTOP_BEFORE, before), f"clause (a guarantee, was {typ})"
    if _EARLIER_SIZE_BEFORE.search(before) and (typ in DEAL_TYPES or typ in (None, "other")):
        if cur_types and cur_types[-1] != typ:
            typ, cue, level = cur_types[-1], matched_text(_EARLIER_SIZE_BEFORE, before), "earlier size of the same deal"
    if typ == "compute_contract" and _TOTALLING_BEFORE.search(before) and _AGG_PLURAL.search(sent):
        typ, cue, level = "aggregate_commitment", matched_text(_TOTALLING_BEFORE, before), "total over agreements"
    if typ in DEAL_TYPES and _TRANCHE_BEFORE.search(before):
        return None  # "首批1吉瓦", "the first $10 billion": a part of a deal already stated
    if q.amount is None and _MODAL_BEFORE.search(before):
        return None  # "可能超过数千亿美元": a hedged guess at a size nobody disclosed
    if typ == "compute_contract" and _OPEN_LIST.search(clause) and len(a.clause_parties) >= 2:
        # "向甲骨文、微软和亚马逊等公司采购约1.4万亿美元的算力": an open list of counterparties is a total
        typ, cue, level = "aggregate_commitment", matched_text(_OPEN_LIST, clause), "clause (open list of parties)"
    if typ in DEAL_TYPES and _REQUIRE_BEFORE.search(before):
        typ, cue, level = "other", matched_text(_REQUIRE_BEFORE, before), f"clause (requirement, was {typ})"
    return typ, cue, level


#: Types a percentage may keep without a share-price word in its clause.
_PCT_TYPES = ("stock_reaction", "credit_move", "earnings", "revenue_fact", "funding_round", "analyst_report")


def party_and_unit_fallbacks(s: Sentence, a: Amount, t: Typing) -> Typing | None:
    """No party named, percentages outside a market context (None: dropped), share counts."""
    typ, cue, level = t
    q, clause = a.q, a.clause
    if typ in DEAL_TYPES and not a.parties:
        typ, cue, level = "other", cue, f"no party named (was {typ})"
    if q.unit == "pct" and q not in s.stakes and typ not in _PCT_TYPES:
        if not STOCK_CUE.search(clause):
            return None  # a percentage outside a market/earnings context is not a fact we keep
        typ, cue, level = "stock_reaction", matched_text(STOCK_CUE, clause), "clause"
    if q.unit == "shares" and typ not in ("warrant_equity_for_orders", "equity_raise", "equity_investment"):
        typ2, cue2 = classify(s.text)
        if typ2 in ("warrant_equity_for_orders", "equity_raise"):
            typ, cue, level = typ2, cue2, "sentence"
    return typ, cue, level


def refine_type(
    s: Sentence, a: Amount, t: Typing, ents: EntityDictionary, prev_types: list[str], cur_types: list[str]
) -> tuple[Amount, Typing] | None:
    """All precision rules in order on the cue type ``t``; None when the amount states no deal."""
    t = financing_corrections(s, a, deal_scope(s, a, t), ents)
    got = market_readings(s, a, t)
    if got is None:
        return None
    a, t2 = credit_and_stake_units(s, a, got)
    got = context_rules(s, a, t2, ents, prev_types, cur_types)
    if got is None:
        return None
    got = party_and_unit_fallbacks(s, a, got)
    return None if got is None else (a, got)

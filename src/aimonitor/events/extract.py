"""Rule-based, explainable extraction of deal mentions from English and Chinese articles.

Companion modules: :mod:`~aimonitor.events.normalize` (traditional -> simplified with offsets kept,
numerals in words, byte encodings), :mod:`~aimonitor.events.cues` (the typed financing cue grammar
applied to the clause that holds each amount), :mod:`~aimonitor.events.scoring` (label scoring),
:mod:`~aimonitor.events.llm` (optional OpenAI-compatible engine). The text is matched in simplified
script; quotes, date phrases and amount texts are sliced from the original.

Pipeline per article:

1. split into sentences (``。！？；!?;``, line breaks, `` - `` bullets, ``[n]`` citation
   marks, and ``. `` in English) and sentences into clauses (commas, colons, and a space
   between two CJK characters, which compilations use as a separator);
2. find quantities (money with its currency as written, GW, shares, basis points,
   percentages; ranges kept as low/high), entities (:mod:`aimonitor.events.entities`)
   and date phrases (resolved against the article's publication date or, inside
   compilations, the latest section stamp);
3. emit one mention per quantity: its entities are those of its clause (plus the
   sentence subject when the clause has none of its own at its start, plus the previous
   sentence's subject for a sentence without entities, e.g. "该公司"); its type comes
   from cue words, clause first, then sentence;
4. a sentence without any quantity but with a strong financing cue (share sale, bond
   issue, funding round) and a party yields one amount-less mention.

Precision rules applied on top (each general, each shown on non-seed sentences in
tests/test_extract.py): a contract total with no named counterparty (这些合同, 超过…的协议,
"contracts") is an ``aggregate_commitment``; a spending total or budget is not a
commitment; consensus figures (分析师预期的X, "consensus of $X") are ``analyst_report``;
conditional sentences (如果/若/if), suppositions (假设…, to the end of the paragraph),
worked calculations (``= X``), yardsticks (X的一半) and requirements (需要X) state no deal;
a deal mention with no party at all becomes ``other``; a continuation sentence (又/另外/
another) with a generic cue keeps the previous sentence's type; a later restatement of an
amount with a subset of the parties is dropped; vague amounts (数百亿美元, "tens of
billions of dollars") give amount-less mentions that keep their unit; a percentage of a
company's equity (10%的股份, "a 27% stake") is kept as a stake; in a compilation the
company in a piece's headline is its default party.

Every rule is a general cue-word or number rule; ``explain`` on each mention says
which cue fired.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aimonitor.errors import DataWarning
from aimonitor.events import cues
from aimonitor.events.articles import Article, ArticleFailure, load_articles
from aimonitor.events.dates import find_dates, pick_date
from aimonitor.events.entities import EntityDictionary, EntityMatch, load_entities
from aimonitor.events.normalize import to_simplified
from aimonitor.events.quantities import Quantity, find_quantities, find_vague_quantities, has_vague_quantity
from aimonitor.events.scoring import (  # noqa: F401  (re-exported for callers of the old API)
    DEAL_TYPES,
    LabelledFact,
    compute_extraction_quality,
    load_labels,
)
from aimonitor.events.sentences import GLOSS, mask_glosses, split_clauses, split_sentences, strip_glosses

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- type cues


def _rx(*alts: str) -> re.Pattern[str]:
    return re.compile("|".join(alts), re.I | re.ASCII)


#: (type, cue pattern), in priority order: the first type whose cue occurs wins.
TYPE_CUES: list[tuple[str, re.Pattern[str]]] = [
    (
        "credit_move",
        _rx(
            r"CDS",
            "信用违约互换",
            "利差",
            "信用评级",
            "评级(?:下调|上调)",
            r"credit default swaps?",
            r"spreads? (?:widen|tighten|jump|rose|rise)",
            r"downgrad",
            r"credit rating",
        ),
    ),
    ("warrant_equity_for_orders", _rx("认股权证", "认证股权", "股份换订单", "送股", r"\bwarrants?\b")),
    (
        "equity_raise",
        _rx(
            "出售股票",
            "发行股票",
            "发行新股",
            "增发",
            "配股",
            "股票发行",
            "出售股份筹资",
            r"(?<!secondary )share sale",
            r"(?<!secondary )stock sale",
            r"equity offering",
            r"sell(?:s|ing)? (?:new )?shares",
            r"equity raise",
            r"convertible",
            r"initial public offering",
            r"\bIPO\b",
            "首次公开(?:发行|募股)",
        ),
    ),
    (
        "debt_raise",
        _rx(
            "借贷",
            "举债",
            "借款",
            "贷款",
            "发债",
            "新债",
            "发行.{0,6}债",
            "债券发行",
            "债务融资",
            "负债",
            "抵押.{0,12}(?:筹集|融资)",
            "(?:筹集|融资).{0,6}债务",
            "信贷",
            r"borrow",
            r"\bloans?\b",
            r"bond (?:sale|issue|offering|deal)",
            r"issued? .{0,20}bonds?",
            r"debt (?:financing|raise|deal|offering)",
            r"raised? .{0,20}debt",
            r"notes offering",
            r"private credit",
        ),
    ),
    (
        "funding_round",
        _rx(
            "轮融资",
            "一轮.{0,12}融资",
            "完成.{0,8}融资",
            "新一轮",
            "风险投资",
            "风投",
            r"venture capital",
            "估值(?!收益|压力)",
            "融资轮",
            r"funding round",
            r"valuation",
            r"valued at",
            r"series [a-h]\b",
            r"raised? .{0,30}from investors",
            # a private company's shares sold on to new investors (employees' stock): priced like a round
            r"secondary (?:share |stock )?sale",
            r"tender offer",
            "二级市场(?:股票|股份)?(?:出售|交易|转让)",
            "员工股(?:票|份)?(?:出售|转让)",
            "老股(?:出售|转让)",
        ),
    ),
    (
        "capex_guidance",
        _rx(
            r"(?:资本支出|资本开支|\bcapex\b|capital expenditures?|capital spending)"
            r"[^。；;]{0,30}?(?:指引|计划|预计|预期|展望|guidance|plans?|expect|forecast|outlook)",
            r"(?:指引|计划|预计|预期|guidance|plans?|expect|forecast|outlook)[^。；;]{0,30}?"
            r"(?:资本支出|资本开支|\bcapex\b|capital expenditures?|capital spending)",
        ),
    ),
    (
        "capex_project",
        _rx(
            "项目",
            "园区",
            "建设数据中心",
            "数据中心建设",
            "建成",
            r"\bproject\b",
            r"\bcampus\b",
            r"build(?:ing)? (?:a |the )?data cent",
        ),
    ),
    (
        "aggregate_commitment",
        _rx(
            "总价值",
            "合作总规模",
            "累计签",
            "(?<!综)合计",
            "总额",
            "与合作伙伴签",
            "合同总",
            r"in total",
            r"total(?:ling)? (?:of )?commitments",
            r"commitments? (?:total|worth)",
            r"combined",
        ),
    ),
    ("earnings", _rx("积压订单", r"backlog")),
    (
        "equity_investment",
        _rx(
            "(?<!资本)(?<!基础设施)(?<!短期)(?<!长期)(?<!风险)投资(?!者|人|级|银行|收益|基金|阶段|回报)",
            "入股",
            "注资",
            "出资",
            "持股",
            "权益",
            "参与.{0,4}融资",
            r"\binvest(?:s|ed|ing|ment)?\b(?![- ](?:bank|grade|authority|corporation|company|firm|management|manager))",
            r"\bstake\b",
        ),
    ),
    (
        "compute_contract",
        _rx(
            "合同",
            "协议",
            "合约",
            "订单",
            "算力租赁",
            "签订",
            "签署",
            "部署",
            "交易(?:价值|金额)",
            "采购",
            r"contract",
            r"agreement",
            r"\bdeal\b",
            r"cloud services?",
            r"to deploy",
            r"compute",
        ),
    ),
    (
        "earnings",
        _rx(
            "财报",
            "季度",
            "季报",
            "每股收益",
            "净利润",
            "营业利润",
            "运营利润",
            "毛利率",
            "业绩",
            "财年",
            "指引",
            r"earnings",
            r"quarter",
            r"\bEPS\b",
            r"net income",
            r"results",
            r"guidance",
        ),
    ),
    (
        "stock_reaction",
        _rx(
            "股价",
            "市值",
            "盘前",
            "盘后",
            "盘中",
            "暴涨",
            "大涨",
            "飙涨",
            "大跌",
            "跌超",
            "涨超",
            "收涨",
            "收跌",
            r"shares? (?:rose|fell|jumped|surged|slumped|climbed|dropped)",
            r"market (?:value|cap)",
            r"stock (?:rose|fell|jumped|surged)",
        ),
    ),
    ("revenue_fact", _rx("营收", "收入", "销售额", "营业额", r"revenue", r"\bsales\b", r"\bARR\b")),
]
_TYPE_PATTERNS = dict(TYPE_CUES)

#: Forecast verbs that make a research house's sentence an analyst report.
_ANALYST_VERBS = _rx(
    "估计",
    "预测",
    "预计",
    "测算",
    "研报",
    "研究报告",
    "报告称",
    "认为",
    "指出",
    "得出结论",
    r"estimat",
    r"forecast",
    r"expects?",
    r"projects?",
    r"said in a note",
    r"note",
)
#: Cues strong enough to make a mention from a sentence without any quantity.
_AMOUNTLESS = ("equity_raise", "debt_raise")
_STOCK_CUE = _rx("股价", "涨", "跌", r"shares? (?:rose|fell|jumped|surged)", r"stock")
#: Amount read as a rate or a price (per unit), not a deal size.
_RATE_BEFORE = re.compile(r"(?:每|一块|一座|一台|单价|价格|\bper\s)[^，,。：:]{0,14}$", re.I)
_RATE_AFTER = re.compile(r"^\s*(?:/|每|per\b|a share|each|[×x*÷](?!\w))", re.I)
#: Costs and prices are estimates of what things cost, not deals.
_COST = re.compile(r"成本|单价|价格|\bcosts?\b|\bprices?\b", re.I)
#: Amount referring back to one already stated ("这1000亿美元").
_ANAPHORA_BEFORE = re.compile(r"(?:这|该|此|上述|these|this|the same)\s*(?:笔)?\s*$", re.I)
#: Hypothetical or interrogative sentences state no fact.
_HYPOTHETICAL = re.compile(r"^\W*(?:假设|假如|假定|比如说|suppose|assuming|imagine)", re.I)
_QUESTION = re.compile(r"[？?]\s*$")
_JOINER = re.compile(r"\s*(?:、|和|与|及|以及|联合|携手|,|and|&|together with)\s*")
_SUBJECT_LEAD = re.compile(r"^[\s*（(“\"]*(?:而|但|且|并|同时|其中|此外|另外|则|and|but|while)?[\s*]*")


_PRONOUN = _rx("该公司", "公司", "其", "它", "他们", r"\bthe company\b", r"\bits?\b", r"\bthey\b")
_ACTION = _rx(
    "宣布", "正准备", "准备", "计划", "拟", "洽谈", "正在", r"announc", r"plans? to", r"in talks", r"is raising"
)

# ---- precision rules (each one general; see tests/test_extract.py for non-seed examples)
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
_AGG_PLURAL = _rx(
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
_SPENDING = _rx("支出", "开支", "预算", "花费", r"\bspend(?:ing)?\b", r"\bbudget", r"\bcapex\b")
#: A sentence continuing the previous fact ("又承接了", "另外约380亿美元", "another $10 billion").
_CONTINUE = _rx("又", "另外", "另有", "此外还", r"\banother\b", r"\ba further\b", r"\badditional\b", r"\balso\b")
#: Cues too generic to override a continued fact's type.
_GENERIC_CUES = _rx(r"^投资$", r"^交易$", r"^invest", r"^deal$", r"^investment$")
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
#: Headline segments separated by a space ("xAI扩大融资至200亿美元 英伟达出资最多20亿美元") are
#: separate statements: a sentence-level type never crosses them.
_SEGMENT_GAP = re.compile(r"(?<=[\u4e00-\u9fff）)”*])\s+(?=[\u4e00-\u9fff（(“*])")
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
#: Conditional sentences ("如果谈判破裂，…可能…") state no fact.
_CONDITIONAL = re.compile(
    r"^\W*(?:如果|假如|倘若|若|要是|万一|if|should|were)\b|^\W*(?:如果|假如|倘若|若|要是|万一)", re.I
)
#: "投资了CoreWeave", "invested in Anthropic": an investment without an amount.
_INVESTED_IN = re.compile(r"(?:投资了|入股了?|注资了?|invested in|took a stake in|has a stake in)\s*\**\s*$", re.I)


#: A sentence about a fund, an index or a crypto token has its own subject: no section topic.
_OWN_SUBJECT = re.compile(
    r"基金|指数|ETF|比特币|以太坊|代币|加密货币"
    r"|\b(?:bitcoin|ether|crypto(?:currenc(?:y|ies))?|tokens?|ETFs?|index|indices)\b"
    r"|\b(?:the|a|this|its)\s+(?:[\w-]+\s+){0,3}funds?\b(?!\s+(?:its|the|their|a|data|new))",
    re.I,
)


_DEPLOY = re.compile(r"\bdeploy|\bchips?\b|\bGPUs?\b|\bsystems\b|部署|芯片|GPU|系统|算力", re.I)
_PRONOUN_IN = re.compile(r"\b(?:it|its|the company|the group)\b|该公司|该集团|这家公司|其", re.I)
_OWN_BUILD = re.compile(r"\binfrastructure\b|\bdata[- ]cent(?:re|er)s?\b|基础设施|数据中心|园区", re.I)
_CAPACITY_TYPES = frozenset({"compute_contract", "capex_project", "aggregate_commitment", "capex_guidance"})
#: A mention typed by a generic deal word only (its explain names the cue).
_GENERIC_EXPLAIN = re.compile(
    r"from clause cue '(?:deals?|agreements?|contracts?|合同|合约|协议|交易价值|交易金额)'$", re.I
)
_STRONG_FIN = frozenset({"credit_move", "warrant_equity_for_orders", "equity_raise", "debt_raise", "funding_round"})


def _is_price(sent: str, q: Quantity) -> bool:
    """A price per share/unit ("每股23.28美元", "$23.28 a share"), unless a financing verb governs it."""
    m = _RATE_BEFORE.search(sent[max(0, q.start - 8) : q.start])
    if m is not None and cues.financing_type(sent[max(0, q.start - 8) + m.start() : q.start]) is None:
        return True
    return bool(_RATE_AFTER.search(sent[q.end :]))


def _hit(rx: re.Pattern[str], text: str) -> str:
    """The text of ``rx``'s first match in ``text`` ("" when none; callers test first)."""
    m = rx.search(text)
    return m.group(0) if m else ""


def _is_source(ents: EntityDictionary, name: str) -> bool:
    e = ents.get(name)
    return bool(e and e.is_source)


def _deal_parties(sent: str, ents: Sequence[EntityMatch]) -> tuple[list[EntityMatch], set[str]]:
    """Non-source entities of ``sent`` that can be deal parties (first mention of each), and
    the names of those named only as suppliers of goods.

    A company named only as the maker of goods inside the sentence ("Nvidia GB300 chips",
    英伟达芯片) is a supplier, not a party, when at least two other parties are named; it is
    never added to a deal it is not already attached to.
    """
    cand = [e for e in ents if not e.entity.is_source]
    supplier_only = set()
    names = {e.entity.name for e in cand}
    for n in names:
        mentions = [e for e in cand if e.entity.name == n]
        if all(cues.is_supplier_mention(sent, e.end) for e in mentions):
            supplier_only.add(n)
    drop = supplier_only if supplier_only and len(names - supplier_only) >= 2 else set()
    out, seen = [], set()
    for e in cand:
        if e.entity.name not in seen and e.entity.name not in drop:
            seen.add(e.entity.name)
            out.append(e)
    return out, supplier_only


def _fin_overrides(typ: str | None, cue: str | None, fin: str, unit: str | None) -> bool:
    """Whether the financing grammar's type replaces the keyword classifier's ``typ``.

    A specific financing verb/object beats a generic deal word, a project/campus word and a
    keyword met first; it never turns a research note, a credit move or a warrant into something else.
    """
    if typ is None or typ in ("other", "capex_project"):
        return True
    if typ == "compute_contract":
        return fin != "compute_contract"
    if typ in ("equity_investment", "aggregate_commitment", "earnings", "revenue_fact"):
        return fin in _STRONG_FIN or (fin == "equity_investment" and typ != "equity_investment")
    if typ in ("debt_raise", "funding_round", "equity_raise"):
        return fin in ("credit_move", "warrant_equity_for_orders", "equity_raise") or (
            typ == "debt_raise" and fin == "funding_round"
        )
    if typ == "stock_reaction":
        return unit not in ("pct",) and fin in _STRONG_FIN
    return False


def classify(text: str) -> tuple[str | None, str | None]:
    """(type, cue) of the first cue in priority order found in ``text``, else (None, None).

    Parenthetical glosses (``（OpenAI: 一家人工智能研究和部署公司）``) are ignored.
    """
    text = strip_glosses(text)
    for typ, rx in TYPE_CUES:
        m = rx.search(text)
        if m:
            return typ, m.group(0)
    return None, None


# --------------------------------------------------------------------------- mentions


@dataclass(frozen=True)
class Mention:
    """One fact pulled out of an article sentence."""

    article: str
    entities: tuple[str, ...]
    tickers: tuple[str, ...]
    type: str
    amount: float | None
    unit: str | None
    date_phrase: str | None
    resolved_date: dt.date | None
    quote: str
    amount_low: float | None = None
    amount_high: float | None = None
    amount_text: str | None = None
    date_precision: str | None = None
    explain: str = ""
    confidence: float = 0.5

    def to_json(self) -> dict:
        return {
            "article": self.article,
            "entities": list(self.entities),
            "tickers": list(self.tickers),
            "type": self.type,
            "amount": self.amount,
            "unit": self.unit,
            "date_phrase": self.date_phrase,
            "resolved_date": self.resolved_date.isoformat() if self.resolved_date else None,
            "quote": self.quote,
            "amount_low": self.amount_low,
            # the upper end of a stated range only (CONTRACT.md); null for a single amount
            "amount_high": self.amount_high
            if self.amount_high is not None and self.amount_high != self.amount
            else None,
            "amount_text": self.amount_text,
            "date_precision": self.date_precision,
            "explain": self.explain,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class ExtractionResult:
    """Articles read, mentions found and files skipped."""

    articles: tuple[Article, ...]
    mentions: tuple[Mention, ...]
    failures: tuple[ArticleFailure, ...] = field(default=())

    def to_json(self) -> dict:
        return {
            "articles": [
                {"path": a.path, "published": a.published.isoformat() if a.published else None, "lang": a.lang}
                for a in self.articles
            ],
            "mentions": [m.to_json() for m in self.mentions],
            "failures": [f.to_json() for f in self.failures],
        }


def _tickers(matches: Iterable[EntityMatch]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names, tickers = [], []
    for m in matches:
        e = m.entity
        if e.name not in names:
            names.append(e.name)
        if e.ticker and not e.is_source and e.ticker not in tickers:
            tickers.append(e.ticker)
    return tuple(names), tuple(tickers)


def _subject(sent: str, ents: Sequence[EntityMatch], clauses: Sequence[tuple[int, int]]) -> list[EntityMatch]:
    """Entities leading a clause (a Chinese subject), the first such clause of the sentence."""
    for a, b in clauses:
        lead = _SUBJECT_LEAD.match(sent[a:b])
        start = a + (lead.end() if lead else 0)
        inside = [e for e in ents if a <= e.start < b]
        if not inside or all(e.entity.is_source for e in inside):
            continue  # "据《金融时报》报道": a quoted source is not the subject
        if inside[0].start <= start + 1:
            # the subject is the run of entities joined by 和/与/、/and
            run = [inside[0]]
            for e in inside[1:]:
                gap = strip_glosses(sent[run[-1].end : e.start]).replace("*", "")
                if e.entity == run[-1].entity or _JOINER.fullmatch(gap):
                    run.append(e)
                else:
                    break
            return run
        return []
    return []


def _amountless_mention(
    path: str, quote: str, names: tuple[str, ...], tickers: tuple[str, ...], typ: str, dp: Any, explain: str
) -> Mention:
    """A mention with parties and a type but no amount (lower confidence than one with an amount)."""
    return Mention(
        article=path,
        entities=names,
        tickers=tickers,
        type=typ,
        amount=None,
        unit=None,
        date_phrase=quote[dp.start : dp.end] if dp else None,
        resolved_date=dp.date if dp else None,
        quote=quote,
        date_precision=dp.precision if dp else None,
        explain=explain,
        confidence=_confidence("sentence", True, True, dp.precision if dp else None) * 0.8,
    )


def extract_mentions(article: Article, entities: EntityDictionary | None = None) -> list[Mention]:
    """All deal, financing, credit and market mentions of one article.

    Parameters
    ----------
    article : Article
        A loaded article (:func:`aimonitor.events.articles.load_article`).
    entities : EntityDictionary, optional
        The entity dictionary (default: the packaged one).

    Returns
    -------
    list of Mention
        One per quantity (money, GW, shares, bp; a percentage only when it is the
        sentence's sole quantity), plus amount-less mentions for strong financing cues.
    """
    ents_dict = entities or load_entities()
    original = article.text
    # traditional -> simplified, same length: spans found in ``text`` slice ``original`` verbatim
    text = to_simplified(original)
    out: list[Mention] = []
    prev_subject: list[EntityMatch] = []
    since_subject = 0
    stamp_pos = [st.pos for st in article.stamps]
    last_end = 0
    bounds = [0] + stamp_pos + [len(text)]
    topics = [
        _headline_topic(text, a, ents_dict) or _section_topic(ents_dict.find(text[a : _body_end(text, b)]))
        for a, b in zip(bounds[:-1], bounds[1:])
    ]
    hypo_until = -1
    prev_sent_types: list[str] = []
    nl = text.find("\n")
    headline_end = nl if nl >= 0 else 0  # a one-line text has no headline of its own
    n_headline: int | None = None
    for s0, s1 in split_sentences(text):
        if n_headline is None and s0 >= headline_end:
            n_headline = len(out)
        sent = text[s0:s1]
        quote = original[s0:s1]
        k = bisect.bisect_left(stamp_pos, last_end)
        if k < len(stamp_pos) and stamp_pos[k] < s1:
            prev_subject = []  # a new piece of a compilation starts: forget the context
            prev_sent_types = []
        last_end = s1
        since_subject += 1
        cur_types: list[str] = []
        if _HYPOTHETICAL.search(sent):
            # a supposition runs to the end of its paragraph ("假设…。…总成本为100万美元。")
            nl = text.find("\n", s1)
            hypo_until = len(text) if nl < 0 else nl
            prev_sent_types = []
            continue
        if s0 < hypo_until or _QUESTION.search(sent) or _CONDITIONAL.search(sent):
            prev_sent_types = []
            continue
        glosses = [(g.start(), g.end()) for g in GLOSS.finditer(sent)]
        # glosses are masked (same length) so their colons and commas do not cut clauses
        masked = mask_glosses(sent)
        ents = [e for e in ents_dict.find(sent) if not any(a < e.start < b for a, b in glosses)]
        quants = find_quantities(sent)
        if not ents and not quants and not has_vague_quantity(masked):
            prev_sent_types = []  # nothing to report and no subject to carry: skip the rest (speed)
            continue
        ref = article.reference_date(s0)
        dates = [d for d in find_dates(sent, ref)]
        # a date phrase must not sit inside a quantity (e.g. 2025年 inside nothing, but be safe)
        dates = [d for d in dates if not any(q.start <= d.start < q.end for q in quants)]
        clauses = split_clauses(masked)
        subject = _subject(sent, ents, clauses) or (ents[:1] if ents else [])
        # entity-less sentences right after a subject (bullets, "该公司") inherit it
        carry = prev_subject if (_PRONOUN.search(sent) or since_subject <= 3) and not _OWN_SUBJECT.search(sent) else []
        if (
            carry
            and re.match(r"^\W*(?:它|该公司|其|公司|the company\b|it\b)", sent, re.I)
            and not (ents and ents[0].start <= 1)
        ):
            subject = list(carry)
        ents_ctx = list(ents) if ents else carry
        sent_type, sent_cue = classify(masked)
        research_subject = bool(ents) and ents[0].entity.is_source and _ANALYST_VERBS.search(sent)
        vague = find_vague_quantities(masked, quants)
        non_pct = [q for q in quants if q.unit != "pct"]
        stakes = [
            q
            for q in quants
            if q.unit == "pct"
            and (_STAKE_AFTER.search(sent[q.end :]) or _STAKE_BEFORE.search(sent[max(0, q.start - 12) : q.start]))
            and not cues.MOVE_NEAR.search(sent[max(0, q.start - 8) : q.start])
            and not _RATE_PCT_AFTER.search(sent[q.end :])
            and not _RATE_PCT_BEFORE.search(sent[max(0, q.start - 14) : q.start])
        ]
        seen_in_sentence: set = set()
        use = sorted(non_pct + stakes + vague, key=lambda q: q.start) if non_pct or vague else quants
        for q in use:
            ca, cb = next(((a, b) for a, b in clauses if a <= q.start < b), (0, len(sent)))
            clause = masked[ca:cb]
            # entities: those of the clause (not across another quantity of the same clause)
            prev_q_end = max([p.end for p in use if p.end <= q.start and p.start >= ca] or [ca])
            if any(q.end <= p.start < cb for p in use):
                next_q_start = q.end
            else:
                # parties named in the following quantity-free clauses belong to this fact
                next_q_start = cb
                for a2, b2 in clauses:
                    if a2 < cb:
                        continue
                    if a2 > cb + 40:
                        break
                    if any(a2 <= p.start < b2 for p in use):
                        break
                    next_q_start = b2
            before = sent[ca : q.start]
            rate_m = _RATE_BEFORE.search(before)
            # 每年1.1个百分点 is a level; "以每股X美元的价格向Y投资Z美元": the verb governs Z, not the price
            rate = (
                rate_m is not None
                and q.unit not in ("pct", "bp", "shares")  # a share count is never a unit price
                and cues.financing_type(before[rate_m.start() :]) is None
            )
            if rate or _RATE_AFTER.search(sent[q.end :]) or _ANAPHORA_BEFORE.search(before):
                continue
            if _CALC_BEFORE.search(before) or _COMPARE_AFTER.search(sent[q.end :]):
                continue  # the result of a worked calculation, or a yardstick ("不到20GW的一半")
            local = [e for e in ents if prev_q_end <= e.start < next_q_start]
            if not ents:
                local = list(carry)
            else:
                lead = _SUBJECT_LEAD.match(clause)
                lead_pos = ca + (lead.end() if lead else 0)
                has_subject = any(e.start <= lead_pos + 1 and ca <= e.start < cb for e in ents) and any(
                    e.start < q.start for e in local
                )
                if not has_subject:
                    local = [e for e in subject if e not in local] + local
                if not local:
                    local = list(subject or ents_ctx)
            if carry and not any(not e.entity.is_source for e in local) and _PRONOUN_IN.search(before):
                # "...after it raised $18 billion": the pronoun stands for the running subject
                local = local + list(carry)
            if not local:
                # no party in reach: fall back to the section's dominant listed company
                sec = bisect.bisect_right(bounds, s0, 0, len(bounds) - 1) - 1
                topic = topics[sec]
                if topic is not None and not _OWN_SUBJECT.search(sent):
                    local = [topic]
            parties_all, suppliers = _deal_parties(sent, ents)
            if parties_all and all(e.entity.is_source for e in local) and q.unit in ("USD", "JPY", "HKD"):
                # only an arranging bank in reach ("Morgan Stanley arranged $27bn of debt for Meta's SPV"):
                # the deal's parties are the others the sentence names
                local = local + [e for e in parties_all if e.entity.name not in suppliers]
            if len(parties_all) >= 2:
                keep_n = {e.entity.name for e in parties_all}
                local = [e for e in local if e.entity.name in keep_n or e.entity.is_source]
                money = [  # prices per share/unit are not deal amounts
                    p for p in use if p.unit in ("USD", "JPY", "HKD") and not _is_price(sent, p)
                ]
                if (q.unit in ("USD", "JPY", "HKD") and len(money) == 1) or (q in stakes and len(money) <= 1):
                    # one financing per sentence: every party named in it belongs to that deal
                    seen_n = {e.entity.name for e in local}
                    local = local + [
                        e for e in parties_all if e.entity.name not in seen_n and e.entity.name not in suppliers
                    ]
            names, tickers = _tickers(sorted(local, key=lambda e: e.start))
            # the deal type: from the clause first, then from the sentence
            typ, cue = classify(clause)
            level = "clause"
            fin = cues.financing_type(strip_glosses(clause))
            if fin is not None and fin[0] != typ and _fin_overrides(typ, cue, fin[0], q.unit):
                typ, cue, level = fin[0], fin[1], "clause (financing verb/object)"
            if typ is None:
                # sentence level, but a clause holding another amount describes that amount
                own = "".join(
                    masked[a:b] + "，" for a, b in clauses if not any(a <= p.start < b for p in use if p is not q)
                )
                typ, cue = classify(own)
                if typ is None:
                    first_nl = text.find("\n")
                    in_headline = s0 < (first_nl if first_nl >= 0 else len(text))
                    segs = [(g.start(), g.end()) for g in _SEGMENT_GAP.finditer(masked)] if in_headline else []
                    if segs:
                        # a headline of several statements: only the amount's own segment speaks for it
                        cuts = [0] + [e for _, e in segs]
                        ends = [a for a, _ in segs] + [len(masked)]
                        sa, sb = next((a, b) for a, b in zip(cuts, ends) if a <= q.start <= b)
                        typ, cue = classify(masked[sa:sb])
                    else:
                        typ, cue = sent_type, sent_cue
                level = "sentence"
                fin = cues.financing_type(strip_glosses(own))
                if fin is not None and fin[0] != typ and _fin_overrides(typ, cue, fin[0], q.unit):
                    typ, cue, level = fin[0], fin[1], "sentence (financing verb/object)"
            if (
                _COST.search(clause)
                and q.unit != "bp"
                and typ != "credit_move"
                and cues.governing_type(strip_glosses(clause), q.start - ca) is None
            ):
                typ, cue, level = "other", _hit(_COST, clause), "clause (cost or price)"
            clause_parties = {e.entity.name for e in ents if ca <= e.start < cb and not e.entity.is_source}
            counterparty = (
                len(clause_parties) >= 2
                or any(ca <= e.start < cb and _WITH.search(sent[ca : e.start]) for e in ents if not e.entity.is_source)
                or any(  # "contracts with OpenAI, worth $300 billion": the counterparty sits in another clause
                    _WITH.search(sent[max(0, e.start - 6) : e.start]) for e in ents if not e.entity.is_source
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
                    _hit(_AGG_PLURAL, strip_glosses(sent)) or _hit(_AGG_LOWER, before),
                    "total without counterparty",
                )
            if typ == "aggregate_commitment" and _SPENDING.search(clause if level == "clause" else masked):
                # a spending total or budget is a plan, not signed commitments
                typ2, cue2 = classify(_TYPE_PATTERNS["aggregate_commitment"].sub("", clause))
                typ, cue, level = (
                    (typ2 if typ2 == "capex_guidance" else "other"),
                    cue2 or "spending",
                    "clause (spending total)",
                )
            if typ == "aggregate_commitment" and len(clause_parties) >= 2:
                # a total between two named parties is one contract, not an aggregate
                rest = [(t, r) for t, r in TYPE_CUES if t != "aggregate_commitment"]
                hit = next(
                    ((t, r.search(strip_glosses(clause))) for t, r in rest if r.search(strip_glosses(clause))),
                    (None, None),
                )
                if hit[0]:
                    typ, cue, level = hit[0], hit[1].group(0) if hit[1] else None, "clause (two parties)"
            parties = [n for n in names if not _is_source(ents_dict, n)]
            if (
                typ == "equity_investment"
                and len(parties) < 2
                and _TYPE_PATTERNS["capex_project"].search(strip_glosses(sent))
            ):
                # spending on one's own project is capex, not an investment in another party
                typ, cue, level = (
                    "capex_project",
                    _hit(_TYPE_PATTERNS["capex_project"], strip_glosses(sent)),
                    "sentence",
                )
            after = sent[q.end :]
            if typ == "equity_investment" and cues.DIVEST.search(clause):
                typ, cue, level = "other", _hit(cues.DIVEST, clause), "clause (a stake sold, not an investment)"
            if typ == "debt_raise" and cues.DEBT_STOCK.search(clause):
                typ, cue, level = "other", _hit(cues.DEBT_STOCK, clause), "clause (debt outstanding, not a raise)"
            if typ in ("aggregate_commitment", "compute_contract") and cues.is_generic_total(cue):
                fin_s = cues.financing_type(strip_glosses(masked))
                if fin_s is not None and fin_s[0] in _STRONG_FIN:
                    typ, cue, level = fin_s[0], fin_s[1], "sentence (financing object; total is generic)"
            obj = cues.object_type(clause, q.end - ca)
            if obj is not None and typ in DEAL_TYPES and typ not in ("credit_move", "warrant_equity_for_orders"):
                if obj[0] != typ:
                    typ, cue, level = obj[0], obj[1], "clause (object of the amount)"
            if typ == "debt_raise" and cues.DEBT_STOCK.search(clause):
                typ, cue, level = "other", _hit(cues.DEBT_STOCK, clause), "clause (debt outstanding, not a raise)"
            if (
                typ == "funding_round"
                and cues.VALUATION.search(clause)
                and tickers
                and all(not getattr(ents_dict.get(n), "private", True) for n in names if not _is_source(ents_dict, n))
                and _STOCK_CUE.search(strip_glosses(masked))
            ):
                # a listed company "valued at" X in a sentence about its shares: a market value, not a round
                typ, cue, level = "stock_reaction", "market value", "sentence (listed company's valuation)"
            if q.unit in ("USD", "JPY", "HKD") and q.amount is not None and q.amount < 1e6 and typ in DEAL_TYPES:
                typ, cue, level = "other", "small amount", "clause (a price, not a deal size)"
            gov = cues.governing_type(strip_glosses(clause), q.start - ca)
            if gov is not None and gov[0] == "equity_investment" and typ == "funding_round":
                typ, cue, level = gov[0], gov[1], "clause (verb governing the amount)"
            if q.unit in ("USD", "JPY", "HKD") and (
                cues.ORDERS_BEFORE.search(before) or cues.ORDERS_AFTER.search(after)
            ):
                typ, cue, level = "other", "orders", "clause (order book, not the deal)"
            if (
                q.unit in ("USD", "JPY", "HKD")
                and cues.PRICE_BEFORE.search(before)
                and cues.PRICE_CONTEXT.search(clause)
                and not cues.financing_type(clause[: q.start - ca])
            ):
                continue  # a share, token or index price is not a deal amount
            if q.unit in ("USD", "JPY", "HKD") and cues.MARKET_VALUE.search(before):
                typ, cue, level = "stock_reaction", "market value", "clause (market value)"
            if q.unit == "GW" and typ in DEAL_TYPES and typ not in _CAPACITY_TYPES:
                typ, cue, level = (
                    ("compute_contract", "deploy", "capacity")
                    if _DEPLOY.search(sent)
                    else ("capex_project", "capacity", "capacity")
                )
            if (
                typ == "equity_investment"
                and _OWN_BUILD.search(clause)
                and not any(q.end <= e.start < cb and not e.entity.is_source for e in ents)
            ):
                typ, cue, level = "capex_project", _hit(_OWN_BUILD, clause), "clause (own build-out)"
            if research_subject and typ != "credit_move":
                typ, cue, level = "analyst_report", _hit(_ANALYST_VERBS, sent), "sentence (research source)"
            if (
                q.unit == "pct"
                and q not in stakes
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
                typ, cue, level = "credit_move", "percentage points of a credit measure", "unit (converted to bp)"
            if q.unit == "pct" and typ == "credit_move" and q not in stakes:
                # "CDS fell 17%": a relative change of the price, not a level in bp
                typ, cue, level = "other", "relative change", "clause (credit price change in %)"
            if q.unit == "bp" and typ in DEAL_TYPES and typ != "credit_move":
                typ, cue, level = "credit_move", "bp", "unit (a spread in basis points)"
            if q.unit == "bp" and typ is None:
                typ, cue, level = "credit_move", "bp", "unit"
            if q in stakes:
                if typ != "warrant_equity_for_orders":
                    typ2, cue2 = classify(sent)
                    typ, cue, level = (
                        ("warrant_equity_for_orders", cue2, "sentence (stake)")
                        if typ2 == "warrant_equity_for_orders"
                        else ("equity_investment", "stake", "clause (stake)")
                    )
            if (
                typ in DEAL_TYPES
                and prev_sent_types
                and _CONTINUE.search(sent)
                and (cue is None or _GENERIC_CUES.search(cue or ""))
                and typ != prev_sent_types[-1]
            ):
                typ, cue, level = prev_sent_types[-1], _hit(_CONTINUE, sent), "continues previous sentence"
            elif typ is None and prev_sent_types and _CONTINUE.search(sent):
                typ, cue, level = prev_sent_types[-1], _hit(_CONTINUE, sent), "continues previous sentence"
            if q.amount is not None and (_CONSENSUS_BEFORE.search(before) or _CONSENSUS_AFTER.search(sent[q.end :])):
                typ, cue, level = "analyst_report", "consensus", "clause (expectation figure)"
            if typ in (None, "other") and q.unit in ("USD", "JPY", "HKD") and _RAISE_BEFORE.search(before):
                private = [n for n in names if not _is_source(ents_dict, n)]
                mixed = _DEBT_WORD.search(masked) and _EQUITY_WORD.search(masked)
                if (
                    private
                    and not mixed  # a debt-and-equity total is no typed deal (devset convention: other)
                    and all(getattr(ents_dict.get(n), "private", False) for n in private)
                ):
                    # "xAI扩大融资至200亿美元": a private company raising money without a debt word is a round
                    typ, cue, level = "funding_round", _hit(_RAISE_BEFORE, before), "clause (private company raising)"
            if q.unit == "pct" and (_RATE_PCT_AFTER.search(after) or _RATE_PCT_BEFORE.search(before)):
                continue  # a coupon, a yield or an interest rate
            if typ in DEAL_TYPES and _BACKSTOP_BEFORE.search(before):
                typ, cue, level = "other", _hit(_BACKSTOP_BEFORE, before), f"clause (a guarantee, was {typ})"
            if _EARLIER_SIZE_BEFORE.search(before) and (typ in DEAL_TYPES or typ in (None, "other")):
                if cur_types and cur_types[-1] != typ:
                    typ, cue, level = cur_types[-1], _hit(_EARLIER_SIZE_BEFORE, before), "earlier size of the same deal"
            if typ == "compute_contract" and _TOTALLING_BEFORE.search(before) and _AGG_PLURAL.search(sent):
                typ, cue, level = "aggregate_commitment", _hit(_TOTALLING_BEFORE, before), "total over agreements"
            if typ in DEAL_TYPES and _TRANCHE_BEFORE.search(before):
                continue  # "首批1吉瓦", "the first $10 billion": a part of a deal already stated
            if q.amount is None and _MODAL_BEFORE.search(before):
                continue  # "可能超过数千亿美元": a hedged guess at a size nobody disclosed
            if typ == "compute_contract" and _OPEN_LIST.search(clause) and len(clause_parties) >= 2:
                # "向甲骨文、微软和亚马逊等公司采购约1.4万亿美元的算力": an open list of counterparties is a total
                typ, cue, level = "aggregate_commitment", _hit(_OPEN_LIST, clause), "clause (open list of parties)"
            if typ in DEAL_TYPES and _REQUIRE_BEFORE.search(before):
                typ, cue, level = "other", _hit(_REQUIRE_BEFORE, before), f"clause (requirement, was {typ})"
            if typ in DEAL_TYPES and not any(not _is_source(ents_dict, n) for n in names):
                typ, cue, level = "other", cue, f"no party named (was {typ})"
            if (
                q.unit == "pct"
                and q not in stakes
                and typ
                not in ("stock_reaction", "credit_move", "earnings", "revenue_fact", "funding_round", "analyst_report")
            ):
                if _STOCK_CUE.search(clause):
                    typ, cue, level = "stock_reaction", _hit(_STOCK_CUE, clause), "clause"
                else:
                    continue  # a percentage outside a market/earnings context is not a fact we keep
            if q.unit == "shares" and typ not in ("warrant_equity_for_orders", "equity_raise", "equity_investment"):
                typ2, cue2 = classify(sent)
                if typ2 in ("warrant_equity_for_orders", "equity_raise"):
                    typ, cue, level = typ2, cue2, "sentence"
            typ = typ or "other"
            key = (q.amount, q.low, q.high, q.unit, tickers)
            if key in seen_in_sentence:
                continue  # the sentence restates the same amount ("这意味着...")
            seen_in_sentence.add(key)
            if typ in DEAL_TYPES:
                cur_types.append(typ)
            dp = pick_date(dates, ca, cb)
            out.append(
                Mention(
                    article=article.path,
                    entities=names,
                    tickers=tickers,
                    type=typ,
                    amount=q.amount if q.amount is not None else q.low,
                    unit=q.unit,
                    date_phrase=quote[dp.start : dp.end] if dp else None,
                    resolved_date=dp.date if dp else None,
                    quote=quote,
                    amount_low=q.low,
                    amount_high=q.high,
                    amount_text=quote[q.start : q.end],
                    date_precision=dp.precision if dp else None,
                    explain=f"amount {q.text!r}; type {typ} from {level} cue {cue!r}"
                    if cue
                    else f"amount {q.text!r}; no type cue",
                    confidence=_confidence(
                        level if cue else "none",
                        bool(ents) and any(ca <= e.start < cb for e in ents if not e.entity.is_source),
                        bool(names),
                        dp.precision if dp else None,
                    ),
                )
            )
        if not quants and not vague and ents:
            typ, cue = classify(masked)
            inv = next((e for e in ents if not e.entity.is_source and _INVESTED_IN.search(masked[: e.start])), None)
            if inv is not None and typ not in _AMOUNTLESS:
                # "英伟达还投资了CoreWeave": an investment between two named parties, no amount
                typ, cue = "equity_investment", _hit(_INVESTED_IN, masked[: inv.start]).strip()
                names, tickers = _tickers([e for e in (subject or ents[:1]) if e.entity != inv.entity] + [inv])
                if len(names) >= 2:
                    out.append(
                        _amountless_mention(
                            article.path,
                            quote,
                            names,
                            tickers,
                            typ,
                            pick_date(dates, 0, len(sent)),
                            f"no amount; type {typ} from cue {cue!r}",
                        )
                    )
            if typ in _AMOUNTLESS and any(not e.entity.is_source for e in ents) and _ACTION.search(masked):
                names, tickers = _tickers(subject or ents)
                out.append(
                    _amountless_mention(
                        article.path,
                        quote,
                        names,
                        tickers,
                        typ,
                        pick_date(dates, 0, len(sent)),
                        f"no amount; type {typ} from sentence cue {cue!r}",
                    )
                )
        prev_sent_types = cur_types
        lead_ents = [e for e in (subject or ents) if not e.entity.is_source]
        if lead_ents:
            since_subject = 0
        if ents:  # a sentence naming nobody keeps the running subject (bullets under one heading)
            prev_subject = (
                lead_ents[:1] if not subject else ([e for e in subject if not e.entity.is_source] or lead_ents[:1])
            )
    return _dedupe(_drop_rounded_headline(out, n_headline if n_headline is not None else 0))


def _drop_rounded_headline(mentions: list[Mention], n_headline: int) -> list[Mention]:
    """Headlines round ("$14bn deal", body "$14.2 billion"): a headline amount within 5% of a body
    amount of the same type and unit is that fact restated, and the body's precise figure stays."""
    head, body = mentions[:n_headline], mentions[n_headline:]
    keep = []
    for h in head:
        rounded = (
            h.type in DEAL_TYPES
            and h.amount
            and any(
                b.type == h.type
                and b.unit == h.unit
                and b.amount
                and b.amount != h.amount
                and abs(h.amount - b.amount) <= 0.05 * abs(b.amount)
                for b in body
            )
        )
        exact = any(b.amount == h.amount and b.unit == h.unit for b in body)
        if not rounded or exact:
            keep.append(h)
    return keep + body


_DATE_SPECIFICITY = {"day": 5, "month_part": 4, "week": 3, "month": 2, "year": 1, None: 0}


def _confidence(level: str, party_in_clause: bool, any_party: bool, date_precision: str | None) -> float:
    """A review-ordering score in [0, 1]: cue strength x party certainty, nudged by date certainty.

    Cue strength: the financing grammar in the amount's clause 0.9, another clause cue 0.8, a
    cue found in the sentence 0.65, a rule that re-typed the amount (continuation, stake, unit)
    0.6, no cue 0.3. Parties: named in the amount's clause x1, only elsewhere in the sentence or
    carried from context x0.8, none x0.5. A resolved day adds 0.05, no date phrase takes 0.05.
    """
    if level == "none":
        cue = 0.3
    elif level.startswith("clause (financing"):
        cue = 0.9
    elif level.startswith("clause"):
        cue = 0.8
    elif level.startswith("sentence"):
        cue = 0.65
    else:
        cue = 0.6
    party = 1.0 if party_in_clause else (0.8 if any_party else 0.5)
    date = {"day": 0.05, None: -0.05}.get(date_precision, 0.0)
    return round(min(1.0, max(0.0, cue * party + date)), 3)


def _dates_compatible(a: Mention, b: Mention) -> bool:
    return a.resolved_date is None or b.resolved_date is None or a.resolved_date == b.resolved_date


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """Drop repeats of one fact within an article.

    One fact = (type, amount, amount_high, unit, parties, resolved date): two financings of the
    same size on different dates are two facts. Of the repeats, the most specific mention is
    kept (a dated one over an undated one, a day over a month), in the place of the first. A
    later restatement of an amount already reported with the same unit whose listed parties are
    a subset of the earlier mention's also goes (articles recap "the $1 trillion" without naming
    the partners again), unless its date differs. Amount-less mentions are kept once per type
    and parties.
    """
    out: list[Mention] = []
    index: dict[tuple, list[int]] = {}
    first: dict[tuple, list[int]] = {}
    for m in mentions:
        base = (m.article, m.type, m.amount, m.amount_high if m.amount is not None else None, m.unit)
        key = base + (frozenset(m.tickers), frozenset(m.entities) if m.amount is None else None)
        hit = next((j for j in index.get(key, []) if _dates_compatible(out[j], m)), None)
        if hit is not None:
            if _DATE_SPECIFICITY.get(m.date_precision, 0) > _DATE_SPECIFICITY.get(out[hit].date_precision, 0):
                out[hit] = m
            continue
        if m.amount is not None and m.type != "stock_reaction":
            akey = (m.article, m.amount, m.unit)
            tick = frozenset(m.tickers)
            same = next(
                (
                    j
                    for j in first.get(akey, [])
                    if tick <= frozenset(out[j].tickers)
                    and (out[j].type == m.type or out[j].type in DEAL_TYPES)
                    and _dates_compatible(out[j], m)
                ),
                None,
            )
            if same is not None:
                kept = out[same]
                if (
                    kept.type != m.type
                    and m.type in _STRONG_FIN
                    and _GENERIC_EXPLAIN.search(kept.explain)
                    and m.confidence > kept.confidence + 0.05
                ):
                    # the same amount restated with a clearer financing cue ("Nebius to raise $3bn after
                    # Microsoft deal" / "raise $3 billion through a share sale"): the clearer type wins
                    out[same] = m
                    if m.resolved_date is None:
                        out[same] = replace(
                            out[same],
                            date_phrase=kept.date_phrase,
                            resolved_date=kept.resolved_date,
                            date_precision=kept.date_precision,
                        )
                    continue
                if kept.resolved_date is None and m.resolved_date is not None and kept.type == m.type:
                    # the headline states the deal, the body says when: keep the date
                    out[same] = replace(
                        kept,
                        date_phrase=m.date_phrase,
                        resolved_date=m.resolved_date,
                        date_precision=m.date_precision,
                    )
                continue
            first.setdefault(akey, []).append(len(out))
        index.setdefault(key, []).append(len(out))
        out.append(m)
    return _drop_party_subsets(out)


def _drop_party_subsets(mentions: list[Mention]) -> list[Mention]:
    """One deal stated twice, once with fewer parties (a headline naming one side, the body both):
    the mention whose listed parties are a strict subset of another's with the same type, amount
    and unit goes, whichever came first."""
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(mentions):
        if (m.amount is not None or m.unit is not None) and m.type in DEAL_TYPES:  # amounts, vague amounts
            groups.setdefault((m.article, m.type, m.amount, m.amount_high, m.unit), []).append(i)
    drop: set[int] = set()
    for idx in groups.values():
        for i in idx:
            ti = frozenset(mentions[i].tickers)
            if any(
                ti < frozenset(mentions[k].tickers) and _dates_compatible(mentions[i], mentions[k])
                for k in idx
                if k != i
            ):
                drop.add(i)
    return [m for i, m in enumerate(mentions) if i not in drop]


def _headline_topic(text: str, start: int, ents: EntityDictionary) -> EntityMatch | None:
    """The listed company named in the headline just above a compilation stamp at ``start``."""
    if start <= 0:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    prev_end = text.rfind("\n", 0, max(line_start - 1, 0))
    if line_start <= 0:
        return None
    headline = text[prev_end + 1 : line_start - 1]
    for e in ents.find(headline):
        if e.entity.is_listed and not e.entity.is_source:
            return e
    return None


def _body_end(text: str, stamp: int) -> int:
    """End of a compilation piece's body: the start of the next piece's headline line.

    The next piece's headline sits on the line above its stamp, so it must not count
    towards this piece's topic (a crypto piece followed by a "Bloom Energy" headline).
    """
    if stamp >= len(text):
        return len(text)
    line_start = text.rfind("\n", 0, stamp) + 1
    prev = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    return prev if 0 < prev < line_start else line_start


def _section_topic(matches: Sequence[EntityMatch]) -> EntityMatch | None:
    """The listed company named in at least half of a section's entity matches, if any."""
    if not matches:
        return None
    counts: dict[str, int] = {}
    first: dict[str, EntityMatch] = {}
    for m in matches:
        counts[m.entity.name] = counts.get(m.entity.name, 0) + 1
        first.setdefault(m.entity.name, m)
    name, n = max(counts.items(), key=lambda kv: kv[1])
    e = first[name]
    if e.entity.is_listed and not e.entity.is_source and n * 2 >= len(matches):
        return e
    return None


def extract_paths(
    paths: Iterable[str | Path],
    entities: EntityDictionary | None = None,
    max_bytes: int | None = None,
    llm: Any = None,
    environ: Mapping[str, str] | None = None,
) -> ExtractionResult:
    """Load articles and extract their mentions; unreadable files become ``failures``.

    ``llm`` (an ``[extract]`` config section with ``base_url``, ``model``, ``api_key_env`` and
    ``timeout``) sends each article to an OpenAI-compatible endpoint
    (:mod:`aimonitor.events.llm`); when that fails for an article, a :class:`DataWarning` says
    so and the rules extract it instead.
    """
    kw = {} if max_bytes is None else {"max_bytes": max_bytes}
    articles, failures = load_articles(paths, **kw)
    ents = entities or load_entities()
    mentions: list[Mention] = []
    for a in articles:
        if llm is not None:
            from aimonitor.events.llm import LLMFailure

            try:
                mentions.extend(_llm_mentions(a, llm, environ))
                continue
            except LLMFailure as exc:
                log.warning("%s: LLM engine failed (%s); used the rules instead", a.path, exc)
                warnings.warn(f"{a.path}: LLM engine failed ({exc}); used the rules instead", DataWarning, stacklevel=2)
        mentions.extend(extract_mentions(a, ents))
    log.info("extracted %d mentions from %d articles (%d skipped)", len(mentions), len(articles), len(failures))
    return ExtractionResult(tuple(articles), tuple(mentions), tuple(failures))


def _llm_mentions(article: Article, llm: Any, environ: Mapping[str, str] | None) -> list[Mention]:
    from aimonitor.events.llm import LLMFailure, fetch_mentions

    if not llm.base_url or not llm.model:
        raise LLMFailure('[extract] base_url and model must be set for engine = "openai"')
    got = fetch_mentions(
        article.text,
        base_url=llm.base_url,
        model=llm.model,
        api_key_env=llm.api_key_env,
        timeout=llm.timeout,
        published=article.published,
        environ=environ,
    )
    return [
        Mention(
            article=article.path,
            entities=tuple(m.entities),
            tickers=tuple(m.tickers),
            type=m.type,
            amount=m.amount,
            unit=m.unit,
            date_phrase=m.date_phrase,
            resolved_date=m.resolved_date,
            quote=m.quote,
            amount_low=m.amount,
            amount_high=m.amount_high if m.amount_high is not None else m.amount,
            amount_text=None,
            explain="llm engine",
            confidence=m.confidence,
        )
        for m in got
    ]


def article_from_text(text: str, path: str = "<text>", published: dt.date | None = None) -> Article:
    """An :class:`Article` from text already in memory (a passage, an LLM fallback, a test)."""
    from aimonitor.events.articles import detect_lang, find_publication_date, find_stamps

    return Article(
        path=path,
        text=text,
        lang=detect_lang(text),
        published=published if published is not None else find_publication_date(text),
        stamps=find_stamps(text),
    )

"""Typing an amount by cue words: the keyword classifier and its merge with the financing grammar.

:data:`TYPE_CUES` lists each mention type's cue words in priority order (the first type whose cue
occurs wins); :func:`classify` applies them to a clause or a sentence. :func:`cue_type` gives an
amount its first reading: the cue of its own clause, else of the sentence's clauses that hold no
other amount (in a headline of several statements, its own segment), with the typed financing
grammar (:mod:`aimonitor.events.cues`) overriding a weaker keyword at each level. The precision
rules (:mod:`aimonitor.events.precision`) then correct that reading.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aimonitor.events import cues
from aimonitor.events.sentences import SEGMENT_GAP, strip_glosses

if TYPE_CHECKING:
    from aimonitor.events.sentences import Amount, Sentence

#: (type, cue, level): a mention type, the cue that gave it and where the cue was found.
Typing = tuple[str | None, str | None, str]


def cue_pattern(*alts: str) -> re.Pattern[str]:
    """One case-insensitive pattern of alternative cue words (``\\b`` is ASCII-only, so it also
    bounds English words that touch Chinese characters)."""
    return re.compile("|".join(alts), re.I | re.ASCII)


#: (type, cue pattern), in priority order: the first type whose cue occurs wins.
TYPE_CUES: list[tuple[str, re.Pattern[str]]] = [
    (
        "credit_move",
        cue_pattern(
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
    ("warrant_equity_for_orders", cue_pattern("认股权证", "认证股权", "股份换订单", "送股", r"\bwarrants?\b")),
    (
        "equity_raise",
        cue_pattern(
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
        cue_pattern(
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
        cue_pattern(
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
        cue_pattern(
            r"(?:资本支出|资本开支|\bcapex\b|capital expenditures?|capital spending)"
            r"[^。；;]{0,30}?(?:指引|计划|预计|预期|展望|guidance|plans?|expect|forecast|outlook)",
            r"(?:指引|计划|预计|预期|guidance|plans?|expect|forecast|outlook)[^。；;]{0,30}?"
            r"(?:资本支出|资本开支|\bcapex\b|capital expenditures?|capital spending)",
        ),
    ),
    (
        "capex_project",
        cue_pattern(
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
        cue_pattern(
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
    ("earnings", cue_pattern("积压订单", r"backlog")),
    (
        "equity_investment",
        cue_pattern(
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
        cue_pattern(
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
        cue_pattern(
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
        cue_pattern(
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
    ("revenue_fact", cue_pattern("营收", "收入", "销售额", "营业额", r"revenue", r"\bsales\b", r"\bARR\b")),
]
TYPE_PATTERNS = dict(TYPE_CUES)

#: Forecast verbs that make a research house's sentence an analyst report.
ANALYST_VERBS = cue_pattern(
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
#: Share-price words: a percentage in their clause is a market move.
STOCK_CUE = cue_pattern("股价", "涨", "跌", r"shares? (?:rose|fell|jumped|surged)", r"stock")

#: Financing types specific enough to beat a generic deal or total word.
STRONG_FIN = frozenset({"credit_move", "warrant_equity_for_orders", "equity_raise", "debt_raise", "funding_round"})


def fin_overrides(typ: str | None, cue: str | None, fin: str, unit: str | None) -> bool:
    """Whether the financing grammar's type replaces the keyword classifier's ``typ``.

    A specific financing verb/object beats a generic deal word, a project/campus word and a
    keyword met first; it never turns a research note, a credit move or a warrant into something else.
    """
    if typ is None or typ in ("other", "capex_project"):
        return True
    if typ == "compute_contract":
        return fin != "compute_contract"
    if typ in ("equity_investment", "aggregate_commitment", "earnings", "revenue_fact"):
        return fin in STRONG_FIN or (fin == "equity_investment" and typ != "equity_investment")
    if typ in ("debt_raise", "funding_round", "equity_raise"):
        return fin in ("credit_move", "warrant_equity_for_orders", "equity_raise") or (
            typ == "debt_raise" and fin == "funding_round"
        )
    if typ == "stock_reaction":
        return unit not in ("pct",) and fin in STRONG_FIN
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


def matched_text(rx: re.Pattern[str], text: str) -> str:
    """The text of ``rx``'s first match in ``text`` ("" when none; callers test first)."""
    m = rx.search(text)
    return m.group(0) if m else ""


def cue_type(s: Sentence, a: Amount) -> Typing:
    """The first reading of an amount's type: its clause's cue, else the sentence's.

    At each level the financing grammar's type replaces the keyword's when :func:`fin_overrides`
    says so. At sentence level, clauses holding another amount describe that amount and are left
    out; a headline of several space-separated statements is read in the amount's segment only.
    """
    q, clause = a.q, a.clause
    typ, cue = classify(clause)
    level = "clause"
    fin = cues.financing_type(strip_glosses(clause))
    if fin is not None and fin[0] != typ and fin_overrides(typ, cue, fin[0], q.unit):
        typ, cue, level = fin[0], fin[1], "clause (financing verb/object)"
    if typ is not None:
        return typ, cue, level
    # sentence level, but a clause holding another amount describes that amount
    own = "".join(
        s.masked[ca:cb] + "，" for ca, cb in s.clauses if not any(ca <= p.start < cb for p in s.amounts if p is not q)
    )
    typ, cue = classify(own)
    if typ is None:
        # headline segments separated by a space ("xAI扩大融资至200亿美元 英伟达出资最多20亿美元") are
        # separate statements: a sentence-level type never crosses them
        segs = [(g.start(), g.end()) for g in SEGMENT_GAP.finditer(s.masked)] if s.in_headline else []
        if segs:
            cuts = [0] + [end for _, end in segs]
            ends = [start for start, _ in segs] + [len(s.masked)]
            sa, sb = next((x, y) for x, y in zip(cuts, ends) if x <= q.start <= y)
            typ, cue = classify(s.masked[sa:sb])
        else:
            typ, cue = s.type, s.cue
    level = "sentence"
    fin = cues.financing_type(strip_glosses(own))
    if fin is not None and fin[0] != typ and fin_overrides(typ, cue, fin[0], q.unit):
        typ, cue, level = fin[0], fin[1], "sentence (financing verb/object)"
    return typ, cue, level

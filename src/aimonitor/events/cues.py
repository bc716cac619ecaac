"""Typed cue grammar: which kind of financing the clause holding an amount describes.

The type of a fact is read from the financing verb and its object *in the clause that holds the
amount* (``sold $18bn of investment-grade bonds``, ``获得380亿美元贷款``), not from the first
keyword of the sentence. Cues are word-bounded in English ("investment-grade" is not
"investment", "notes" is not "denotes"); Chinese text has been converted to simplified script
before it gets here (:func:`aimonitor.events.normalize.to_simplified`).

Priority (first match wins), from the most to the least specific:

1. ``credit_move``: CDS, credit default swaps, "cost of insuring/to insure" debt, a bond spread
   over Treasuries (levels in bp, or in percentage points converted to bp by the caller);
2. ``warrant_equity_for_orders``: warrants;
3. ``equity_raise``: convertible notes/bonds, at-the-market programmes, share sales;
4. ``funding_round`` (valuation): "valued at", "values X at", 估值;
5. ``equity_investment`` (verb): "invest(s/ed) ... in", 向X投资, 入股, 注资;
6. ``funding_round`` (round): Series A-H, funding round, 轮融资;
7. ``debt_raise``: bonds, notes, loans, term loans, credit facilities, private credit, project
   finance, SPVs, debt packages, 债券, 公司债, 票据, 贷款, 私募信贷, 项目融资, 发债, 举债;
8. ``equity_investment`` (noun): stake, equity investment, 股权投资;
9. ``compute_contract``: contracts and agreements for capacity, compute, cloud services.

Generic words ("deal", "agreement", 协议) only decide when nothing more specific is in the clause.
"""

from __future__ import annotations

import re

_F = re.I


def _w(*alts: str) -> re.Pattern[str]:
    return re.compile("|".join(alts), _F)


#: (type, pattern) in priority order.
FINANCING_CUES: list[tuple[str, re.Pattern[str]]] = [
    (
        "credit_move",
        _w(
            r"\bCDS\b",
            r"\bcredit[- ]default[- ]swaps?\b",
            r"\bcost (?:of|to) (?:insur|protect)",
            r"\binsur(?:e|ing) (?:its |the )?(?:debt|bonds?)\b",
            r"\bdefault (?:insurance|protection)\b",
            r"\bspreads?\b[^.;]{0,40}\b(?:over|above) (?:comparable )?Treasur",
            r"\bspreads?\b[^.;]{0,40}\b(?:widen|tighten|blew out|jump|narrow)",
            "信用违约互换",
            "信用违约交换",
            "违约互换",
            "违约交换",
            "信用违约合约",
            "违约(?:的)?成本",
            "违约保险",
            "违约保护",
            "利差",
        ),
    ),
    ("warrant_equity_for_orders", _w(r"\bwarrants?\b", "认股权证", "认购权证")),
    (
        "equity_raise",
        _w(
            r"\bconvertible\b",
            r"\bat[- ]the[- ]market\b",
            r"\bATM (?:program|programme|offering|facility)",
            r"(?<!secondary )\b(?:share|stock|equity) (?:sale|offering|issuance)s?\b",
            r"\bsell(?:s|ing)? (?:up to )?[^,;.]{0,30}\b(?:of (?:new |common )?(?:stock|shares)|new shares)\b",
            r"\bsecondary offering\b",
            r"\binitial public offering\b",
            r"\bIPO\b",
            "首次公开(?:发行|募股)",
            "IPO",
            "可转换",
            "可转债",
            "市场股权计划",
            "市价发行",
            "增发",
            "配股",
            "发行新股",
            "现金增资",
            "市价增资",
            "出售[^，,。；;]{0,10}股票",
            "出售股票",
            "股票发行",
            "发行股票",
        ),
    ),
    (
        "funding_round",
        _w(
            r"\bvalu(?:e|ed|ing|es)\b[^,;.]{0,40}\bat\b",
            r"\bvaluation\b",
            "估值(?!收益|压力|损失)",
            r"\bsecondary (?:share |stock )?sale\b",
            r"\btender offer\b",
            "二级市场(?:股票|股份)?(?:出售|交易|转让)",
            "员工股(?:票|份)?(?:出售|转让)",
            "老股(?:出售|转让)",
        ),
    ),
    (
        "equity_investment",
        _w(
            r"\binvest(?:s|ed|ing)?\b(?![- ]grade)",
            r"\bto invest\b",
            "(?<!将)向[^，,。]{1,20}投资(?!级|者|人)",
            "(?<!基础设施)(?<!资本)(?<!短期)(?<!长期)投资(?:最多|至多|高达|逾|约)",
            "入股",
            "注资",
        ),
    ),
    (
        "funding_round",
        _w(
            r"\bseries [a-h]\b",
            r"\b(?:funding|financing|fundraising|venture) rounds?\b",
            r"\bround of (?:funding|financing)\b",
            r"\braised? [^,;.]{0,30}\bfrom investors\b",
            r"\bin an? (?:new |fresh |funding |financing )?round\b",
            "[a-hA-H天种]轮",
            "轮融资",
            "融资轮",
        ),
    ),
    (
        "aggregate_commitment",
        _w(r"\b(?:AI |infrastructure |investment )+(?:programme|program|partnership|fund)\b"),
    ),
    (
        "debt_raise",
        _w(
            r"\bbonds?\b",
            r"\bnotes?\b(?! that)",
            r"\bdebentures?\b",
            r"\b(?:term |bridge |construction |syndicated |delayed[- ]draw )?loans?\b",
            r"\bcredit (?:facility|facilities|line|lines)\b",
            r"\brevolving\b",
            r"\bprivate[- ]credit\b",
            r"\bprivate[- ]debt\b",
            r"\bproject[- ]financ",
            r"\bdebt (?:package|financing|deal|sale|offering|raise|issuance)s?\b",
            r"\bfinancing (?:package|deal)\b",
            r"\bspecial[- ]purpose vehicle\b",
            r"\bSPV\b",
            r"\bborrow(?:s|ed|ing)?\b",
            r"\bdebt\b",
            "债券",
            "公司债",
            "发债",
            "举债",
            "票据",
            "贷款",
            "信贷",
            "借款",
            "借贷",
            "项目融资",
            "债务融资",
            "债务部分",
            "融资安排",
            "特殊目的",
            r"\bbanks?\b",
            r"\blenders?\b",
            "银行团",
            "银团",
        ),
    ),
    (
        "equity_investment",
        _w(
            r"\bstake\b",
            r"\bequity investment\b",
            r"\binvestment\b(?![- ](?:grade|bank|authority|corporation|company|firm|management|manager))",
            "股权投资",
            r"\bof equity\b",
            "(?<!资本)(?<!基础设施)(?<!短期)(?<!长期)投资(?!级|者|人|银行|基金|回报|收益)",
        ),
    ),
    (
        "compute_contract",
        _w(
            r"\bcontracts?\b",
            r"\bagreements?\b",
            r"\bdeals?\b",
            r"\bcloud (?:services|computing|capacity)\b",
            r"\bsuppl(?:y|ies|ied|ying)\b",
            r"\bcomputing power\b",
            r"\bdeploy(?:s|ed|ing|ment)?\b",
            "部署",
            r"\b(?:buy|bought|purchas|rent|leas)\w*\b[^,;.]{0,40}\b(?:comput\w*|capacity|cloud|GPUs?)\b",
            "(?:购买|采购|租用)[^，,。；;]{0,15}(?:算力|云|GPU|容量)",
            r"\b(?:GPU|computing|compute|cloud|AI|data[- ]cent(?:er|re)) capacity\b",
            "供应",
            "合同",
            "合约",
            "协议",
            "云服务",
            "交易(?:价值|金额)",
        ),
    ),
]


def financing_type(clause: str) -> tuple[str, str] | None:
    """(type, cue) of the most specific financing cue in ``clause``, or None."""
    for typ, rx in FINANCING_CUES:
        m = rx.search(clause)
        if m:
            return typ, m.group(0)
    return None


#: An amount that is demand for a deal (order book), not the deal: "orders of $88bn", 认购880亿.
ORDERS_BEFORE = re.compile(
    r"(?:\border(?:s| book)?\b|\bdemand\b|\bbids?\b|认购订单|订单|认购|需求)[^,;，；]{0,16}$", re.I
)
ORDERS_AFTER = re.compile(r"^[^,;，；。]{0,6}(?:认购|订单|的订单|of orders|in orders|in bids)", re.I)

#: A price level (a share, a token, an index), not a deal size: "rose 3% to $201.03", 跌破9.5万美元.
PRICE_BEFORE = re.compile(
    r"(?:\b(?:rose|fell|jumped|slid|dropped|climbed|gained|lost|surged|slumped|sank|plunged|tumbled|rallied"
    r"|slipped|closed|ended|traded|trading|hit|reached|was)\b[^,;.]{0,25}\b(?:to|at)\s*(?:about |around )?$"
    r"|\b(?:below|above|near|around)\s*$|(?:跌破|升破|突破|站上|失守|收于|报|跌至|涨至|上涨\S{0,4}至|下跌\S{0,4}至)\s*\S{0,2}$)",
    re.I,
)
PRICE_CONTEXT = re.compile(
    r"\bshares?\b|\bstock\b|\bbitcoin\b|\bether\b|\bindex\b|\bS&P 500\b|\bNasdaq\b|\bDow\b"
    r"|股价|比特币|以太坊|指数|代币",
    re.I,
)
MARKET_VALUE = re.compile(r"\bmarket (?:value|cap(?:italisation|italization)?)\b|市值", re.I)

#: A percentage that is a share-price or index move, not a stake.
MOVE_NEAR = re.compile(
    r"(?:\b(?:up|down)\b(?!\s+to\b)|\b(?:rose|fell|jumped|slid|dropped|climbed|gained|lost|surged|slumped|sank|plunged)\b"
    r"|涨|跌|挫|升|降)",
    re.I,
)

#: A level quoted in percentage points of a credit measure (1.1 percentage points = 110 bp).
PCT_POINTS = re.compile(r"percentage points?|百分点", re.I)

#: A brand + product ("Nvidia GB300 chips", 英伟达芯片): the company is a supplier there.
PRODUCT_AFTER = re.compile(
    r"^\s*(?:[A-Z][A-Za-z0-9]*\s+){0,2}(?:chips?|GPUs?|processors|accelerators|systems|servers|hardware|capacity)\b"
    r"|^\s*(?:[A-Za-z0-9]+\s*){0,2}(?:芯片|GPU|图形处理器|处理器|系统|服务器|算力)",
)

#: "...becomes the upstream supplier of both" (成为…的上游供应商): a supplier role.
SUPPLIER_AFTER = re.compile(r"^[^，,。；;]{0,20}?(?:供应商|供货商|\bsuppliers?\b|\bvendors?\b)", re.I)


def is_supplier_mention(sent: str, end: int) -> bool:
    """Whether the company named just before ``end`` is named as a maker/supplier of goods."""
    tail = sent[end : end + 30]
    return bool(PRODUCT_AFTER.search(tail) or SUPPLIER_AFTER.search(tail))


#: A valuation word ("valuing the company at", 估值).
VALUATION = re.compile(r"\bvalu(?:e|ed|ing|es|ation)\b|估值", re.I)

#: A stock of debt (outstanding, on the balance sheet), not a new raise.
DEBT_STOCK = re.compile(
    r"\boutstanding\b|\bended [^,;.]{0,30}\bwith\b|\bdebt (?:load|pile|burden)\b|\btotal debt\b"
    r"|\b(?:has|had|have|carr(?:y|ies|ied|ying)|sits? on|with)\b [^,;.]{0,30}\bof (?:long-term |total |net )?debt\b"
    r"|未偿|长期债务|债务总额|总债务|债务约为|债务约|负债总额|负债合计|背负",
    re.I,
)
_TOTAL = re.compile(r"^(?:总额|合计|总计|总价值|in total|combined|total(?:ling)?)$", re.I)


def is_generic_total(cue: str | None) -> bool:
    """True for a "total" word (总额, "in total") that says nothing about the kind of deal."""
    return bool(cue) and bool(_TOTAL.match((cue or "").strip()))


_GAP = re.compile(
    r"^\s*(?:(?:约|大约|最多|至多|高达|逾|超过|了|近|up to|about|roughly|as much as|another|an additional)\s*){0,3}$",
    re.I,
)


def governing_type(clause: str, amount_pos: int) -> tuple[str, str] | None:
    """(type, cue) of a financing cue that directly governs the amount at ``amount_pos``.

    "投资最多150亿美元", "invest up to $15 billion": the verb ends right before the amount
    (only hedges such as 最多/约/up to in between).
    """
    best: tuple[int, str, str] | None = None
    for typ, rx in FINANCING_CUES:
        for m in rx.finditer(clause, 0, amount_pos + 1):
            if m.end() <= amount_pos and _GAP.match(clause[m.end() : amount_pos]):
                gap = amount_pos - m.end()
                if best is None or gap < best[0]:
                    best = (gap, typ, m.group(0))
    return None if best is None else (best[1], best[2])


#: A percentage given as a level ("rose to 1.4%", 升至1.4%), not as a change ("rose 17%").
LEVEL_BEFORE = re.compile(
    r"(?:\b(?:to|at|of)\s+(?:about |around |roughly |nearly )?|(?:至|达|为|报|于)\s*(?:约|大约)?)$", re.I
)


#: A financing noun right after an amount is its object: "$2.5 billion of equity", 270亿美元债务.
_OBJECTS: list[tuple[str, re.Pattern[str]]] = [
    (
        "funding_round",
        re.compile(
            r"^\s*(?:(?:funding|financing|fundraising|venture|equity|series [a-h])\s+)?rounds?\b"
            r"|^\s*(?:的)?(?:[a-h]轮|新一轮|一轮)?(?:轮融资|融资轮)",
            re.I,
        ),
    ),
    ("equity_investment", re.compile(r"^\s*(?:of\s+)?(?:new\s+)?equity\b|^\s*(?:的)?股权(?!投资)", re.I)),
    (
        "debt_raise",
        re.compile(
            r"^\s*(?:of\s+)?(?:new\s+|senior\s+|secured\s+|unsecured\s+)*(?:debt|bonds?|notes|loans?)\b"
            r"|^\s*(?:的)?(?:债务|债券|贷款|票据|公司债)",
            re.I,
        ),
    ),
]


def object_type(clause: str, amount_end: int) -> tuple[str, str] | None:
    """(type, object) when a financing noun directly follows the amount ending at ``amount_end``."""
    tail = clause[amount_end : amount_end + 30]
    for typ, rx in _OBJECTS:
        m = rx.search(tail)
        if m:
            return typ, m.group(0).strip()
    return None


#: Selling a stake is a divestment, not an investment: "sold its entire Nvidia stake", 出清持股.
DIVEST = re.compile(
    r"\b(?:sold|sells?|selling|offload\w*|divest\w*|dump\w*|exit\w*)\b[^,;.]{0,40}\b(?:stake|holding|shares)\b"
    r"|(?:出售|出清|清仓|减持|抛售)[^，,。；;]{0,15}(?:股份|持股|股权|股票)",
    re.I,
)

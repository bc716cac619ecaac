"""Out-of-seed extraction: traditional/simplified Chinese and English phrasing of the loop's deals.

Expected values are written from the sentences themselves (figures as the sentence states them),
not from the extractor's output. The development / held-out set lives in
tests/fixtures/events/devset (see its README); these tests pin the families of rules.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from aimonitor.errors import DataWarning
from aimonitor.events.catalog import write_candidates_csv
from aimonitor.events.entities import load_entities
from aimonitor.events.extract import article_from_text, extract_mentions, extract_paths
from aimonitor.events.normalize import decode_text, parse_en_number, parse_zh_number, to_simplified
from aimonitor.events.scoring import compute_extraction_quality, load_labels, load_passages

FIX = Path(__file__).resolve().parent / "fixtures" / "events" / "devset"


def facts(text: str, published: dt.date | None = dt.date(2025, 11, 20)):
    return {
        (m.type, m.amount, m.amount_high, m.unit, tuple(sorted(m.tickers)))
        for m in extract_mentions(article_from_text(text, "t", published))
    }


def deal_facts(text: str):
    keep = {
        "debt_raise",
        "equity_raise",
        "equity_investment",
        "funding_round",
        "compute_contract",
        "credit_move",
        "warrant_equity_for_orders",
        "capex_project",
        "aggregate_commitment",
    }
    return {f for f in facts(text) if f[0] in keep}


# ---------------------------------------------------------------- normalisation


def test_traditional_to_simplified_keeps_length_and_meaning():
    src = "輝達將向OpenAI投資最多1,000億美元，藍鴞資本發債。"
    out = to_simplified(src)
    assert len(out) == len(src)
    assert out == "辉达将向OpenAI投资最多1,000亿美元，蓝鸮资本发债。"


def test_numerals_in_words():
    assert parse_zh_number("一百八十") == 180
    assert parse_zh_number("两千") == 2000
    assert parse_en_number("seven") == 7
    assert parse_en_number("twenty-five") == 25


@pytest.mark.parametrize("enc", ["gb18030", "big5", "utf-16"])
def test_legacy_encodings_are_detected(enc):
    text = "甲骨文週三發行180億美元投資級公司債，吸引近880億美元認購。"
    got = decode_text(text.encode(enc))
    assert got is not None and got[0] == text


def test_encoded_files_give_the_same_facts(tmp_path):
    text = "甲骨文週三發行180億美元投資級公司債。"
    paths = []
    for enc in ("utf-8", "gb18030", "big5", "utf-16"):
        p = tmp_path / f"a_{enc}.txt"
        p.write_bytes(text.encode(enc))
        paths.append(p)
    res = extract_paths(paths)
    assert not res.failures
    got = {(Path(m.article).name, m.type, m.amount, m.tickers) for m in res.mentions}
    for p in paths:
        assert (p.name, "debt_raise", 18e9, ("ORCL",)) in got


# ---------------------------------------------------------------- traditional Chinese


def test_traditional_quote_stays_verbatim():
    text = "甲骨文重返資本市場尋求380億美元貸款，用於德州和威斯康辛州的兩座資料中心。"
    ms = extract_mentions(article_from_text(text, "t", dt.date(2026, 1, 15)))
    hit = [m for m in ms if m.type == "debt_raise" and m.amount == 38e9]
    assert hit and hit[0].tickers == ("ORCL",)
    assert hit[0].quote in text and "資本" in hit[0].quote  # original script, not 资本


def test_traditional_cds_in_basis_points():
    assert ("credit_move", 705.0, 705.0, "bp", ("CRWV",)) in facts("CoreWeave五年期信用違約交換利差擴大至705個基點。")


# ---------------------------------------------------------------- typed cue grammar


def test_investment_grade_bond_is_debt_not_investment():
    got = deal_facts("Oracle sold $18 billion of investment-grade bonds on Wednesday.")
    assert got == {("debt_raise", 18e9, 18e9, "USD", ("ORCL",))}


def test_order_book_is_not_a_deal():
    got = deal_facts("Meta sold $30 billion of bonds, drawing orders of about $125 billion.")
    assert got == {("debt_raise", 30e9, 30e9, "USD", ("META",))}
    got = deal_facts("甲骨文周三发行了180亿美元投资级债券，认购订单接近880亿美元。")
    assert got == {("debt_raise", 18e9, 18e9, "USD", ("ORCL",))}


def test_specific_financing_beats_generic_deal():
    got = deal_facts("Blue Owl and Crusoe arranged a $15 billion project financing deal for the Abilene campus.")
    assert got == {("debt_raise", 15e9, 15e9, "USD", ("OWL",))}
    got = deal_facts("CoreWeave secured a $2.6 billion delayed-draw term loan under a new agreement.")
    assert got == {("debt_raise", 2.6e9, 2.6e9, "USD", ("CRWV",))}


def test_convertible_and_at_the_market_are_equity_raises():
    assert deal_facts("IREN priced $1 billion of convertible notes due 2031.") == {
        ("equity_raise", 1e9, 1e9, "USD", ("IREN",))
    }
    assert ("equity_raise", 20e9, 20e9, "USD", ("ORCL",)) in deal_facts(
        "Oracle plans to sell up to $20 billion of stock through an at-the-market programme."
    )


def test_funding_round_and_valuation():
    got = deal_facts("Nscale raised $1.1 billion in a Series B that values the company at $3 billion.")
    assert ("funding_round", 1.1e9, 1.1e9, "USD", ()) in got
    assert ("funding_round", 3e9, 3e9, "USD", ()) in got


def test_cost_of_insurance_in_percentage_points_is_bp():
    got = deal_facts("The cost of insuring Oracle's debt for five years rose to about 1.25 percentage points.")
    assert got == {("credit_move", 125.0, 125.0, "bp", ("ORCL",))}
    got = deal_facts("防范甲骨文未来五年债务违约的成本升至每年约1.11个百分点。")
    assert got == {("credit_move", 111.0, 111.0, "bp", ("ORCL",))}


def test_ranges_are_one_mention():
    got = deal_facts("Oracle is seeking between $38 billion and $40 billion of loans for two campuses.")
    assert got == {("debt_raise", 38e9, 40e9, "USD", ("ORCL",))}
    got = deal_facts("甲骨文表示将在2026年初进行一次债券发行，规模约为225亿至250亿美元。")
    assert got == {("debt_raise", 22.5e9, 25e9, "USD", ("ORCL",))}


def test_number_words():
    got = deal_facts("OpenAI will deploy seven gigawatts of AMD chips under the agreement.")
    assert ("compute_contract", 7.0, 7.0, "GW", ("AMD",)) in got
    assert ("debt_raise", 18e9, 18e9, "USD", ("ORCL",)) in deal_facts("甲骨文九月发行了一百八十亿美元债券。")


def test_prices_and_index_levels_are_not_deals():
    assert deal_facts("Shares of Nvidia rose 3% to $201.03 on Wednesday.") == set()
    assert deal_facts("Bitcoin slid below $95,000 while the S&P 500 fell 1.2% to 6,700 points.") == set()
    assert deal_facts("比特币周五跌破9.5万美元，纳斯达克指数下跌1.5%。") == set()


def test_stake_and_money_are_both_facts():
    got = deal_facts(
        "Meta lined up a $27 billion private-credit financing, with funds managed by Blue Owl taking an 80% stake."
    )
    assert ("debt_raise", 27e9, 27e9, "USD", ("META", "OWL")) in got
    assert ("equity_investment", 80.0, 80.0, "pct", ("META", "OWL")) in got


def test_share_move_percentage_is_not_a_stake():
    got = facts("CoreWeave said it plans to raise $2 billion through convertible notes, sending its shares down 4%.")
    assert not any(f[0] == "equity_investment" for f in got)


# ---------------------------------------------------------------- entities


def test_aliases_are_case_insensitive_and_word_bounded():
    d = load_entities()
    got = [(m.entity.name, m.alias) for m in d.find("coreweave and NEBIUS, not the metaverse or Nebiusx")]
    assert got == [("CoreWeave", "coreweave"), ("Nebius", "NEBIUS")]


def test_supplier_of_goods_is_not_a_party():
    got = deal_facts("Microsoft signed a $9.7 billion agreement with IREN for access to Nvidia GB300 chips.")
    assert got == {("compute_contract", 9.7e9, 9.7e9, "USD", ("IREN", "MSFT"))}


def test_the_company_resolves_to_the_paragraph_subject():
    text = "CoreWeave reported results on Tuesday. The company said it closed a $2.6 billion term loan."
    assert ("debt_raise", 2.6e9, 2.6e9, "USD", ("CRWV",)) in deal_facts(text)


def test_seed_crypto_and_fund_sentences_are_not_attributed_to_companies():
    seeds = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("004_*.txt"))
    res = extract_paths(seeds)
    for m in res.mentions:
        if "比特币" in m.quote or "WisdomTree" in m.quote:
            assert "BE" not in m.tickers and "SPGI" not in m.tickers, m.quote


# ---------------------------------------------------------------- de-duplication, confidence


def test_two_financings_of_the_same_size_on_different_dates_are_kept():
    text = "2025年9月1日，甲骨文发行了50亿美元债券。\n2025年11月3日，甲骨文又发行了50亿美元债券。"
    ms = [m for m in extract_mentions(article_from_text(text, "t", dt.date(2025, 11, 20))) if m.type == "debt_raise"]
    assert sorted(m.resolved_date for m in ms) == [dt.date(2025, 9, 1), dt.date(2025, 11, 3)]


def test_repeat_keeps_the_dated_mention():
    text = "Oracle sold $18 billion of bonds. On September 24, 2025, Oracle sold $18 billion of bonds."
    ms = [m for m in extract_mentions(article_from_text(text, "t", dt.date(2025, 9, 30))) if m.type == "debt_raise"]
    assert len(ms) == 1 and ms[0].resolved_date == dt.date(2025, 9, 24)


def test_confidence_is_a_score_in_unit_interval():
    ms = extract_mentions(
        article_from_text(
            "Oracle sold $18 billion of bonds on Wednesday. It was a big week.", "t", dt.date(2025, 9, 25)
        )
    )
    assert ms and all(0.0 <= m.confidence <= 1.0 for m in ms)
    doc = ms[0].to_json()
    assert {"amount_high", "confidence"} <= set(doc)


# ---------------------------------------------------------------- candidate CSV


def test_candidate_csv_neutralises_formulas(tmp_path):
    text = '=HYPERLINK("http://evil","x") Oracle sold $18 billion of bonds.'
    ms = extract_mentions(article_from_text(text, "=cmd.txt", dt.date(2025, 9, 25)))
    assert ms
    out = tmp_path / "cand.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        write_candidates_csv(ms, out)
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    for row in rows:
        for col, val in row.items():
            assert not val.startswith(("=", "+", "@")), (col, val)
    assert rows[0]["source_quote_zh"].startswith("'=HYPERLINK")


# ---------------------------------------------------------------- dev set plumbing


def test_devset_is_balanced_and_labelled():
    ps = load_passages(FIX / "passages.jsonl")
    labels = load_labels(FIX / "labels.csv")
    assert len(ps) >= 90
    for lang in ("en", "zh-Hans", "zh-Hant"):
        assert sum(p.lang == lang for p in ps) >= 30
        assert sum(p.lang == lang and p.split == "heldout" for p in ps) >= 12
    ids = {p.id for p in ps}
    assert {f.article for f in labels} <= ids
    # a range label carries both ends
    assert any(f.amount == 22.5e9 and f.amount_high == 25e9 for f in labels)


def test_scoring_counts_secondary_labels_for_precision_only():
    labels = load_labels(FIX / "labels.csv")
    en05 = [f for f in labels if f.article == "en05"]
    ms = extract_mentions(article_from_text("Five-year CDS on CoreWeave widened to 370 basis points.", "en05", None))
    q = compute_extraction_quality(ms, en05)
    assert q["n_labels"] == 1 and q["found"] == 0  # 705 bp is the headline, 370 is secondary
    assert q["precision"] == 1.0


def test_credit_level_in_percent_is_bp_but_a_relative_change_is_not():
    assert deal_facts("Oracle five-year CDS rose to 1.4%, the highest since 2009.") == {
        ("credit_move", 140.0, 140.0, "bp", ("ORCL",))
    }
    assert deal_facts("Oracle five-year CDS fell 17% after the funding plan.") == set()


def test_selling_a_stake_is_not_an_investment():
    assert deal_facts("SoftBank sold its remaining Nvidia shares for $5.8 billion in October.") == set()
    assert deal_facts("软银以58亿美元出清所持英伟达股份。") == set()


def test_the_noun_after_an_amount_is_its_object():
    got = deal_facts("Goldman Sachs arranged $12 billion of debt and $3 billion of equity for a venture owned by Meta.")
    assert ("debt_raise", 12e9, 12e9, "USD", ("META",)) in got
    assert ("equity_investment", 3e9, 3e9, "USD", ("META",)) in got


def test_banks_lending_to_a_developer_is_debt():
    got = deal_facts("Banks are providing a $9 billion package for a Crusoe campus that Oracle will lease.")
    assert got == {("debt_raise", 9e9, 9e9, "USD", ("ORCL",))}


def test_outstanding_debt_is_not_a_raise():
    assert deal_facts("Oracle had about $105 billion of debt outstanding at the end of November.") == set()


def test_price_per_share_is_not_a_deal_but_the_investment_is():
    got = deal_facts("Nvidia will buy $2 billion of Synopsys stock at $414.79 a share.")
    assert not any(f[1] == 414.79 for f in got)


# ---------------------------------------------------------------- full-article families (batch 7)


def test_coupon_and_yield_percentages_are_not_stakes():
    got = deal_facts("Cipher Mining sold $1.1 billion of notes. The notes carry a 7.125% coupon.")
    assert got == {("debt_raise", 1.1e9, 1.1e9, "USD", ("CIFR",))}
    got = deal_facts("甲骨文发行了50亿美元债券，票面利率为5.2%。")
    assert got == {("debt_raise", 5e9, 5e9, "USD", ("ORCL",))}


def test_earlier_size_of_a_deal_takes_the_deal_type():
    got = deal_facts("CoreWeave priced $2.25 billion of senior notes, up from an initial $1.75 billion.")
    assert got == {
        ("debt_raise", 2.25e9, 2.25e9, "USD", ("CRWV",)),
        ("debt_raise", 1.75e9, 1.75e9, "USD", ("CRWV",)),
    }


def test_a_guarantee_is_not_a_financing_of_the_guarantor():
    got = deal_facts("Alphabet guaranteed $1.4 billion of the lease payments owed to Cipher Mining.")
    assert not any(f[1] == 1.4e9 for f in got)


def test_agreements_totalling_an_amount_are_an_aggregate():
    got = deal_facts("OpenAI has signed agreements totalling about $1 trillion with Nvidia, AMD and Oracle.")
    assert got == {("aggregate_commitment", 1e12, 1e12, "USD", ("AMD", "NVDA", "ORCL"))}


def test_headline_segments_do_not_lend_each_other_a_type():
    # "raises to $20bn" is the lab's round; "invests up to $2bn" is Nvidia's investment
    got = deal_facts("xAI融资规模扩大至200亿美元 英伟达出资最多20亿美元\n消息人士透露了上述安排。")
    assert ("funding_round", 20e9, 20e9, "USD", ()) in got
    assert ("equity_investment", 2e9, 2e9, "USD", ("NVDA",)) in got
    assert not any(f[0] == "equity_investment" and f[1] == 20e9 for f in got)


def test_secondary_share_sale_of_a_lab_is_priced_like_a_round():
    got = deal_facts("Anthropic is weighing a secondary share sale of about $6 billion for employees.")
    assert got == {("funding_round", 6e9, 6e9, "USD", ())}


def test_headline_and_body_restating_one_deal_keep_the_fuller_party_set():
    text = (
        "CoreWeave wins $3 billion contract\n"
        "Microsoft has signed a $3 billion contract with CoreWeave for AI computing capacity."
    )
    got = deal_facts(text)
    assert got == {("compute_contract", 3e9, 3e9, "USD", ("CRWV", "MSFT"))}


def test_debt_and_equity_total_of_a_private_lab_is_not_a_round():
    got = deal_facts("Anthropic通过债务和股权共筹集了约80亿美元。")
    assert not any(f[1] == 8e9 for f in got)


def test_debt_a_company_has_is_not_a_raise():
    assert deal_facts("Oracle has about $105 billion of debt on its balance sheet.") == set()
    assert deal_facts("甲骨文目前背负逾1000亿美元债务。") == set()


def test_listed_company_valued_by_its_shares_is_not_a_round():
    assert deal_facts("CoreWeave's stock has doubled since March, valuing the company at about $65 billion.") == set()
    assert deal_facts("CoreWeave股价今年累计上涨逾一倍，公司估值升至约650亿美元。") == set()
    # a private lab's valuation stays a round fact
    assert deal_facts("The round values Anthropic at $183 billion.") == {("funding_round", 183e9, 183e9, "USD", ())}


def test_an_amount_followed_by_round_is_a_round():
    got = deal_facts("It is the largest private deal after OpenAI's $40 billion round in March.")
    assert got == {("funding_round", 40e9, 40e9, "USD", ())}


def test_epithets_name_the_lab():
    ents = load_entities()
    assert [m.entity.name for m in ents.find("The ChatGPT maker signed; the Claude maker raised")] == [
        "OpenAI",
        "Anthropic",
    ]


def test_a_rounded_headline_amount_is_the_body_fact():
    text = (
        "Meta signs $14bn cloud deal with CoreWeave\n"
        "CoreWeave said on Tuesday that Meta had agreed to pay up to $14.2 billion for cloud computing capacity."
    )
    assert deal_facts(text) == {("compute_contract", 14.2e9, 14.2e9, "USD", ("CRWV", "META"))}


def test_first_tranche_and_hedged_vague_sizes_are_not_facts():
    got = deal_facts("英伟达将向OpenAI投资最多1000亿美元。首笔100亿美元投资将在签署最终协议后到位。")
    assert got == {("equity_investment", 100e9, 100e9, "USD", ("NVDA",))}
    assert deal_facts("博通与OpenAI签署协议，知情人士称该协议的价值可能超过数千亿美元。") == set()


def test_open_list_of_counterparties_is_an_aggregate():
    got = deal_facts("OpenAI已承诺向甲骨文、微软和亚马逊等公司采购约1.4万亿美元的算力。")
    assert got == {("aggregate_commitment", 1.4e12, 1.4e12, "USD", ("AMZN", "MSFT", "ORCL"))}


def test_headline_fact_takes_the_body_date():
    text = "Amazon sells $15 billion of bonds\nAmazon sold $15 billion of bonds on Monday, its first in three years."
    ms = [m for m in extract_mentions(article_from_text(text, "t", dt.date(2025, 11, 18))) if m.type == "debt_raise"]
    assert [(m.amount, m.resolved_date) for m in ms] == [(15e9, dt.date(2025, 11, 17))]


def test_one_contract_said_so_is_not_an_aggregate():
    got = deal_facts("CoreWeave周一宣布与一家AI初创公司签署一份价值逾50亿美元的合约。")
    assert got == {("compute_contract", 5e9, 5e9, "USD", ("CRWV",))}


def test_ipo_proceeds_are_an_equity_raise():
    got = deal_facts("CoreWeave raised $1.5 billion in its initial public offering, pricing shares at $40.")
    assert got == {("equity_raise", 1.5e9, 1.5e9, "USD", ("CRWV",))}


def test_body_restatement_with_a_financing_cue_retypes_a_generic_headline():
    text = (
        "Nebius to raise $3 billion after Microsoft deal\n"
        "Nebius said on Wednesday it plans to raise about $3 billion through a share sale and convertible notes."
    )
    assert deal_facts(text) == {("equity_raise", 3e9, 3e9, "USD", ("NBIS",))}

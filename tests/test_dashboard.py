"""The dashboard's data and HTML without a browser: status logic, formatting, layering."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from aimonitor.errors import AimonitorError
from aimonitor.report.dashboard import (
    AlertRow,
    Chart,
    DashboardData,
    Marker,
    StatusCard,
    Trace,
    render_dashboard,
    status_of,
)
from aimonitor.reports import build_dashboard_data, firing_on, status_since, write_dashboard_report

ROOT = Path(__file__).resolve().parents[1]


def _a(fired, resolved=None, severity="warning", rule="r", symbol="ORCL"):
    return {"rule": rule, "symbol": symbol, "severity": severity, "fired": fired, "resolved": resolved}


def test_firing_on_and_status_since_by_hand():
    a = _a("2025-11-03", "2025-11-10")
    assert firing_on(a, "2025-11-03") and firing_on(a, "2025-11-07")
    assert not firing_on(a, "2025-11-10") and not firing_on(a, "2025-10-31")
    assert not firing_on({"fired": None, "resolved": None}, "2025-11-03")
    # a warning from Nov 3 to Nov 12 overlaps a critical from Nov 10, still firing: stressed since Nov 3
    alerts = [_a("2025-11-03", "2025-11-12"), _a("2025-11-10", None, "critical")]
    assert status_since(alerts, "2025-11-20") == "2025-11-03"
    # a gap (resolved Nov 5, next fired Nov 10) starts a new run
    alerts = [_a("2025-11-03", "2025-11-05"), _a("2025-11-10", None)]
    assert status_since(alerts, "2025-11-20") == "2025-11-10"
    # resolved the day the next one fires: contiguous
    alerts = [_a("2025-11-03", "2025-11-10"), _a("2025-11-10", None)]
    assert status_since(alerts, "2025-11-20") == "2025-11-03"
    assert status_since([_a("2025-11-03", "2025-11-05")], "2025-11-20") is None
    assert status_of([]) == "ok" and status_of(["info", "critical", "warning"]) == "critical"


def _data(**kw) -> DashboardData:
    base = dict(
        as_of="2025-11-28",
        start="2025-06-02",
        end="2025-11-28",
        generated_at="2025-11-29 09:00 UTC",
        watchlist=("ORCL", "NVDA"),
        cards=(
            StatusCard(
                "ORCL",
                "Oracle",
                "critical",
                "2025-11-03",
                ("ORCL is -41.0% below its 52-week high",),
                proxy_bp=142.0,
                proxy_change_20d_bp=38.0,
                proxy_low_bp=120.0,
                proxy_high_bp=170.0,
                cds_bp=104.0,
                cds_date="2025-11-26",
                drawdown=-0.41,
            ),
            StatusCard("NVDA", "Nvidia", "ok", None, proxy_bp=40.0, proxy_change_20d_bp=-2.0, drawdown=-0.08),
        ),
        loop_status="critical",
        loop_since="2025-11-03",
        charts=(Chart("p", "Prices", "index", (Trace("ORCL", ["2025-11-27", "2025-11-28"], [100.0, None]),)),),
        markers=(Marker(1, "2025-09-22", "NVDA–OpenAI investment $100B", "EV07", ("NVDA",)),),
        firing=(AlertRow("drawdown_critical", "ORCL", "critical", "firing", "2025-11-03", None, -0.41, "ORCL down"),),
        data_quality=(AlertRow("stale_data", "HYG", "warning", "firing", "2025-11-20", None, 7.0, "HYG stale", True),),
    )
    base.update(kw)
    return DashboardData(**base)


def test_render_cards_contract_attributes():
    html = render_dashboard(_data(), plotly_bundle="/* plotly stub */")
    assert re.search(r'data-symbol="ORCL" data-status="critical" data-since="2025-11-03"', html)
    nv = re.search(r'<div class="card" data-symbol="NVDA"[^>]*>', html).group(0)
    assert 'data-status="ok"' in nv and "data-since" not in nv  # absent when ok
    assert "142 bp" in html and "+38 bp" in html and "(120–170)" in html and "104 bp" in html and "-41.0%" in html
    assert "generated at" in html and "2025-11-29 09:00 UTC" in html
    # dates never wrap; the firing table keeps data quality apart from market stress
    assert '<span class="d">2025-11-03</span>' in html
    assert html.index("Firing now: market stress") < html.index("HYG stale")
    assert html.index("Firing now: data quality") < html.index("HYG stale")
    assert "Loop under stress" in html and "ORCL" in html
    # JSON in a script tag cannot close it; NaN became null
    assert '"y": [100.0, null]' in html
    assert "/* plotly stub */" in html


def test_render_escapes_text():
    bad = StatusCard("ORCL", "<script>alert(1)</script>", "ok", None)
    html = render_dashboard(_data(cards=(bad,)), plotly_bundle="")
    assert "<script>alert(1)</script>" not in html


def test_reports_never_read_the_store_or_clock():
    for name in ("dashboard.py", "graph.py"):
        src = (ROOT / "src" / "aimonitor" / "report" / name).read_text(encoding="utf-8")
        imports = re.findall(r"^\s*(?:from|import) (aimonitor\.[\w.]+)", src, re.M)
        assert not [m for m in imports if re.match(r"aimonitor\.(store|services|pipeline|reports|demo)", m)], name
        assert "datetime.now" not in src and "dt.datetime.now" not in src and "date.today" not in src


def test_build_from_the_snapshot(cfg, snapshot_store):
    data = build_dashboard_data(
        cfg, snapshot_store, start=dt.date(2025, 6, 2), end=dt.date(2025, 11, 28), generated_at="then"
    )
    assert data.as_of == "2025-11-28" and data.generated_at == "then"
    assert [c.symbol for c in data.cards] == ["ORCL", "CRWV", "AMD", "NVDA"]
    # card names are the packaged entity dictionary's (data/entities.toml), not a second list
    assert [c.name for c in data.cards] == ["Oracle", "CoreWeave", "AMD", "Nvidia"]
    # no alert stored in this store: every card is ok, with values from the data
    assert all(c.status == "ok" and c.since is None for c in data.cards)
    orcl = data.cards[0]
    assert orcl.proxy_bp and orcl.proxy_bp > 0
    # ORCL's adjusted close peaked at 324.63 on 2025-09-10 and was 200.02 on 2025-11-28 (snapshot file): -38.4%
    assert orcl.drawdown == pytest.approx(200.02069 / 324.63000 - 1.0, abs=1e-4)
    labels = [t.name for ch in data.charts for t in ch.traces]
    assert not [x for x in labels if re.search(r"BAML|DGS", x)]  # human names, not FRED ids
    assert any("high-yield" in x for x in labels)
    assert data.graph is not None and any(n.id == "openai" for n in data.graph.nodes)
    for m in data.markers:
        assert m.label and m.label != m.event_id and "e+" not in m.label
    nv = [m for m in data.markers if m.event_id == "EV07"]
    assert nv and "$100B" in nv[0].label


def test_card_names_follow_the_configured_entity_dictionary(cfg, tmp_path):
    from aimonitor.reports import display_names

    ents = tmp_path / "entities.toml"
    ents.write_text('[[entity]]\nname = "Oracle Corp."\nticker = "ORCL"\naliases = ["Oracle"]\n', encoding="utf-8")
    custom = cfg.model_copy(update={"events": cfg.events.model_copy(update={"entities": str(ents)})})
    assert display_names(custom) == {"ORCL": "Oracle Corp."}
    assert display_names(cfg)["CRWV"] == "CoreWeave"


def test_unwritable_out_dir_is_one_line_error(cfg, snapshot_store, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(AimonitorError) as exc:
        write_dashboard_report(cfg, snapshot_store, blocker / "sub")
    assert "\n" not in str(exc.value) and "sub" in str(exc.value)

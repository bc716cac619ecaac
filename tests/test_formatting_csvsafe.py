"""Hand-written expectations for the shared formatting and CSV-hygiene helpers."""

from __future__ import annotations

import pandas as pd
import pytest

from aimonitor.csvsafe import safe_cell, safe_frame
from aimonitor.report.formatting import format_usd


@pytest.mark.parametrize(
    "amount,text",
    [
        (157e9, "$157B"),
        (22.4e9, "$22.4B"),
        (1e11, "$100B"),
        (5e11, "$500B"),
        (1.5e12, "$1.5T"),
        (300e9, "$300B"),
        (18e9, "$18B"),
        (6.5e6, "$6.5M"),
        (999.96e9, "$1T"),
        (-2e9, "-$2B"),
        (950.0, "$950"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_format_usd(amount, text):
    assert format_usd(amount) == text


@pytest.mark.parametrize(
    "cell,out",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("EV09", "EV09"),
        (-0.25, -0.25),
        (None, None),
    ],
)
def test_safe_cell(cell, out):
    assert safe_cell(cell) == out


def test_safe_frame_leaves_numbers():
    df = pd.DataFrame({"id": ["=1+1", "EV01"], "ar": [-0.5, 0.1]})
    got = safe_frame(df)
    assert list(got["id"]) == ["'=1+1", "EV01"]
    assert list(got["ar"]) == [-0.5, 0.1]

"""Unit conversion at the source boundary for FRED series.

FRED publishes ICE BofA option-adjusted spreads (``BAML*``) and Treasury yields
(``DGS*``) in percent; aimonitor stores spreads and yields in basis points. Other series
(``VIXCLS``) are index levels and are stored as published.
"""

from __future__ import annotations

import pandas as pd

PERCENT_PREFIXES = ("BAML", "DGS", "DFII", "T10Y", "T5Y")


def unit_of(series: str) -> str:
    """``"bp"`` for percent-published spread/yield series, else ``"level"``."""
    return "bp" if series.upper().startswith(PERCENT_PREFIXES) else "level"


def to_store_units(series: str, values: pd.Series) -> pd.Series:
    """Convert published values to the stored unit (percent → basis points)."""
    return values * 100.0 if unit_of(series) == "bp" else values

"""Human formatting shared by every renderer (terminal tables, HTML, markdown)."""

from __future__ import annotations

import math

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def format_usd(amount: float | None) -> str:
    """``157e9 -> "$157B"``, ``22.4e9 -> "$22.4B"``, ``1.5e12 -> "$1.5T"``; ``None``/NaN -> ``""``.

    Three significant figures at most, trailing zeros dropped, so amounts read as a
    journalist writes them and never in scientific notation.
    """
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return ""
    sign = "-" if amount < 0 else ""
    a = float(f"{abs(float(amount)):.3g}")  # round first, so 999.96B reads $1T
    for scale, suffix in _SCALES:
        if a >= scale:
            return f"{sign}${a / scale:.3g}{suffix}"
    return f"{sign}${a:,.0f}"

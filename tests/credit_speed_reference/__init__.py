"""Frozen reference: the credit-proxy modules exactly as on ``main`` at commit 6070c04.

Copies of ``aimonitor/analytics/{credit,balance_sheet,benchmarks,spreads}.py`` before the
vectorised panel (issue #14), with only their imports made relative. They exist so that
``tests/test_credit_speed_equivalence.py`` can prove the new ``compute_spread_panel`` gives
the same numbers as the old per-name, per-field path on varied inputs, and so that
``bench/credit_panel_speed.py`` can time old against new in one run. Never import this from
``src``; never edit it except to re-freeze it from a named commit.
"""

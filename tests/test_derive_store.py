"""Price reads of the derivation: one query for several fields gives what a pivot of the rows gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aimonitor.store import Store


def _pivot(rows: list[tuple], syms: list[str] | None) -> pd.DataFrame:
    """The reference: the rows pivoted by pandas (the reader before #14)."""
    df = pd.DataFrame(rows, columns=["date", "symbol", "value"])
    wide = df.pivot(index="date", columns="symbol", values="value").sort_index()
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index, format="%Y-%m-%d"), name="date")
    wide.columns.name = None
    if syms is not None:
        wide = wide.reindex(columns=syms)
    return wide.astype(float)


def test_read_price_fields_equals_the_pivot_of_the_stored_rows(tmp_path):
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2024-01-01", periods=40)
    with Store(tmp_path / "p.db") as st:
        for k, sym in enumerate(["ORCL", "AMD", "NVDA", "SPY"]):
            take = days[k * 3 :] if sym != "NVDA" else days[::2]  # late starts and gaps
            close = rng.uniform(10, 100, len(take))
            adj = close * 0.99
            adj[::7] = np.nan  # a bar without an adjusted close (stored NULL)
            frame = pd.DataFrame({"date": take.date, "close": close, "adj_close": adj})
            st.write_bars(sym, frame, "test")
        st.write_bars("AMD", pd.DataFrame({"date": [pd.Timestamp("2024-01-06").date()], "close": [5.0]}), "test")
        raw = {
            f: st.conn.execute(f"SELECT date, symbol, {f} FROM bars WHERE date >= '2024-01-05'").fetchall()
            for f in ("close", "adj_close")
        }
        for syms in (["SPY", "ORCL", "MISSING", "NVDA"], None):
            got = st.read_price_fields(syms, ("close", "adj_close"), start="2024-01-05")
            for f in ("close", "adj_close"):
                keep = raw[f] if syms is None else [r for r in raw[f] if r[1] in syms]
                want = _pivot(keep, syms)
                pd.testing.assert_frame_equal(got[f], want)
                assert got[f].equals(st.read_prices(syms, f, start="2024-01-05"))
        assert pd.Timestamp("2024-01-06") in got["close"].index  # a Saturday bar is kept as stored
        assert st.read_price_fields(["ORCL"], ("close",), start="2030-01-01")["close"].empty


def test_read_fred_equals_the_pivot_of_the_stored_rows(tmp_path):
    with Store(tmp_path / "f.db") as st:
        st.write_fred(
            "DGS5",
            pd.DataFrame({"date": ["2024-01-02", "2024-01-03", "2024-01-06"], "value": [410.0, 412.5, 409.0]}),
            unit="bp",
            source="t",
        )
        st.write_fred(
            "BAMLH0A0HYM2",
            pd.DataFrame({"date": ["2024-01-03", "2024-01-04"], "value": [301.0, 299.5]}),
            unit="bp",
            source="t",
        )
        raw = st.conn.execute("SELECT series, date, value FROM fred WHERE date >= '2024-01-03'").fetchall()
        df = pd.DataFrame(raw, columns=["series", "date", "value"])
        df["date"] = pd.to_datetime(df["date"])
        want = df.pivot(index="date", columns="series", values="value").sort_index()
        want.columns.name = None
        got = st.read_fred(None, start="2024-01-03")
        pd.testing.assert_frame_equal(got, want.astype(float))
        assert list(got.columns) == ["BAMLH0A0HYM2", "DGS5"] and np.isnan(got.loc["2024-01-04", "DGS5"])
        pd.testing.assert_frame_equal(
            st.read_fred(["DGS5"], end="2024-01-02"),
            pd.DataFrame({"DGS5": [410.0]}, index=pd.DatetimeIndex(["2024-01-02"], name="date")),
        )
        assert st.read_fred(["DGS10"]).empty

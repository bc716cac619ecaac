"""Data sources: Yahoo Finance, FRED, the bundled snapshot and a user's CSV folder."""

from __future__ import annotations

from aimonitor.errors import ConfigError
from aimonitor.sources.base import FredFetch, FundamentalsFetch, SeriesFetch, Source

__all__ = ["FredFetch", "FundamentalsFetch", "SeriesFetch", "Source", "make_source"]


def make_source(spec: str, *, timeout: float = 20.0, max_retries: int = 3, backoff: float = 2.0) -> Source:
    """Build a source from its name: ``yahoo``, ``snapshot`` or ``csv:DIR``."""
    if spec == "snapshot":
        from aimonitor.sources.snapshot import SnapshotSource

        return SnapshotSource()
    if spec == "yahoo":
        from aimonitor.sources.yahoo import YahooSource

        return YahooSource(timeout=timeout, max_retries=max_retries, backoff=backoff)
    if spec.startswith("csv:") and len(spec) > 4:
        from aimonitor.sources.csvdir import CsvDirSource

        return CsvDirSource(spec[4:])
    raise ConfigError(f"unknown source {spec!r}: expected yahoo, snapshot or csv:DIR")

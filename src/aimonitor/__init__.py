"""aimonitor: a market-signal monitor for the AI-infrastructure financing loop."""

from __future__ import annotations

__version__ = "0.1.0"

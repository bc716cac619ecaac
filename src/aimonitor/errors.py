"""One exception hierarchy for aimonitor.

Every error a user can cause (bad config, bad file, no network, too little data)
is an :class:`AimonitorError`; the CLI prints ``Error: <message>`` and exits 1.
Messages name *what* and *where* and, when possible, what to do next.
"""

from __future__ import annotations


class AimonitorError(Exception):
    """Base class of every error aimonitor raises on purpose."""

    exit_code = 1


class ConfigError(AimonitorError):
    """The configuration file is missing, malformed or invalid."""


class FetchError(AimonitorError):
    """A data source could not deliver data (network, rate limit, empty answer)."""


class DataError(AimonitorError):
    """Input data is malformed (a broken CSV, a non-UTF-8 article, a bad row)."""


class InsufficientData(AimonitorError):
    """There is not enough data for the computation asked for."""


class StorageError(AimonitorError):
    """The SQLite store cannot be opened, migrated or written."""


class ClockError(AimonitorError):
    """A date the database's timeline refuses: a session not closed yet, a session before the
    last evaluated one (without a rebuild), or a system clock that jumped."""


class AimonitorWarning(UserWarning):
    """Base class of aimonitor's warnings."""


class DataWarning(AimonitorWarning):
    """Data was skipped or is of doubtful quality (a rejected row, a short history)."""


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation: the path, the reason and what to check."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return f"{reason} ({type(exc).__name__})"
    target = f"{exc.filename} -> {exc.filename2}" if exc.filename2 is not None else str(exc.filename)
    return f"{target}: {reason} (check that the path is a writable folder or file)"

"""One place that says what time it is, so tests can freeze it (freezegun) and code agrees."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: what we store (SQLite keeps no zone; PostgreSQL columns are without time zone)."""
    return datetime.now(UTC).replace(tzinfo=None)

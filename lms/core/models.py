"""Mixins every table shares."""
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from lms.core.clock import utcnow


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

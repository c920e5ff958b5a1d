"""Offset pagination with a fixed number of queries (one count, one page)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from lms.extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt, page: int, per_page: int = 50) -> Page:
    """Run ``stmt`` for one page; ``page`` below 1 or past the end is clamped."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = max(1, page)
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)

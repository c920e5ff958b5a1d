"""The navigation bar: each domain adds its own entries, each with who may see it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str  # a msgid, translated when rendered
    order: int
    visible: Callable  # (user) -> bool


def add_nav(bp: Blueprint, endpoint: str, label: str, order: int, visible: Callable) -> None:
    """Register a navigation entry when ``bp`` is registered on an app."""
    def _add(state):
        state.app.extensions.setdefault("fieldside_nav", []).append(
            NavItem(endpoint, label, order, visible))
    bp.record_once(_add)


def nav_for(user) -> list[NavItem]:
    items = sorted(current_app.extensions.get("fieldside_nav", []), key=lambda i: i.order)
    return [i for i in items if user.is_authenticated and i.visible(user)]

"""Page extras and providers: a later domain adds to an earlier domain's pages and answers its
questions without an import.

`courses` renders the lesson page; `progress` and `quizzes` add their parts (completion marks,
the lesson check) by registering a function for that page name. Each function returns a dict
that is merged into the template context; ``sections`` lists (template, context) pairs that the
page includes in order.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app


def add_page_extra(bp: Blueprint, page: str, fn: Callable[..., dict]) -> None:
    def _add(state):
        state.app.extensions.setdefault("fieldside_page_extras", {}).setdefault(
            page, []).append(fn)
    bp.record_once(_add)


def page_extras(page: str, **context) -> dict:
    merged: dict = {"sections": []}
    for fn in current_app.extensions.get("fieldside_page_extras", {}).get(page, []):
        extra = fn(**context) or {}
        merged["sections"].extend(extra.pop("sections", []))
        merged.update(extra)
    return merged


def add_provider(bp: Blueprint, question: str, fn: Callable[..., object]) -> None:
    """Let a later domain answer a question an earlier one asks (one answer per question):
    `progress` tells `quizzes` how many lessons a member still has to finish."""
    def _add(state):
        state.app.extensions.setdefault("fieldside_providers", {})[question] = fn
    bp.record_once(_add)


def provided(question: str, default=None, **context):
    """The answer of the domain that provides ``question``, or ``default`` when none does."""
    fn = current_app.extensions.get("fieldside_providers", {}).get(question)
    return default if fn is None else fn(**context)

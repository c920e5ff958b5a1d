"""The lesson page without its template, a reference row for bench/county.py.

The real app with one change: the lesson view's ``render_template`` is replaced by a stand-in
that does what rendering would read and nothing else. It runs the context processors, calls
the layout's navigation (the member's roles come from the database there), and answers with one
line of text. Every statement the lesson page runs still runs, with the session, the user and
the headers, but no Jinja does (nor, so, the forms' CSRF token). county.py checks in process that the stand-in
runs as many statements as the real page, then serves ``reads_only:create_app()`` with gunicorn
beside the real app and loads it in the same runs.

Its throughput is the most any rendering work could give the lesson page. If it falls short of
the goal, only a page that reads less, or skips its reads, can reach it.
"""
from __future__ import annotations

from contextlib import contextmanager

from flask import current_app

import lms.courses.views as lesson_views


def _reads_only(template_name: str, **context) -> str:
    current_app.update_template_context(context)
    nav_items = context.get("nav_items")
    links = nav_items() if callable(nav_items) else []
    return f"{template_name}: {len(context)} values, {len(links)} links\n"


@contextmanager
def patched():
    """The lesson view renders no template while this is open (for an in-process count)."""
    real = lesson_views.render_template
    lesson_views.render_template = _reads_only
    try:
        yield
    finally:
        lesson_views.render_template = real


def create_app():
    """The app for gunicorn (``reads_only:create_app()``), the lesson view patched for good."""
    from lms import create_app as create_real_app

    lesson_views.render_template = _reads_only
    return create_real_app()

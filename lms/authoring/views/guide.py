"""The editorial rules for trainers (编写规范): ``docs/content-guide.md``, rendered once per change
of the file, so the page and the document in the repository never differ."""
from __future__ import annotations

from pathlib import Path

from flask import abort, render_template

from lms.authoring import bp
from lms.orgs.access import requires

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "content-guide.md"
_rendered: dict[float, str] = {}


def guide_html() -> str | None:
    """The guide as sanitised HTML, or None when the file is not there."""
    try:
        stamp = GUIDE.stat().st_mtime
    except OSError:
        return None
    if stamp not in _rendered:
        from lms.courses.render import render_markdown

        text = GUIDE.read_text(encoding="utf-8")
        _, _, body = text.partition("\n")  # its "# title" line is the page's h1
        _rendered.clear()
        _rendered[stamp] = render_markdown(body, {})
    return _rendered[stamp]


@bp.get("/guide")
@requires("author")
def guide():
    html = guide_html()
    if html is None:
        abort(404)
    return render_template("authoring/guide.html", guide=html)

"""Lesson Markdown → safe HTML, once per lesson version (stored on the lesson, not per request).

markdown-it-py renders with raw HTML off, images are pointed at the course's own media (an image
from anywhere else is dropped: no page may make a request to another host), and nh3 cleans the
result against an allowlist, so a lesson can never carry script, styles or event handlers.

Both libraries are imported on first use: lessons are rendered when a pack is imported or a
lesson saved, never while a member reads, so a server's workers need not carry them.
"""
from __future__ import annotations

import html as html_lib
import posixpath
from functools import cache
from urllib.parse import unquote

TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "blockquote", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr", "br", "s"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "loading"},
              "th": {"style"}, "td": {"style"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def media_key(src: str) -> str | None:
    """``media/x.png`` or ``../media/x.png`` → ``media/x.png``; None for anything else.

    markdown-it percent-encodes what it hands over (``media/渔船.png`` arrives as
    ``media/%E6%B8%94%E8%88%B9.png``), while the pack names files as they are on disk (the
    pack reader unquotes image paths too), so the path is unquoted before it is looked up.
    """
    src = unquote(src or "").split("#")[0].split("?")[0]
    if not src or "://" in src or src.startswith(("/", "data:")) or "\\" in src:
        return None
    path = posixpath.normpath(src)
    if path.startswith("../"):
        path = path[3:]
    parts = path.split("/")
    return path if parts[0] == "media" and len(parts) > 1 and ".." not in parts else None


def missing_images(body: str, media_urls: dict[str, str]) -> list[str]:
    """The images a lesson's Markdown names that are not among the course's files (members
    would see the words only), in order, each once."""
    missing: list[str] = []
    for token in _markdown().parse(body or ""):
        for child in token.children or ():
            if child.type == "image":
                src = unquote(child.attrGet("src") or "")
                key = media_key(src)
                if (key is None or key not in media_urls) and src not in missing:
                    missing.append(src)
    return missing


def render_markdown(body: str, media_urls: dict[str, str]) -> str:
    """Render lesson Markdown; ``media_urls`` maps pack paths (``media/x.png``) to served URLs."""
    md = _markdown()
    tokens = md.parse(body or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"  # the page's h1 is the lesson title
        for child in token.children or ():
            if child.type != "image":
                continue
            key = media_key(child.attrGet("src") or "")
            url = media_urls.get(key) if key else None
            if url is None:
                # not one of the course's files: keep the words, drop the request
                child.type, child.tag, child.nesting = "text", "", 0
                child.content = child.content or ""
                child.attrs = {}
                child.children = None
            else:
                child.attrSet("src", url)
                child.attrSet("loading", "lazy")
    html = md.renderer.render(tokens, md.options, {})
    return sanitize(html)


def sanitize(html: str) -> str:
    import nh3

    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer nofollow", strip_comments=True,
                     filter_style_properties={"text-align"})


def plain_text(body: str) -> str:
    """The lesson's words without markup (for read-aloud and search): plain text, not HTML, so
    it is escaped wherever it is shown like any other text."""
    import nh3

    return html_lib.unescape(nh3.clean(_markdown().render(body or ""), tags=set())).strip()

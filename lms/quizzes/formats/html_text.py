"""HTML → plain text, for GIFT questions marked ``[html]``. Pure Python (stdlib html.parser).

Tags are dropped, never interpreted: the text of ``<script>``/``<style>`` goes with them, entities
are decoded, ``<br>`` and block ends become line breaks, other whitespace runs become one space.
The result is plain text that the templates escape like any other.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

_BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
_DROPPED = {"script", "style", "template", "noscript"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROPPED:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _DROPPED:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """``"<p>Who is <b>buried</b>?</p><script>x</script>"`` → ``"Who is buried?"``."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # noqa: BLE001 - malformed markup: fall back to cutting tags out
        return re.sub(r"<[^>]*>", "", html).strip()
    lines = [line.strip() for line in "".join(collector.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

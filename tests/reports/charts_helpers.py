"""Reading a chart back from a page: the picture's bars and the table beside it."""
from __future__ import annotations

import re


def figure(page: str, figure_id: str) -> str:
    start = page.index(f'aria-labelledby="{figure_id}-caption"')
    return page[start:page.index("</figure>", start)]


def bars(fig: str) -> list[tuple[str, str]]:
    """(label, value) of every bar, in order."""
    return re.findall(r'<rect class="bar[^"]*"[^>]*data-label="([^"]*)" data-value="([^"]*)"',
                      fig)


def table(fig: str) -> list[list[str]]:
    body = fig[fig.index("<tbody>"):fig.index("</tbody>")]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", body)]


def target_line(fig: str) -> str | None:
    found = re.search(r'<line class="target"[^>]*data-value="([^"]*)"', fig)
    return found.group(1) if found else None

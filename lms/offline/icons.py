"""Draw the app's icons (a field of rows under the sun, in the site's red and green).

    .venv/bin/python -m lms.offline.icons

Writes ``lms/static/icons/icon-192.png``, ``icon-512.png`` and ``maskable-512.png``. The PNGs are
committed; Pillow is needed only to redraw them (requirements-dev.txt), never by the app.
"""
from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "static" / "icons"
RED, GREEN, GOLD, PAPER = (179, 38, 30), (30, 107, 58), (240, 190, 60), (251, 250, 247)


def draw(size: int, *, maskable: bool = False):
    from PIL import Image, ImageDraw

    scale = 4  # drawn large, then shrunk: smooth edges without a font or an outside file
    big = size * scale
    image = Image.new("RGB", (big, big), RED if maskable else PAPER)
    pen = ImageDraw.Draw(image)
    inset = big // 5 if maskable else 0  # a maskable icon keeps its picture in the safe circle
    box = (inset, inset, big - inset, big - inset)
    if not maskable:
        pen.rounded_rectangle(box, radius=big // 6, fill=RED)
    left, top, right, bottom = box
    width = right - left
    # the sun
    r = width // 7
    cx, cy = left + width * 7 // 10, top + width * 3 // 10
    pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=GOLD)
    # the field: four green rows widening towards the viewer, like a 田 seen from the ridge
    horizon = top + width // 2
    for i in range(4):
        y0 = horizon + i * width // 9
        y1 = y0 + width // 14
        spread = width // 10 + i * width // 14
        pen.polygon([(left + width // 2 - spread, y0), (left + width // 2 + spread, y0),
                     (left + width // 2 + spread + width // 18, y1),
                     (left + width // 2 - spread - width // 18, y1)], fill=GREEN)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    draw(192).save(FOLDER / "icon-192.png", optimize=True)
    draw(512).save(FOLDER / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(FOLDER / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()

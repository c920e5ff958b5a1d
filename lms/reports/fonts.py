"""The Chinese font of the PDF documents, read once per process instead of once per document.

fpdf2 parses a TrueType font for every document that adds it (for WenQuanYi Micro Hei, a 5 MB
collection of 49,531 glyphs, about half a second), and subsets it in place when the document is
written, so one parsed font cannot serve two documents. Here the font is parsed once: each
document gets a copy of fpdf2's font object sharing the parsed metrics (widths, character map,
descriptor), and just before it is written, a small font holding only the glyphs the document
used (with the components they are drawn from) takes the place of the full one, so fpdf2's own
subsetting works on a few hundred glyphs. The embedded font, and so the document, is the same
as fpdf2 makes from the full font; only the work differs (a county's archive writes 400 of
them in one run).
"""
from __future__ import annotations

import copy
import io
import os
import threading
from dataclasses import dataclass

#: the tables copied as they are into a document's font (its hinting program and metrics)
_KEPT = ("head", "hhea", "vhea", "maxp", "OS/2", "name", "cvt ", "fpgm", "prep", "gasp")

_lock = threading.Lock()
_parsed: dict[tuple, _Parsed | None] = {}


@dataclass
class _Parsed:
    font: object  # fontTools TTFont, never written to
    template: object  # fpdf2 TTFFont made from it once
    index: dict[str, int]  # glyph name → position in the full font
    first: list[str]  # the first four glyphs, which fpdf2's subsetting always keeps
    maps: list[tuple[object, dict[str, list[int]]]]  # each cmap subtable, glyph → its codes


def _collection(path: str, number: int) -> dict:
    return {"collection_font_number": number} if path.lower().endswith((".ttc", ".otc")) else {}


def _parse(path: str, number: int) -> _Parsed | None:
    """The font read once, or None for a font this module does not cut down itself (CFF
    outlines, colour glyphs): fpdf2 then reads it for each document as it always does."""
    from fpdf import FPDF

    scratch = FPDF()
    scratch.add_font("x", fname=path, **_collection(path, number))
    template = scratch.fonts["x"]
    font = template.ttfont  # the TTFont fpdf2 read (lazily); from here on only read from
    if "glyf" not in font or template.is_cff or template.color_font is not None:
        template.close()
        return None
    for tag in ("glyf", "hmtx", "vmtx", "cmap", "post", *_KEPT):
        if tag not in font:
            continue
        font[tag]  # noqa: B018 — decompiled now, once
    maps = []
    for table in font["cmap"].tables:
        codes: dict[str, list[int]] = {}
        for code, name in table.cmap.items():
            codes.setdefault(name, []).append(code)
        maps.append((table, codes))
    order = font.getGlyphOrder()
    return _Parsed(font=font, template=template, maps=maps, first=order[:4],
                   index={name: n for n, name in enumerate(order)})


def parsed(path: str, number: int = 0) -> _Parsed | None:
    stat = os.stat(path)
    key = (path, number, stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key not in _parsed:
            _parsed.clear()  # the configured font changed: drop the old one
            _parsed[key] = _parse(path, number)
        return _parsed[key]


def add_to(pdf, family: str, path: str, number: int = 0) -> None:
    """``pdf.add_font(family, fname=path)``, from the font parsed once in this process.
    The document must be written through :func:`producer`."""
    from fpdf.fonts import SubsetMap, TTFFont

    source = parsed(path, number)
    if source is None:
        pdf.add_font(family, fname=path, **_collection(path, number))
        return
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(source.template, name):  # a few slots are never set
            setattr(font, name, getattr(source.template, name))
    font.i = len(pdf.fonts) + 1
    font.fontkey = family.lower()
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
    pdf._fieldside_fonts = [*getattr(pdf, "_fieldside_fonts", []), (font, source)]


def producer(pdf):
    """fpdf2's ``output_producer_class`` for ``pdf``: it swaps each font added by
    :func:`add_to` for a font of only the glyphs the document used, just before fpdf2 subsets
    and embeds (and closes) it, which is after the last page's footer and the page count are
    drawn. fpdf2 must never write a document holding the shared font."""
    from fpdf.output import OutputProducer

    class Producer(OutputProducer):
        def bufferize(self):
            for font, source in getattr(pdf, "_fieldside_fonts", []):
                font.ttfont = _small_font(source, font.subset.get_all_glyph_names())
            pdf._fieldside_fonts = []
            return super().bufferize()

    return Producer


def _small_font(source: _Parsed, names) -> object:
    """A font with ``names`` (and .notdef and the glyphs they are composed of), in the full
    font's glyph order, with its metrics, character map, names and hinting program."""
    from fontTools import ttLib
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    full = source.font
    glyf = full["glyf"]
    glyphs: dict[str, Glyph] = {}
    todo = [*source.first, *names]
    while todo:
        name = todo.pop()
        if name in glyphs:
            continue
        data = getattr(glyf.glyphs[name], "data", b"")
        glyph = glyphs[name] = Glyph(data)  # a copy: the full font's glyph is left as it is
        if glyph.isComposite():
            glyph.expand(glyf)  # components by name, renumbered when written
            todo.extend(c.glyphName for c in glyph.components)
    order = sorted(glyphs, key=source.index.__getitem__)
    small = ttLib.TTFont(recalcBBoxes=False, recalcTimestamp=False)  # fpdf2 recalculates
    small.setGlyphOrder(order)
    for tag in _KEPT:
        if tag in full:
            small[tag] = copy.deepcopy(full[tag])
    table = small["glyf"] = ttLib.newTable("glyf")
    table.glyphOrder, table.glyphs = order, glyphs
    small["loca"] = ttLib.newTable("loca")
    cmap = small["cmap"] = ttLib.newTable("cmap")
    cmap.tableVersion, cmap.tables = 0, []
    for table, codes in source.maps:  # each of the full font's maps, with the used glyphs
        sub = CmapSubtable.newSubtable(table.format)
        sub.platformID, sub.platEncID, sub.language = (table.platformID, table.platEncID,
                                                       table.language)
        sub.cmap = {code: name for name in order for code in codes.get(name, ())}
        cmap.tables.append(sub)
    for tag in ("hmtx", "vmtx"):
        if tag in full:
            small[tag] = ttLib.newTable(tag)
            small[tag].metrics = {name: full[tag].metrics[name] for name in order}
    post = small["post"] = copy.copy(full["post"])
    post.extraNames, post.mapping = [], {}  # names come from the glyph order
    out = io.BytesIO()
    small.save(out)
    out.seek(0)
    return ttLib.TTFont(out, recalcTimestamp=False)

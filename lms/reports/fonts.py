"""The Chinese font of the PDF documents, read once per process instead of once per document.

fpdf2 parses a TrueType font for every document that adds it (for WenQuanYi Micro Hei, a 5 MB
collection of 49,531 glyphs, about half a second), and subsets it in place when the document is
written, so one parsed font cannot serve two documents. Here the font is read once: each
document gets a copy of fpdf2's font object sharing its metrics (widths, character map,
descriptor), and just before it is written, a small font holding only the glyphs the document
used (with the components they are drawn from, and the first four glyphs fpdf2's subsetting
always keeps) takes the place of the full one, so fpdf2's own subsetting works on a few hundred
glyphs. The embedded font, and so the document, is byte for byte what fpdf2 makes from the full
font (tests/reports/test_pdf_fonts.py); only the work differs (a county's archive writes 400 of
them in one run).

What is kept between documents is compact (about 20 MB): the raw glyph table and its offsets,
the advance widths in arrays, the small tables, and fpdf2's own maps.
"""
from __future__ import annotations

import array
import copy
import io
import os
import threading
from dataclasses import dataclass

#: the small tables copied as they are into a document's font (metrics, names, hinting program)
_KEPT = ("head", "hhea", "vhea", "maxp", "OS/2", "name", "cvt ", "fpgm", "prep", "gasp")

_lock = threading.Lock()
_parsed: dict[tuple, _Font | None] = {}


@dataclass
class _Font:
    template: object  # fpdf2's TTFFont for the font, without its fontTools font
    order: list[str]  # glyph names by glyph id
    index: dict[str, int]  # glyph id by name
    glyf: bytes  # the raw glyph table
    loca: array.array  # where each glyph's bytes start in it (one more at the end)
    metrics: dict[str, tuple[array.array, array.array]]  # hmtx/vmtx: advance, side bearing
    tables: dict[str, object]  # the small tables, decompiled, copied for each document
    post: object  # the post table's header (glyph names come from the glyph order)
    #: each character map: format, platform, encoding, language, and its codes, or None when
    #: they are the Unicode map's (its first 65,536 for format 4)
    maps: list[tuple[int, int, int, int, dict | None]]


def _collection(path: str, number: int) -> dict:
    return {"collection_font_number": number} if path.lower().endswith((".ttc", ".otc")) else {}


def _parse(path: str, number: int) -> _Font | None:
    """The font read once, or None for a font this module does not cut down itself (CFF
    outlines, colour glyphs): fpdf2 then reads it for each document as it always does."""
    from fpdf import FPDF

    scratch = FPDF()
    scratch.add_font("x", fname=path, **_collection(path, number))
    template = scratch.fonts["x"]
    font = template.ttfont
    try:
        if "glyf" not in font or template.is_cff or template.color_font is not None:
            return None
        order = font.getGlyphOrder()
        metrics = {}
        for tag in ("hmtx", "vmtx"):
            if tag in font:
                table = font[tag].metrics
                metrics[tag] = (array.array("H", (table[n][0] for n in order)),
                                array.array("h", (table[n][1] for n in order)))
        post = copy.copy(font["post"])
        for name in ("glyphOrder", "extraNames", "mapping", "data"):
            post.__dict__.pop(name, None)
        unicode = template.cmap  # fpdf2's: the best Unicode map
        bmp = {code: name for code, name in unicode.items() if code <= 0xFFFF}
        maps = []
        for table in font["cmap"].tables:  # most are the Unicode map again: kept once
            same = table.cmap == (bmp if table.format == 4 else unicode)
            maps.append((table.format, table.platformID, table.platEncID, table.language,
                         None if same else dict(table.cmap)))
        return _Font(template=template, order=order,
                     index={name: n for n, name in enumerate(order)},
                     glyf=font.reader["glyf"], loca=array.array("I", font["loca"].locations),
                     metrics=metrics, post=post, maps=maps,
                     tables={tag: font[tag] for tag in _KEPT if tag in font})
    finally:
        font.close()
        font.tables.clear()  # the decompiled tables go, whoever still holds the font
        template.ttfont = None  # a document gets its own small font when it is written


def parsed(path: str, number: int = 0) -> _Font | None:
    stat = os.stat(path)
    key = (path, number, stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key not in _parsed:
            _parsed.clear()  # the configured font changed: drop the old one
            _parsed[key] = _parse(path, number)
        return _parsed[key]


def add_to(pdf, family: str, path: str, number: int = 0) -> None:
    """``pdf.add_font(family, fname=path)``, from the font read once in this process.
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
    """fpdf2's ``output_producer_class`` for ``pdf``: it gives each font added by
    :func:`add_to` a font of only the glyphs the document used, just before fpdf2 subsets and
    embeds (and closes) it, which is after the last page's footer and the page count are
    drawn."""
    from fpdf.output import OutputProducer

    class Producer(OutputProducer):
        def bufferize(self):
            for font, source in getattr(pdf, "_fieldside_fonts", []):
                font.ttfont = _small_font(source, font.subset.get_all_glyph_names())
            pdf._fieldside_fonts = []
            return super().bufferize()

    return Producer


def _small_font(source: _Font, names) -> object:
    """A font with ``names``, the glyphs they are composed of and the first four, in the
    full font's glyph order, with its metrics, character maps, names and hinting program."""
    from fontTools import ttLib
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    full_order = ttLib.newTable("glyf")  # names the components of a glyph read from its bytes
    full_order.glyphOrder = source.order
    glyphs: dict[str, Glyph] = {}
    todo = [*source.order[:4], *names]
    while todo:
        name = todo.pop()
        if name in glyphs:
            continue
        gid = source.index[name]
        glyph = glyphs[name] = Glyph(source.glyf[source.loca[gid]:source.loca[gid + 1]])
        if glyph.isComposite():
            glyph.expand(full_order)  # components by name, renumbered when written
            todo.extend(c.glyphName for c in glyph.components)
    order = sorted(glyphs, key=source.index.__getitem__)
    small = ttLib.TTFont(recalcBBoxes=False, recalcTimestamp=False)  # fpdf2 recalculates
    small.setGlyphOrder(order)
    for tag, table in source.tables.items():
        small[tag] = copy.deepcopy(table)
    table = small["glyf"] = ttLib.newTable("glyf")
    table.glyphOrder, table.glyphs = order, glyphs
    small["loca"] = ttLib.newTable("loca")
    for tag, (advances, bearings) in source.metrics.items():
        small[tag] = ttLib.newTable(tag)
        small[tag].metrics = {name: (advances[source.index[name]],
                                     bearings[source.index[name]]) for name in order}
    wanted = set(order)
    used = {code: name for code, name in source.template.cmap.items() if name in wanted}
    cmap = small["cmap"] = ttLib.newTable("cmap")
    cmap.tableVersion, cmap.tables = 0, []
    for fmt, platform, encoding, language, own in source.maps:
        sub = CmapSubtable.newSubtable(fmt)
        sub.platformID, sub.platEncID, sub.language = platform, encoding, language
        if own is not None:
            sub.cmap = {code: name for code, name in own.items() if name in wanted}
        else:
            sub.cmap = {code: name for code, name in used.items()
                        if fmt != 4 or code <= 0xFFFF}
        cmap.tables.append(sub)
    small["post"] = copy.copy(source.post)
    small["post"].extraNames, small["post"].mapping = [], {}
    out = io.BytesIO()
    small.save(out)
    out.seek(0)
    return ttLib.TTFont(out, recalcTimestamp=False)

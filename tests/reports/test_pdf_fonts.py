"""The PDF font is read once per process (lms/reports/fonts.py), and the documents are those
fpdf2 makes when it reads the font for each one: the same bytes bar the date and the file id."""
from __future__ import annotations

import re

import pytest

from lms.reports import fonts, pdf
from tests.helpers import pdf_text

#: every kind of text the documents hold: Chinese (some drawn from components), digits, Latin,
#: punctuation, and the page count filled in when the document is written
TEXT = ["兹证明 张桂英 同志在 2026 年度共参加学习 32.5 学时。", "青山村党支部（盖章）：________",
        "Fieldside · ABC-xyz / 100%", "党章 廉洁 纪律 乡村振兴 镕 堃 喆"]


def _document(title: str, lines: list[str]) -> bytes:
    doc = pdf.new_document(title)
    for line in lines:
        pdf.paragraph(doc, line)
    for _ in range(3):  # more pages: the footer's page count is drawn at the end
        doc.add_page()
    pdf.table(doc, ["日期", "内容"], [["2026-03-01", line] for line in lines], (30, 120))
    return pdf.output(doc)


def _stable(data: bytes) -> bytes:
    return re.sub(rb"/CreationDate \(D:[^)]*\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"", data)


@pytest.fixture
def fpdf2_reads_the_font(monkeypatch):
    """What new_document did before: fpdf2's own add_font, the font read for the document."""
    def add_font(doc, family, path, number=0):
        doc.add_font(family, fname=path, collection_font_number=number)

    monkeypatch.setattr(fonts, "add_to", add_font)


def test_documents_are_what_fpdf2_makes_reading_the_font_itself(app, request):
    with app.test_request_context():
        ours = [_document("学时证明", TEXT), _document("学时证明", TEXT[::-1]),
                _document("学时证明", TEXT)]
        request.getfixturevalue("fpdf2_reads_the_font")
        theirs = _document("学时证明", TEXT)
    assert _stable(ours[0]) == _stable(theirs) == _stable(ours[2])
    assert _stable(ours[1]) != _stable(theirs)
    assert "镕 堃 喆" in pdf_text(ours[1]) and "4/4" in pdf_text(ours[1])


def test_the_font_is_read_once_and_never_written_to(app):
    with app.test_request_context():
        path = pdf.font_file()
        _document("一", TEXT)
        shared = fonts.parsed(path)
        kept = (bytes(shared.glyf), list(shared.order), dict(shared.template.cmap))
        for n in range(3):
            assert "张桂英" in pdf_text(_document(str(n), TEXT))
        assert fonts.parsed(path) is shared
        assert (bytes(shared.glyf), list(shared.order), dict(shared.template.cmap)) == kept
        assert shared.template.ttfont is None  # each document is given its own when written

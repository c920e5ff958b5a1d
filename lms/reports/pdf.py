"""PDF documents with the Chinese text embedded (fpdf2; the font's used glyphs are subset into
each file), so a 学时证明, a certificate or a branch's archive reads the same on any phone or PC.

The font is WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, installed by the README's setup
commands and .ci/run), or the TrueType/OpenType file named by ``PDF_FONT``. fpdf2 is imported on
first use: a member's worker never loads it.
"""
from __future__ import annotations

import io
import os
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from lms.reports import fonts

#: where Debian and other systems put the fonts tried when PDF_FONT is not set
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
FONT = "cjk"


class FontMissing(RuntimeError):
    """No font with Chinese glyphs was found."""


def font_file() -> str:
    configured = current_app.config.get("PDF_FONT")
    for path in ([configured] if configured else FONT_CANDIDATES):
        if path and os.path.exists(path):
            return path
    raise FontMissing("no Chinese font for PDF documents: install fonts-wqy-microhei "
                      "(apt-get install fonts-wqy-microhei) or set PDF_FONT")


def new_document(title: str, *, landscape: bool = False, page_numbers: bool = True):
    """An A4 document with the Chinese font loaded, the title and page numbers in the footer
    (none on a one-page certificate, whose border runs where the footer would be)."""
    from fpdf import FPDF

    class Document(FPDF):
        def output(self, *args, **kwargs):
            # the shared font is cut down to the document's glyphs first (fonts.producer)
            kwargs["output_producer_class"] = fonts.producer(self)
            return super().output(*args, **kwargs)

        def footer(self):
            if not page_numbers:
                return
            self.set_y(-12)
            self.set_font(FONT, size=8)
            self.set_text_color(110)
            self.cell(0, 6, f"{title} · {self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0)

    pdf = Document(orientation="L" if landscape else "P", format="A4")
    fonts.add_to(pdf, FONT, font_file())  # parsed once per process (lms/reports/fonts.py)
    pdf.set_title(title)
    pdf.set_creator("Fieldside")
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(18, 16, 18)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, size=11)
    return pdf


def output(pdf) -> bytes:
    return bytes(pdf.output())


def heading(pdf, text: str, size: int = 18, *, align: str = "C") -> None:
    pdf.set_font(FONT, size=size)
    pdf.multi_cell(0, size * 0.6, text, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.ln(2)


def paragraph(pdf, text: str, size: int = 11, *, align: str = "L") -> None:
    pdf.set_font(FONT, size=size)
    pdf.multi_cell(0, size * 0.6, text, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _wrap(text: str, width: float, measure) -> list[str]:
    """``text`` in lines no wider than ``width`` (Chinese breaks between any two characters;
    a line of other text breaks where it must)."""
    lines, line, used = [], "", 0.0
    for char in text:
        w = measure(char)
        if line and used + w > width:
            lines.append(line)
            line, used = "", 0.0
        line += char
        used += w
    return lines + [line]


def table(pdf, header: list[str], rows: list[list], widths: tuple[int, ...],
          size: int = 9) -> None:
    """A bordered table, its header repeated on each new page. Drawn with fpdf2's low-level
    text and rectangles and measured from the font's own widths: its table and cell layout
    cost about ten times as much (several seconds for a branch's thousand ledger lines). A
    cell too wide for its column wraps, and its row grows to fit."""
    pdf.set_font(FONT, size=size)
    scale = size / 1000 / pdf.k
    char_widths = pdf.current_font.cw
    line, pad = size * 0.45, 1.2

    def measure(char: str) -> float:
        return char_widths[ord(char)] * scale

    def draw(cells: list[str], shaded: bool = False) -> None:
        wrapped = [[text] if sum(map(measure, text)) <= width - 2 * pad
                   else _wrap(text, width - 2 * pad, measure)
                   for text, width in zip(cells, widths, strict=True)]
        height = line * max(len(lines) for lines in wrapped) + 2 * pad - 1
        if not shaded and pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            pdf.set_font(FONT, size=size)
            draw(head, shaded=True)
        x, y = pdf.l_margin, pdf.get_y()
        for lines, width in zip(wrapped, widths, strict=True):
            pdf.rect(x, y, width, height, style="DF" if shaded else "D")
            for n, text in enumerate(lines):
                pdf.text(x + pad, y + pad + line * n + size * 0.3, text)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)

    head = [str(h) for h in header]
    pdf.set_fill_color(235, 235, 235)
    draw(head, shaded=True)
    for row in rows:
        draw(["" if v is None else str(v) for v in row])
    pdf.set_font(FONT, size=11)
    pdf.ln(3)


def signature_block(pdf, org_name: str) -> None:
    pdf.ln(6)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(0, 8, _("党组织（盖章）：%(org)s", org=org_name), new_x="LMARGIN",
                   new_y="NEXT")
    pdf.multi_cell(0, 8, _("负责人签字：________________    日期：______年____月____日"),
                   new_x="LMARGIN", new_y="NEXT")


def qr_png(text: str) -> io.BytesIO:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=2)
    out.seek(0)
    return out


def hours_text(value) -> str:
    return f"{round(float(value or 0), 2):g}"


def date_text(moment: datetime | None) -> str:
    from lms.progress.years import local

    return local(moment).strftime("%Y-%m-%d") if moment else ""


# ---- documents ------------------------------------------------------------------------------

def study_record(*, member_name: str, org_name: str, status: str, year: int, standing,
                 lines, category_labels: dict, issued_on: str) -> bytes:
    """学时证明: a member's year, every ledger line, the total against the target, and a line for
    the branch's seal and signature."""
    title = _("学时证明")
    pdf = new_document(title)
    heading(pdf, title, 20)
    paragraph(pdf, f"{member_name} · {org_name} · {status} · " + _("%(y)d 年", y=year),
              align="C")
    pdf.ln(2)
    if standing.has_target and not standing.exempt:
        text = _("兹证明 %(name)s 同志在 %(y)d 年度共参加学习 %(h)s 学时，年度目标 %(t)s 学时。",
                 name=member_name, y=year, h=hours_text(standing.hours),
                 t=hours_text(standing.target))
    else:
        text = _("兹证明 %(name)s 同志在 %(y)d 年度共参加学习 %(h)s 学时。", name=member_name,
                 y=year, h=hours_text(standing.hours))
    paragraph(pdf, text, 12)
    rows = [[date_text(line.recorded_at), line.title,
             str(category_labels.get(line.category, line.category)), hours_text(line.hours)]
            for line in lines]
    rows.append(["", _("合计"), "", hours_text(standing.hours)])
    table(pdf, [_("日期"), _("内容"), _("类别"), _("学时")], rows, (24, 90, 40, 20))
    signature_block(pdf, org_name)
    paragraph(pdf, _("出具日期：%(d)s", d=issued_on), 9)
    return output(pdf)


def certificate(cert, verify_url: str) -> bytes:
    """结业证书: name, course, hours, date, issuer, the verification code and a QR code."""
    title = _("结业证书")
    pdf = new_document(title, landscape=True, page_numbers=False)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_y(30)
    heading(pdf, title, 32)
    pdf.ln(8)
    paragraph(pdf, _("%(name)s 同志：", name=cert.member_name), 16)
    paragraph(pdf, _("于 %(d)s 完成《%(course)s》的学习，考核合格，计 %(h)s 学时。特发此证。",
                     d=date_text(cert.issued_at), course=cert.course_title,
                     h=hours_text(cert.hours)), 16)
    pdf.ln(10)
    paragraph(pdf, cert.issuer_name, 14, align="R")
    paragraph(pdf, date_text(cert.issued_at), 14, align="R")
    y = pdf.h - 62
    pdf.image(qr_png(verify_url), x=20, y=y, w=40, h=40)
    pdf.set_xy(64, y + 8)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(pdf.w - 90, 6, _("验证码：%(code)s", code=cert.display_code) + "\n"
                   + _("扫码或打开 %(url)s 核验", url=verify_url), new_x="LMARGIN",
                   new_y="NEXT")
    return output(pdf)

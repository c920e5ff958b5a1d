"""Question banks out as XLSX or CSV, in the layout :mod:`.tabular` reads, and the blank template.

``read(write(qs)) == qs`` for sound questions whose texts are stripped and free of control
characters; the layout has no place for ``title`` or ``option_feedback``, which are left out.
Text cells starting with ``= + - @ '`` (or tab/CR) get a ``'`` prefix against CSV injection; the
reader removes it again.
"""
from __future__ import annotations

import csv
import io

from lms.core import kinds
from lms.core.questions import MAX_OPTIONS, QuestionData, question_problems
from lms.core.sheets import defuse as safe_cell

from .tabular import COLUMNS, KIND_LABELS


def _points(points: float) -> int | float:
    return int(points) if float(points).is_integer() else float(points)


def _rows(questions) -> list[list]:
    rows = []
    for q in questions:
        problems = question_problems(q)
        if problems:
            raise ValueError(f"question {q.key!r} cannot be written: {'; '.join(problems)}")
        options = list(q.options) + [""] * (MAX_OPTIONS - len(q.options))
        texts = [q.key, KIND_LABELS[q.kind], q.stem, *options, kinds.get(q.kind).sheet_answer(q), q.explanation]
        rows.append([safe_cell(t) for t in texts] + [_points(q.points)])
    return rows


def write_csv(questions) -> bytes:
    """UTF-8 with a BOM (so Excel opens it as UTF-8), CRLF line ends, header row first.

    Raises ValueError for a question that fails ``question_problems``.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(questions):
        writer.writerow([*row[:-1], repr(float(row[-1])) if isinstance(row[-1], float) else row[-1]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _workbook(rows, title: str):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"编号": 10, "题型": 8, "题干": 48, "正确答案": 10, "解析": 40, "分值": 6}
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 18)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    return book


def _save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_xlsx(questions) -> bytes:
    """One worksheet 题库 in the layout above. Raises ValueError for an unsound question."""
    return _save(_workbook(_rows(questions), "题库"))


TEMPLATE_QUESTIONS = (
    QuestionData(key="q001", kind="single", stem="产业链党支部建在哪里？",
                 options=("只建在村委会", "建在产业链上", "建在县城机关"), answer=(1,),
                 explanation="把支部建在产业链上，让党员在产业一线带头。"),
    QuestionData(key="q002", kind="multiple", stem="下列哪些属于“三会一课”？",
                 options=("支部党员大会", "村民代表会议", "党小组会", "党课"), answer=(0, 2, 3),
                 explanation="“三会一课”指支部党员大会、支部委员会、党小组会和党课。"),
    QuestionData(key="q003", kind="truefalse", stem="党员应当按月交纳党费。", answer=(True,),
                 explanation="党章规定党员必须按期交纳党费。", points=1.0),
    QuestionData(key="q004", kind="fill", stem="党的根本宗旨是全心全意为人民____。",
                 answer=("服务", "服务人民"), explanation="全心全意为人民服务是党的根本宗旨。",
                 points=2.0),
)

TEMPLATE_NOTES = (
    ("填写说明", ""),
    ("表头", "第 1 行是表头，列的顺序可以调整；题型、题干、正确答案三列必须有。"),
    ("题型", "单选、多选、判断、填空。"),
    ("选项", "选项A 到 选项F，从 A 开始依次填写，不要跳过；判断题和填空题不填。"),
    ("正确答案", "单选填一个字母，如 B；多选填多个字母，如 ACD；判断填 对 或 错；"
                "填空题有几种写法都算对时用 | 隔开，如 服务|服务人民。"),
    ("解析", "提交后给学员看的讲解，可以不填。"),
    ("分值", "正数，不填按 1 分。"),
    ("编号", "题目的固定编号（字母、数字、_ . -），可以不填；再次导入时靠它认出同一道题。"),
    ("上限", "每个文件最多 2000 道题、5 MB。"),
)


def template_xlsx() -> bytes:
    """The downloadable template: header, one example row per kind, and a 填写说明 sheet."""
    book = _workbook(_rows(TEMPLATE_QUESTIONS), "题库")
    notes = book.create_sheet("填写说明")
    for row in TEMPLATE_NOTES:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    return _save(book)

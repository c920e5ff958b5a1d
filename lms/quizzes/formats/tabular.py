"""Question banks as XLSX or CSV in the Chinese exam-system layout (readers). Pure Python.

Row 1 is the header; column order is free and unknown columns (难度, 知识点 …) are ignored.

======== ======== ===========================================================================
column   required meaning
======== ======== ===========================================================================
题型     yes      单选 / 多选 / 判断 / 填空 (``题`` suffix and 单项选择/多项选择/是非 accepted)
题干     yes      the question text
正确答案 yes      单选 ``B``; 多选 ``ACD`` (separators ignored); 判断 对/错, 正确/错误, √/×, T/F;
                  填空 accepted answers separated by ``|`` (``\\|`` for a literal bar)
选项A–F  no       options in order; an empty option may not come before a filled one
解析     no       explanation
分值     no       points, a positive number; blank → 1
编号     no       the question's key ``[A-Za-z0-9_.-]{1,64}``, unique; blank → ``q<row − 1>``
======== ======== ===========================================================================

A cell written by our exporters with a leading ``'`` (CSV-injection guard before ``= + - @ '``)
has it removed. Recognised kinds we do not have (简答, 论述 …) are *refused*, not problems.
Limits: :data:`~.common.MAX_BYTES`, :data:`~.common.MAX_QUESTIONS` rows, 25 MB unzipped.
"""
from __future__ import annotations

from lms.core import kinds, sheets
from lms.core.i18n import N_
from lms.core.kinds.fill import split_fill_answers  # noqa: F401  (part of this reader's rules)
from lms.core.problems import Problem, located
from lms.core.questions import LETTERS, QuestionData, is_valid_key
from lms.core.sheets import MAX_COLUMNS, cell_text
from lms.core.text import fold_width

from .common import (
    MAX_POINTS,
    MAX_QUESTIONS,
    KeyAllocator,
    ReadResult,
    file_problem,
    problems_zh,
    snippet,
)

OPTION_COLUMNS = tuple(f"选项{letter}" for letter in LETTERS)
#: the layout our writers produce, in order
COLUMNS = ("编号", "题型", "题干", *OPTION_COLUMNS, "正确答案", "解析", "分值")
REQUIRED = ("题型", "题干", "正确答案")
#: other header spellings seen in Chinese exam templates
ALIASES = {
    "ID": "编号", "题目类型": "题型", "试题类型": "题型", "题目": "题干", "试题": "题干",
    "试题内容": "题干", "答案": "正确答案", "标准答案": "正确答案", "答案解析": "解析",
    "试题解析": "解析", "分数": "分值",
}
#: kind → the 题型 word our writers put
KIND_LABELS = {kind.name: kind.label for kind in kinds.REGISTRY.values()}
_KIND_WORDS = {word: kind.name for kind in kinds.REGISTRY.values()
               for word in (kind.label, *kind.sheet_words, kind.name)}
#: the 题型 words, as a problem lists them: "单选、多选、判断 或 填空"
_KIND_LIST = "、".join([*KIND_LABELS.values()][:-1]) + " 或 " + [*KIND_LABELS.values()][-1]
#: kinds recognised in Chinese exam banks that we do not have: refused, not problems
REFUSED_KINDS = ("简答", "问答", "论述", "计算", "案例分析", "材料分析", "排序", "匹配", "连线",
                 "不定项", "不定项选择", "名词解释", "综合", "作文")


def _header_name(value: str) -> str:
    name = "".join(fold_width(value).split()).upper()
    return ALIASES.get(name, name)


def _kind(text: str) -> tuple[str | None, bool]:
    """``(kind, refused)`` for a 题型 cell; ``(None, False)`` when unrecognised."""
    word = "".join(fold_width(text).split()).lower()
    if word.endswith("题"):
        word = word[:-1]
    if word in _KIND_WORDS:
        return _KIND_WORDS[word], False
    return None, word in REFUSED_KINDS


def _options(cells: dict[str, str]) -> tuple[list[str], list[str]]:
    texts = [cells.get(col, "") for col in OPTION_COLUMNS]
    while texts and not texts[-1]:
        texts.pop()
    problems = []
    for i, text in enumerate(texts):
        if not text:
            later = next(LETTERS[j] for j in range(i + 1, len(texts)) if texts[j])
            problems.append(Problem(N_("选项%(letter)s为空，但后面的选项%(later)s有内容"),
                                    {"letter": LETTERS[i], "later": later}, field="options"))
            break
    return texts, problems


def _points(raw: str) -> tuple[float, list[str]]:
    if not raw:
        return 1.0, []
    text = fold_width(raw).strip().removesuffix("分").strip()
    try:
        points = float(text)
    except ValueError:
        return 1.0, [Problem(N_("分值“%(raw)s”不是数字"), {"raw": raw}, field="points")]
    if not 0 < points <= MAX_POINTS:
        return 1.0, [Problem(N_("分值必须大于 0 且不超过 %(max)s，这里是“%(raw)s”"),
                             {"max": f"{MAX_POINTS:g}", "raw": raw}, field="points")]
    return points, []


def parse_row(cells: dict[str, str]) -> tuple[dict | None, list[Problem], Problem | None]:
    """One data row → ``(question fields without key, problems, refusal)``."""
    kind_text, stem, raw_answer = cells.get("题型", ""), cells.get("题干", ""), cells.get("正确答案", "")
    kind, refused = _kind(kind_text)
    if refused:
        return None, [], Problem(N_("不支持“%(kind)s”"), {"kind": kind_text},
                                 subject=snippet(stem) or "（无题干）")
    if kind is None:
        if kind_text:
            return None, [Problem(N_("题型“%(kind)s”无法识别，应为 %(kinds)s"),
                                  {"kind": kind_text, "kinds": _KIND_LIST}, field="kind")], None
        return None, [Problem(N_("题型为空，应为 %(kinds)s"), {"kinds": _KIND_LIST},
                              field="kind")], None
    problems = [] if stem else [Problem(N_("题干为空"), field="stem")]
    options, option_problems = _options(cells)
    problems += option_problems
    answer: tuple = ()
    if not raw_answer:
        problems.append(Problem(N_("正确答案为空"), field="answer"))
    else:
        answer, options, answer_problems = kinds.get(kind).read_sheet_answer(raw_answer, options)
        problems += answer_problems
    points, points_problems = _points(cells.get("分值", ""))
    problems += points_problems
    fields = dict(kind=kind, stem=stem, answer=answer, options=tuple(options),
                  explanation=cells.get("解析", ""), points=points)
    return fields, problems, None


def read_rows(rows) -> ReadResult:
    """Rows of cell values (row 1 the header) → ReadResult. Shared by the XLSX and CSV readers."""
    result = ReadResult()
    rows = iter(rows)
    raw_header = [cell_text(v) for v in next(rows, [])[:MAX_COLUMNS]]
    if len([h for h in raw_header if h]) == 1 and any(sep in raw_header[0] for sep in "\t;"):
        return file_problem("row", N_("列之间应该用逗号分隔；%(how)s"), how=sheets.SAVE_CSV)
    header = [_header_name(h) for h in raw_header]
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in COLUMNS and name in columns:
            result.problems.append(located("row", 1, N_("表头中“%(name)s”出现了两次"), name=name))
        elif name in COLUMNS:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        result.problems.append(located("row", 1, N_("表头缺少必需的列：%(columns)s（表头须在第 1 行）"),
                                       columns="、".join(missing)))
    if result.problems:
        return result

    parsed: list[tuple[int, dict, str]] = []
    explicit: dict[str, int] = {}
    for rownum, values in enumerate(rows, start=2):
        texts = [cell_text(v) for v in values[:MAX_COLUMNS]]
        if not any(texts):
            continue
        if rownum > MAX_QUESTIONS + 1:
            return file_problem("row", N_("题目超过 %(n)d 行，请拆成几个文件导入"), n=MAX_QUESTIONS)
        cells = {name: texts[i] if i < len(texts) else "" for name, i in columns.items()}
        fields, problems, refusal = parse_row(cells)
        key = cells.get("编号", "")
        if key and not is_valid_key(key):
            problems.append(Problem(N_("编号“%(key)s”只能由字母、数字和 _ . - 组成（最多 64 个）"),
                                    {"key": key}, field="key"))
        elif key and key in explicit:
            problems.append(Problem(N_("编号“%(key)s”与第 %(row)d 行重复"),
                                    {"key": key, "row": explicit[key]}, field="key"))
        elif key:
            explicit[key] = rownum
        if refusal:
            result.refused.append(refusal.at("row", rownum))
        result.problems += [p.at("row", rownum) for p in problems]
        if fields and not problems:
            parsed.append((rownum, fields, key))

    keys = KeyAllocator(set(explicit))
    for rownum, fields, key in parsed:
        question = QuestionData(key=key or keys.allocate(None, rownum - 1), **fields)
        leftover = problems_zh(question)
        result.problems += [p.at("row", rownum) for p in leftover]
        if not leftover:
            result.add(question, f"row {rownum}")
    if not (result.questions or result.problems or result.refused):
        result.problems.append(located("row", 2, N_("表格中没有题目")))
    return result


def read_csv(data: bytes) -> ReadResult:
    """A CSV bank: UTF-8 with or without BOM, comma-separated, the layout above."""
    rows, problem = sheets.csv_rows(data, MAX_QUESTIONS)
    return ReadResult(problems=[problem]) if problem else read_rows(rows)


def read_xlsx(data: bytes) -> ReadResult:
    """An XLSX bank: the first worksheet, the layout above. Formulas count by their saved value."""
    rows, problem = sheets.xlsx_rows(data, MAX_QUESTIONS)
    return ReadResult(problems=[problem]) if problem else read_rows(rows)

"""XLSX/CSV banks: good and bad rows, file-level problems, round trips, fuzzing."""
import csv
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from lms.core import sheets
from lms.core.questions import QuestionData
from lms.quizzes.formats import (
    READERS,
    WRITERS,
    read_csv,
    read_xlsx,
    tabular,
    template_xlsx,
    write_csv,
    write_xlsx,
)
from lms.quizzes.formats.tabular_write import TEMPLATE_QUESTIONS
from tests.helpers import xlsx_rows
from tests.quizzes.formats.strategies import FUZZ, assert_well_formed, banks, mutated

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "正确答案", "解析", "分值"]


def as_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


as_xlsx = xlsx_rows


BUILD = {"csv": as_csv, "xlsx": as_xlsx}
formats = pytest.mark.parametrize("fmt", ["csv", "xlsx"])


def read(fmt, rows):
    result = READERS[fmt](BUILD[fmt](rows))
    assert_well_formed(result, "row")
    return result


# --- good input ---------------------------------------------------------------------------------

@formats
def test_reads_each_kind(fmt):
    result = read(fmt, [
        HEADER,
        ["单选", "产业链党支部建在哪里？", "村委会", "产业链上", "县城", "", "B", "支部建在产业链上", ""],
        ["多选题", "三会一课包括？", "支部党员大会", "村民代表会", "党小组会", "党课", "ACD", "", 2],
        ["判断", "党员应当按月交纳党费。", "", "", "", "", "对", "", "1.5"],
        ["填空", "全心全意为人民____。", "", "", "", "", "服务|服务人民", "", ""],
    ])
    assert result.problems == [] and result.refused == []
    assert result.questions == [
        QuestionData(key="q001", kind="single", stem="产业链党支部建在哪里？",
                     options=("村委会", "产业链上", "县城"), answer=(1,), explanation="支部建在产业链上"),
        QuestionData(key="q002", kind="multiple", stem="三会一课包括？",
                     options=("支部党员大会", "村民代表会", "党小组会", "党课"), answer=(0, 2, 3),
                     points=2.0),
        QuestionData(key="q003", kind="truefalse", stem="党员应当按月交纳党费。", answer=(True,),
                     points=1.5),
        QuestionData(key="q004", kind="fill", stem="全心全意为人民____。", answer=("服务", "服务人民")),
    ]


@formats
def test_column_order_aliases_extra_columns_and_width(fmt):
    result = read(fmt, [
        ["难度", "答案", "选项Ｂ", " 题目 ", "选项A", "分数", "题型", "知识点"],
        ["易", "b", "产业链上", "支部建在哪里？", "村委会", "3分", "单项选择题", "组织"],
    ])
    assert result.problems == []
    [q] = result.questions
    assert (q.kind, q.stem, q.options, q.answer, q.points) == (
        "single", "支部建在哪里？", ("村委会", "产业链上"), (1,), 3.0)


@formats
@pytest.mark.parametrize("answer", ["ACD", "acd", "A,C,D", "A、C、D", "A C D", "ＡＣＤ", "DCA", "AACD"])
def test_multiple_answer_spellings(fmt, answer):
    [q] = read(fmt, [HEADER, ["多选", "?", "甲", "乙", "丙", "丁", answer, "", ""]]).questions
    assert q.answer == (0, 2, 3)


@formats
@pytest.mark.parametrize(
    ("answer", "expected"),
    [("对", True), ("错", False), ("正确", True), ("错误", False), ("√", True), ("×", False),
     ("T", True), ("F", False), ("true", True), ("FALSE", False)],
)
def test_truefalse_answer_words(fmt, answer, expected):
    [q] = read(fmt, [HEADER, ["判断", "?", "", "", "", "", answer, "", ""]]).questions
    assert q.answer == (expected,)


def test_truefalse_excel_boolean_cell():
    [q] = read("xlsx", [HEADER, ["判断", "?", None, None, None, None, False, None, None]]).questions
    assert q.answer == (False,)


@formats
def test_truefalse_given_as_a_letter_of_对_错_options(fmt):
    [q] = read(fmt, [HEADER, ["判断", "?", "正确", "错误", "", "", "B", "", ""]]).questions
    assert (q.answer, q.options) == ((False,), ())


@formats
@pytest.mark.parametrize(
    ("cell", "accepted"),
    [("服务", ("服务",)), ("服务|服务人民", ("服务", "服务人民")), ("服务｜为人民服务", ("服务", "为人民服务")),
     (" a | b |", ("a", "b")), ("a\\|b|c", ("a|b", "c")), ("C:\\\\dir", ("C:\\dir",))],
)
def test_fill_answers(fmt, cell, accepted):
    [q] = read(fmt, [HEADER, ["填空", "?", "", "", "", "", cell, "", ""]]).questions
    assert q.answer == accepted


@formats
def test_blank_rows_are_skipped_and_rows_keep_their_numbers(fmt):
    result = read(fmt, [
        HEADER,
        ["单选", "一", "甲", "乙", "", "", "A", "", ""],
        ["", "", "", "", "", "", "", "", ""],
        ["单选", "二", "甲", "乙", "", "", "C", "", ""],
    ])
    assert [q.key for q in result.questions] == ["q001"]
    assert result.problems == ["row 4: 正确答案“C”指向的选项C是空的"]


@formats
def test_ids_carry_keys_and_numbered_keys_avoid_them(fmt):
    result = read(fmt, [
        ["编号", *HEADER],
        ["", "判断", "一", "", "", "", "", "对", "", ""],
        ["q001", "判断", "二", "", "", "", "", "对", "", ""],
        ["fields-q1", "判断", "三", "", "", "", "", "错", "", ""],
    ])
    assert [q.key for q in result.questions] == ["q001-2", "q001", "fields-q1"]


@formats
def test_injection_guard_is_removed(fmt):
    [q] = read(fmt, [HEADER, ["填空", "'=1+1 等于几？", "", "", "", "", "'-2|+2", "'@x", ""]]).questions
    assert (q.stem, q.answer, q.explanation) == ("=1+1 等于几？", ("-2", "+2"), "@x")


@formats
def test_refused_kinds(fmt):
    result = read(fmt, [
        HEADER,
        ["简答题", "请简述乡村振兴战略的总要求是什么，并结合本村实际谈谈如何落实这些要求", "", "", "", "", "略", "", ""],
        ["判断", "?", "", "", "", "", "对", "", ""],
    ])
    assert result.refused == ["row 2: 请简述乡村振兴战略的总要求是什么，并结合本村实际谈谈如何落实…: 不支持“简答题”"]
    assert result.problems == [] and len(result.questions) == 1


# --- bad rows --------------------------------------------------------------------------------------

BAD_ROWS = [
    (["单选", "?", "甲", "乙", "", "", "E", "", ""], "正确答案“E”指向的选项E是空的"),
    (["单选", "?", "甲", "乙", "", "", "C", "", ""], "正确答案“C”指向的选项C是空的"),
    (["单选", "?", "甲", "乙", "", "", "G", "", ""], "正确答案“G”不是选项字母（A–F）"),
    (["单选", "?", "甲", "乙", "", "", "1", "", ""], "正确答案“1”不是选项字母（A–F）"),
    (["单选", "?", "甲", "乙", "", "", "AB", "", ""], "单选题只能有一个正确答案，这里是“AB”"),
    (["多选", "?", "甲", "乙", "丙", "", "B", "", ""], "多选题至少要有两个正确答案，这里只有“B”"),
    (["单选", "?", "甲", "", "", "", "A", "", ""], "单选题至少需要两个选项"),
    (["单选", "?", "甲", "", "丙", "", "A", "", ""], "选项B为空，但后面的选项C有内容"),
    (["单选", "?", "甲", "甲", "", "", "A", "", ""], "有两个选项内容相同"),
    (["单选", "", "甲", "乙", "", "", "A", "", ""], "题干为空"),
    (["单选", "?", "甲", "乙", "", "", "", "", ""], "正确答案为空"),
    (["", "?", "甲", "乙", "", "", "A", "", ""], "题型为空，应为 单选、多选、判断 或 填空"),
    (["选择", "?", "甲", "乙", "", "", "A", "", ""], "题型“选择”无法识别，应为 单选、多选、判断 或 填空"),
    (["判断", "?", "", "", "", "", "也许", "", ""], "判断题的正确答案应为“对”或“错”，这里是“也许”"),
    (["填空", "?", "甲", "", "", "", "甲", "", ""], "填空题不应有选项（选项A有内容），请检查题型"),
    (["填空", "?", "", "", "", "", "|", "", ""], "填空题的正确答案为空"),
    (["判断", "?", "", "", "", "", "对", "", "abc"], "分值“abc”不是数字"),
    (["判断", "?", "", "", "", "", "对", "", "0"], "分值必须大于 0 且不超过 1000，这里是“0”"),
    (["判断", "?", "", "", "", "", "对", "", "-1"], "分值必须大于 0 且不超过 1000，这里是“-1”"),
    (["判断", "?", "", "", "", "", "对", "", "1e9"], "分值必须大于 0 且不超过 1000，这里是“1e9”"),
    (["判断", "?", "", "", "", "", "对", "", "nan"], "分值必须大于 0 且不超过 1000，这里是“nan”"),
]


@formats
@pytest.mark.parametrize(("row", "problem"), BAD_ROWS)
def test_bad_rows(fmt, row, problem):
    result = read(fmt, [HEADER, ["判断", "好的一题", "", "", "", "", "对", "", ""], row])
    assert result.problems == [f"row 3: {problem}"]
    assert [q.stem for q in result.questions] == ["好的一题"]


@formats
def test_every_problem_of_every_row_is_reported(fmt):
    result = read(fmt, [HEADER, ["单选", "", "甲", "", "丙", "", "AB", "", "x"],
                        ["多选", "?", "甲", "乙", "", "", "A", "", ""]])
    assert result.problems == [
        "row 2: 题干为空", "row 2: 选项B为空，但后面的选项C有内容",
        "row 2: 正确答案“AB”指向的选项B是空的", "row 2: 分值“x”不是数字",
        "row 3: 多选题至少要有两个正确答案，这里只有“A”",
    ]


@formats
@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (["题干", "选项A", "解析"], "row 1: 表头缺少必需的列：题型、正确答案（表头须在第 1 行）"),
        (["question", "answer"], "row 1: 表头缺少必需的列：题型、题干、正确答案（表头须在第 1 行）"),
        ([*HEADER, "题干"], "row 1: 表头中“题干”出现了两次"),
    ],
)
def test_bad_header(fmt, header, problem):
    result = read(fmt, [header, ["判断", "?", "", "", "", "", "对", "", ""]])
    assert result.problems == [problem] and result.questions == []


@formats
def test_bad_ids(fmt):
    result = read(fmt, [["编号", *HEADER], ["a b", "判断", "一", "", "", "", "", "对", "", ""],
                        ["x1", "判断", "二", "", "", "", "", "对", "", ""],
                        ["x1", "判断", "三", "", "", "", "", "对", "", ""]])
    assert result.problems == ["row 2: 编号“a b”只能由字母、数字和 _ . - 组成（最多 64 个）",
                               "row 4: 编号“x1”与第 3 行重复"]


@formats
def test_header_only(fmt):
    assert read(fmt, [HEADER]).problems == ["row 2: 表格中没有题目"]


# --- bad files ----------------------------------------------------------------------------------

GOOD_CSV = as_csv([HEADER, ["判断", "党员应当按月交纳党费。", "", "", "", "", "对", "", ""]])


def zip_of(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
CSV_FILES = [
    (b"", "row 1: 文件是空的"),
    (b"  \n", "row 1: 文件是空的"),
    ("题型,题干,正确答案\n".encode() + b"\xff\x80,x,y\n",
     "row 2: 文件不是 UTF-8 编码；请在 Excel 中“另存为”，文件类型选“CSV UTF-8（逗号分隔）”"),
    ("题型,题干,正确答案\n".encode("utf-16"),
     "row 1: 文件是 UTF-16 编码，不是 UTF-8；请在 Excel 中“另存为”，文件类型选“CSV UTF-8（逗号分隔）”"),
    (PNG, "row 1: 这不是CSV 文本文件，看起来是 PNG 图片"),
    (zip_of({"a": "x"}), "row 1: 这不是CSV 文本文件，看起来是 压缩包（xlsx、docx 或 zip）"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 40, "row 1: 这不是CSV 文本文件，看起来是 旧版 Office 文件（.xls/.doc）或加密的工作簿"),
    (b"abc\x00def", "row 1: 这不是CSV 文本文件，看起来是 二进制文件"),
    (b"x" * (5 * 1024 * 1024 + 1), "row 1: 文件太大（5.0 MB），上限是 5 MB"),
    ("题型\t题干\t正确答案\n判断\t?\t对\n".encode(), "row 1: 列之间应该用逗号分隔；请在 Excel 中“另存为”，文件类型选“CSV UTF-8（逗号分隔）”"),
]


@pytest.mark.parametrize(("data", "problem"), CSV_FILES)
def test_bad_csv_files(data, problem):
    result = read_csv(data)
    assert (result.problems, result.questions) == ([problem], [])


def test_csv_with_bom_and_crlf():
    data = "\ufeff题型,题干,正确答案\r\n判断,\"两行\r\n题干\",对\r\n".encode()
    [q] = read_csv(data).questions
    assert q.stem == "两行\n题干"


def test_csv_field_too_large():
    data = ("题型,题干,正确答案\n判断,\"" + "长" * 140_000 + "\",对\n").encode()
    assert read_csv(data).problems == ["row 2: 无法解析 CSV（field larger than field limit (131072)）"]


XLSX_FILES = [
    (b"", "row 1: 文件是空的"),
    (PNG, "row 1: 这不是 xlsx 工作簿，看起来是 PNG 图片"),
    (GOOD_CSV, "row 1: 这不是 xlsx 工作簿，看起来是 文本文件（CSV 文件请按 CSV 导入）"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 40, "row 1: 这是旧版 Excel（.xls）或加密的工作簿；请在 Excel 中另存为不加密的 .xlsx"),
    (zip_of({"readme.txt": "hello"}), "row 1: 这是一个普通的 zip 压缩包，不是 xlsx 工作簿"),
    (zip_of({"word/document.xml": "<w/>"}), "row 1: 这不是 xlsx 工作簿，而是Word 文档（.docx）"),
    (zip_of({"xl/workbook.xml": "<not a workbook"}), "row 1: 无法读取这个 xlsx 文件（可能已损坏）；请用 Excel 打开后重新保存"),
    (as_xlsx([HEADER])[:300], "row 1: 文件已损坏，无法作为 xlsx 打开"),
    (b"PK\x03\x04" + b"\x00" * 100, "row 1: 文件已损坏，无法作为 xlsx 打开"),
    (b"x" * (5 * 1024 * 1024 + 1), "row 1: 文件太大（5.0 MB），上限是 5 MB"),
]


@pytest.mark.parametrize(("data", "problem"), XLSX_FILES)
def test_bad_xlsx_files(data, problem):
    result = read_xlsx(data)
    assert (result.problems, result.questions) == ([problem], [])


def test_xlsx_zip_bomb_is_refused_before_unzipping(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_UNZIPPED", 10_000)
    bomb = zip_of({"xl/workbook.xml": "<x/>",
                   "xl/worksheets/sheet1.xml": "<" + " " * 20_000 + "/>"})
    assert read_xlsx(bomb).problems == ["row 1: xlsx 解压后过大，无法读取"]


@formats
def test_too_many_rows(fmt):
    row = ["判断", "?", "", "", "", "", "对", "", ""]
    assert read(fmt, [HEADER] + [row] * 2000).problems == []
    assert read(fmt, [HEADER] + [row] * 2001).problems == ["row 1: 题目超过 2000 行，请拆成几个文件导入"]


def test_xlsx_reads_the_first_sheet_and_formula_values():
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["判断", "?", None, None, None, None, "对", None, "=1+1"])
    book.create_sheet("其他").append(["nothing"])
    out = io.BytesIO()
    book.save(out)
    # a formula never calculated by Excel has no saved value: blank → 1 point
    [q] = read_xlsx(out.getvalue()).questions
    assert q.points == 1.0


# --- writers and the template ---------------------------------------------------------------------

def test_template_has_one_example_per_kind_and_reads_back():
    data = template_xlsx()
    result = read_xlsx(data)
    assert result.problems == [] and result.questions == list(TEMPLATE_QUESTIONS)
    assert [q.kind for q in result.questions] == ["single", "multiple", "truefalse", "fill"]
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["题库", "填写说明"]
    assert [c.value for c in book["题库"][1]] == list(tabular.COLUMNS)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_writers_guard_against_formula_injection(fmt):
    q = QuestionData(key="x", kind="fill", stem="=HYPERLINK(\"http://evil\")", answer=("-1", "@a"),
                     explanation="+cmd", options=())
    data = WRITERS[fmt]([q])
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[1][2:3] == ["'=HYPERLINK(\"http://evil\")"] and rows[1][-2] == "'+cmd"
    else:
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet["C2"].value == "'=HYPERLINK(\"http://evil\")"
        assert sheet["C2"].data_type == "s"
    assert READERS[fmt](data).questions == [q]


def test_csv_is_utf8_with_bom_for_excel():
    assert write_csv(TEMPLATE_QUESTIONS).startswith("\ufeff编号,题型,题干".encode())


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_writers_refuse_unsound_questions(writer):
    with pytest.raises(ValueError, match="bad"):
        writer([QuestionData(key="bad", kind="single", stem="?", options=("a",), answer=(0,))])


@settings(**FUZZ)
@given(banks())
def test_csv_round_trip(questions):
    assert read_csv(write_csv(questions)).questions == questions


@settings(**FUZZ, suppress_health_check=[HealthCheck.too_slow])
@given(banks(max_size=4))
def test_xlsx_round_trip(questions):
    assert read_xlsx(write_xlsx(questions)).questions == questions


@settings(max_examples=50, deadline=None)
@given(banks(max_size=4))
def test_export_import_export_is_a_fixed_point(questions):
    once = write_csv(questions)
    assert write_csv(read_csv(once).questions) == once


# --- fuzzing: never an exception ---------------------------------------------------------------

VALID_XLSX = write_xlsx(TEMPLATE_QUESTIONS)
VALID_CSV = write_csv(TEMPLATE_QUESTIONS)


@settings(**FUZZ)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data):
    assert_well_formed(read_csv(data), "row")
    assert_well_formed(read_xlsx(data), "row")


@settings(**FUZZ)
@given(mutated(VALID_CSV))
def test_mutated_csv_never_raises(data):
    assert_well_formed(read_csv(data), "row")


@settings(**FUZZ)
@given(mutated(VALID_XLSX))
def test_mutated_xlsx_never_raises(data):
    assert_well_formed(read_xlsx(data), "row")


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


XLSX_MEMBERS = _members(VALID_XLSX)


@st.composite
def xlsx_with_mutated_xml(draw) -> bytes:
    """A valid zip whose workbook parts are damaged: exercises openpyxl, not just zipfile."""
    members = dict(XLSX_MEMBERS)
    for name in draw(st.lists(st.sampled_from(sorted(members)), min_size=1, max_size=3)):
        members[name] = draw(mutated(members[name]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@settings(**FUZZ)
@given(xlsx_with_mutated_xml())
def test_xlsx_with_damaged_parts_never_raises(data):
    assert_well_formed(read_xlsx(data), "row")


@settings(**FUZZ)
@given(st.lists(st.lists(st.one_of(st.text(max_size=8), st.sampled_from(
    ["单选", "多选", "判断", "填空", "简答", "A", "ACD", "E", "对", "x|y", "", "'=", "2"])),
    max_size=10), max_size=8))
def test_random_tables_never_raise(rows):
    assert_well_formed(read_csv(as_csv([HEADER, *rows])), "row")

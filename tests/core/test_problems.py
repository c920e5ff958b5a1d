"""Problems carry where they are, the field, a message id and its parameters: the command line
keeps the plain text (``row 3: …``), a page shows them in the reader's language (第 3 行：…)."""
import pytest

from lms.core.problems import place_text, translated
from lms.core.questions import QuestionData, question_problems
from lms.quizzes.formats import read_csv, read_gift

BAD_ROW = "题型,题干,选项A,选项B,正确答案\n单选,好题,甲,乙,A\n多选,坏题,甲,乙,AE\n".encode()


def test_a_located_problem_reads_as_before_and_keeps_its_parts():
    problem = read_csv(BAD_ROW).problems[0]
    assert problem == "row 3: 正确答案“AE”指向的选项E是空的"
    assert (problem.unit, problem.number, problem.field) == ("row", 3, "answer")
    assert problem.msgid == "正确答案“%(raw)s”指向的选项%(letters)s是空的"
    assert problem.params == {"raw": "AE", "letters": "E"}


def test_validation_problems_name_their_field_and_keep_their_english_text():
    question = QuestionData(key="a", kind="single", stem=" ", options=("甲", "甲"), answer=(0, 1),
                            points=0)
    found = question_problems(question)
    assert [p.field for p in found] == ["stem", "points", "options", "answer"]
    assert found[0] == "the question has no stem" and found[0].msgid == "题干为空"


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh_CN", "第 3 行：正确答案“AE”指向的选项E是空的"),
    ("en", "Row 3: The answer “AE” names option E, which is empty"),
])
def test_a_problem_is_shown_in_the_readers_language(app, lang, expected):
    problem = read_csv(BAD_ROW).problems[0]
    with app.app_context(), app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        assert translated(problem) == expected


def test_a_refusal_names_its_question_and_a_text_file_counts_lines(app):
    refused = read_gift("题目一{T}\n\n数值题{#3}\n".encode()).refused[0]
    assert refused == "line 3: 数值题: 不支持数值题（numerical）"
    with app.app_context(), app.test_request_context(headers={"Cookie": "lang=en"}):
        assert translated(refused) == "Line 3: 数值题: Numerical questions are not supported"
        assert place_text("row 7") == "Row 7"
    with app.app_context(), app.test_request_context():  # a request of its own: its language
        assert translated(refused) == "第 3 行：数值题：不支持数值题（numerical）"
        assert place_text("line 7") == "第 7 行"
        assert translated("文件中没有可导入的题目。") == "文件中没有可导入的题目。"

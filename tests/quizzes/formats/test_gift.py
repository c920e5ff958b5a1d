"""GIFT: Moodle's own examples file, good and bad input, refusals, round trips, fuzzing."""
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lms.core.questions import QuestionData
from lms.quizzes.formats import read_gift, write_gift
from lms.quizzes.formats.tabular_write import TEMPLATE_QUESTIONS
from tests.quizzes.formats.strategies import FUZZ, assert_well_formed, banks, mutated

# shared/ lies beside the work tree (and beside CI's clone)
EXAMPLES = next(folder / "shared/reference/gift/moodle-examples.txt"
                for folder in Path(__file__).resolve().parents
                if (folder / "shared/reference/gift/moodle-examples.txt").exists())


def read(text: str):
    result = read_gift(text.encode("utf-8"))
    assert_well_formed(result, "line")
    return result


# --- Moodle's examples file: exactly what is taken, refused and noted ------------------------------

#: (line, key, kind) of every question taken from moodle-examples.txt, in file order
MOODLE_TAKEN = [
    ("line 8", "q001", "single"),
    ("line 10", "q002", "single"),  # missing word: "Grant is ____ in Grant's tomb."
    ("line 12", "q003", "truefalse"),
    ("line 14", "q004", "fill"),
    ("line 25", "q006", "single"),
    ("line 27", "q007", "single"),
    ("line 29", "q008", "single"),
    ("line 35", "q009", "single"),
    ("line 43", "q010", "fill"),
    ("line 45", "q011", "fill"),
    ("line 49", "q012", "truefalse"),
    ("line 51", "q013", "truefalse"),
    ("line 90", "kanji-origins", "fill"),  # only = answers: short answer
    ("line 93", "thanksgiving-date", "single"),
    ("line 98", "q023", "single"),
    ("line 103", "q024", "fill"),
    ("line 108", "q025", "fill"),  # [markdown] marker removed
    ("line 113", "q026", "truefalse"),
    ("line 115", "q027", "single"),
    ("line 117", "jesus-hometown", "single"),
    ("line 123", "q029", "fill"),  # same title as line 117: numbered key
    ("line 130", "q030", "multiple"),
    ("line 136", "q031", "multiple"),
    ("line 143", "q032", "single"),
    ("line 148", "gift-control-characters", "single"),
    ("line 167", "q034", "single"),
    ("line 169", "q035", "single"),
    ("line 171", "q036", "truefalse"),
    ("line 173", "q037", "fill"),
    ("line 184", "grants-tomb", "single"),
    ("line 190", "q041", "single"),
    ("line 195", "jesus-hometown-short-answer-ex", "fill"),
]

MOODLE_REFUSED = [
    "line 16: When was Ulysses S. Grant born…: 不支持数值题（numerical）",
    "line 55: Matching Question.: 不支持配对题（matching）",
    "line 61: Match the following countries …: 不支持配对题（matching）",
    "line 70: When was Ulysses S. Grant born…: 不支持数值题（numerical）",
    "line 72: What is the value of pi (to 3 …: 不支持数值题（numerical）",
    "line 74: What is the value of pi (to 3 …: 不支持数值题（numerical）",
    "line 76: When was Ulysses S. Grant born…: 不支持数值题（numerical）",
    "line 85: What's 2 plus 2?: 不支持数值题（numerical）",
    "line 175: When was Ulysses S. Grant born…: 不支持数值题（numerical）",
    "line 177: Match the following countries …: 不支持配对题（matching）",
    "line 202: Numerical example: 不支持数值题（numerical）",
]

MOODLE_NOTES = [
    "line 103: Who's buried in Grant's tomb?: 填空题的答案反馈没有导入",
    "line 108: Who's buried in **Grant's tomb…: 填空题的答案反馈没有导入",
    "line 115: Difficult question.: 部分得分选项（half credit answer）按错误选项导入：单选题只有一个正确答案",
    "line 117: Jesus' hometown: 部分得分选项（Bethlehem、Galilee）按错误选项导入：单选题只有一个正确答案",
    "line 123: Jesus' hometown: 只导入了满分答案；部分得分的答案 Nazereth、Bethlehem 没有导入",
    "line 123: Jesus' hometown: 填空题的答案反馈没有导入",
    "line 190: Difficult multiple choice ques…: 部分得分选项（half credit answer）按错误选项导入：单选题只有一个正确答案",
    "line 195: Jesus' hometown (Short answer ex.): 只导入了满分答案；部分得分的答案 Nazereth、Bethlehem 没有导入",
    "line 195: Jesus' hometown (Short answer ex.): 填空题的答案反馈没有导入",
]


@pytest.fixture(scope="module")
def moodle():
    result = read_gift(EXAMPLES.read_bytes())
    assert_well_formed(result, "line")
    return result


def test_moodle_examples_taken_refused_and_noted(moodle):
    assert moodle.problems == []
    taken = [(moodle.locations[q.key], q.key, q.kind) for q in moodle.questions]
    assert taken == MOODLE_TAKEN
    assert moodle.refused == MOODLE_REFUSED
    assert moodle.notes == MOODLE_NOTES


def test_moodle_examples_content(moodle):
    by_key = {q.key: q for q in moodle.questions}
    assert by_key["q001"] == QuestionData(key="q001", kind="single", stem="Who's buried in Grant's tomb?",
                                          options=("Grant", "Jefferson", "no one"), answer=(2,))
    assert by_key["q002"].stem == "Grant is ____ in Grant's tomb."
    assert by_key["q003"].answer == (False,) and by_key["q013"].answer == (True,)
    assert by_key["q004"].answer == ("no one", "nobody")
    assert by_key["q008"].stem == ("The American holiday of Thanksgiving is celebrated on the ____ "
                                   "Thursday of November.")
    assert by_key["q011"] == QuestionData(key="q011", kind="fill", stem="Two plus two equals ____.",
                                          answer=("four", "4"))
    assert by_key["kanji-origins"].title == "Kanji Origins"
    assert by_key["kanji-origins"].stem == "Japanese characters originally\ncame from what country?"
    assert by_key["q023"].option_feedback == ("feedback comment on the wrong answer",
                                              "feedback comment on this wrong answer", "Very good!")
    assert by_key["q025"].stem == "Who's buried in **Grant's tomb**?"
    assert by_key["q026"].explanation == "No one is buried in Grant's tomb."
    assert (by_key["q027"].options, by_key["q027"].answer) == (
        ("wrong answer", "half credit answer", "full credit answer"), (2,))
    assert by_key["jesus-hometown"].stem == "Jesus Christ was from ____."
    assert by_key["q029"].stem == "Jesus Christ was from" and by_key["q029"].answer == ("Nazareth",)
    assert by_key["q030"].answer == by_key["q031"].answer == (1, 2)
    assert by_key["q032"].options == ("= 2 + 2", "= 2 + 3", "= 2 + 4")
    control = by_key["gift-control-characters"]
    assert control.options == ("~", "=", "#", "{", "}", "\\") and control.answer == (5,)
    assert control.option_feedback[5].startswith("Correct! \\ (backslash) is not a control character.")
    assert by_key["grants-tomb"].option_feedback == ("No one is buried there.", "Right answer!",
                                                     "We hope not!")


def test_moodle_examples_survive_export_and_import(moodle):
    again = read_gift(write_gift(moodle.questions))
    assert again.problems == [] and again.questions == moodle.questions


# --- good input ---------------------------------------------------------------------------------

GOOD = [
    ("Q \\{x\\} \\:: a\\#b {=a\\~b}", dict(kind="fill", stem="Q {x} :: a#b", answer=("a~b",))),
    ("Line one\\nline two{T}", dict(kind="truefalse", stem="Line one\nline two", answer=(True,))),
    ("Back\\\\slash{=C:\\\\dir}", dict(stem="Back\\slash", answer=("C:\\dir",))),
    ("[html]<p>Who is <b>here</b>?</p><script>alert(1)</script>{=me}",
     dict(stem="Who is here?", answer=("me",))),
    ("[html]A&amp;B<br>next{=<i>x</i>}", dict(stem="A&B\nnext", answer=("x",))),
    ("[markdown]**Bold**{=x}", dict(stem="**Bold**")),
    ("[plain]<b>kept</b>{=x}", dict(stem="<b>kept</b>")),
    ("[moodle]Text{=x}", dict(stem="Text")),
    ("[other]Text{=x}", dict(stem="[other]Text")),
    ("Q{T}", dict(kind="truefalse", answer=(True,))),
    ("Q{TRUE}", dict(answer=(True,))),
    ("Q{F}", dict(answer=(False,))),
    ("Q{FALSE}", dict(answer=(False,))),
    ("Q{true}", dict(kind="truefalse", answer=(True,))),
    ("Q{T#wrong answer fb#right answer fb}", dict(answer=(True,), explanation="wrong answer fb")),
    ("Q{F####because}", dict(answer=(False,), explanation="because")),
    ("Q{~a#no =b#yes ~c}", dict(kind="single", options=("a", "b", "c"), answer=(1,),
                                option_feedback=("no", "yes", ""))),
    ("Q{~%50%a ~%50%b ~%-100%c}", dict(kind="multiple", options=("a", "b", "c"), answer=(0, 1))),
    ("Q{~%33.33333%a ~%33.33333%b ~%33.33333%c ~d}", dict(kind="multiple", answer=(0, 1, 2))),
    ("Q{~%100%a ~b}", dict(kind="single", answer=(0,))),
    ("Q{~a =b ####general}", dict(kind="single", explanation="general")),
    ("Two plus two equals {=four =4}.", dict(kind="fill", stem="Two plus two equals ____.")),
    ("党的根本宗旨是全心全意为人民{=服务 =服务人民}。", dict(stem="党的根本宗旨是全心全意为人民____。",
                                                 answer=("服务", "服务人民"))),
    ("::党费::党员应当按月交纳党费。{T}", dict(key="q001", title="党费")),
    ("::Grant's Tomb::Q{T}", dict(key="grants-tomb", title="Grant's Tomb")),
    ("::  ::Q{T}", dict(key="q001", title="")),
    ("// id: fields-q1\n// points: 2.5\nQ{T}", dict(key="fields-q1", points=2.5)),
    ("// id: not valid!\nQ{T}", dict(key="q001")),
    ("// question: 12  name: foo\nQ{T}", dict(key="q001")),
    ("Q{\n  =a\n  =b\n}", dict(kind="fill", answer=("a", "b"))),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_good_questions(text, expected):
    result = read(text)
    assert result.problems == [] and result.refused == []
    [q] = result.questions
    for name, value in expected.items():
        assert getattr(q, name) == value, name


def test_file_level_handling():
    text = "$CATEGORY: $course$/top/Default\n\n// comment only\n\r\nQ1{T}\r\n\r\n::x::Q2{F}\n"
    result = read_gift(("\ufeff" + text).encode())
    assert [(result.locations[q.key], q.key) for q in result.questions] == [("line 5", "q001"),
                                                                           ("line 7", "x")]


def test_keys_stay_unique_when_titles_collide_with_numbers():
    result = read("Q{T}\n\n::q001::Q{T}\n\n::Same::Q{T}\n\n::same::Q{T}\n\n// id: q005\nQ{T}")
    assert [q.key for q in result.questions] == ["q001", "q002", "same", "q004", "q005"]


# --- bad input ----------------------------------------------------------------------------------

BAD = [
    ("::unfinished title Q{T}", "line 3: 标题缺少结尾的 ::"),
    ("Q {=a", "line 3: 花括号 { } 不成对，或一道题里有不止一组（字面的花括号写作 \\{ \\}）"),
    ("Q =a}", "line 3: 花括号 { } 不成对，或一道题里有不止一组（字面的花括号写作 \\{ \\}）"),
    ("Q {=a} and {=b}", "line 3: 花括号 { } 不成对，或一道题里有不止一组（字面的花括号写作 \\{ \\}）"),
    ("Q {~a ~b}", "line 3: 没有正确选项：用 = 标出正确答案，或用 ~%50% 这样的正权重"),
    ("Q {junk ~a =b}", "line 3: 选项前有多余的文字“junk”（选项以 = 或 ~ 开头）"),
    ("Q {~a =}", "line 3: 第 2 个选项为空"),
    ("Q {~%150%a =b}", "line 3: 权重 150% 超出了 -100% 到 100%"),
    ("Q {~a =a}", "line 3: 有两个选项内容相同"),
    ("Q {=a}\n// id: x", None),
    ("Q {abc}", "line 3: 填空题的每个答案要以 = 开头，例如 {=答案}"),
    ("Q {=%50%a}", "line 3: 没有满分答案（不带百分比的 = 才算满分）"),
    ("Q {= =b}", "line 3: 有一个答案为空"),
    ("{=a}", "line 3: 题干为空"),
    ("// points: abc\nQ{T}", "line 4: // points: 的值应为 0 到 1000 之间的数"),
    ("// points: 0\nQ{T}", "line 4: // points: 的值应为 0 到 1000 之间的数"),
    ("Q\U000f0001{T}", "line 3: 含有无法处理的私用区字符"),
]


@pytest.mark.parametrize(("text", "problem"), BAD)
def test_bad_questions(text, problem):
    result = read("Good{T}\n\n" + text)
    assert [q.stem for q in result.questions] == ["Good"] + (["Q"] if problem is None else [])
    assert result.problems == ([problem] if problem else [])


def test_duplicate_ids():
    result = read("// id: x\nA{T}\n\n// id: x\nB{T}")
    assert result.problems == ["line 5: // id: x 与 line 2 的题目重复"]


REFUSED = [
    ("Match {=a -> 1 =b -> 2}", "不支持配对题（matching）"),
    ("Year? {#1822:1}", "不支持数值题（numerical）"),
    ("Write an essay.{}", "不支持问答题（essay）"),
    ("Write an essay.{####general feedback}", "不支持问答题（essay）"),
    ("Just a description.", "不支持说明文字（description，没有 {…} 答案）"),
    ("Q{=a =b ~c}", "不支持有多个满分（=）选项的单选题"),
    ("Q{=a ~b ~c ~d ~e ~f ~g}", "不支持超过 6 个选项的选择题"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused(text, reason):
    result = read("::First::Good{T}\n\n::Named::" + text)
    assert result.refused == [f"line 3: Named: {reason}"]
    assert result.problems == [] and [q.key for q in result.questions] == ["first"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "line 1: 文件是空的"),
        (b"// only a comment\n", "line 1: 文件中没有找到题目"),
        ("党员应当按月交纳党费。{T}".encode("gbk"),
         "line 1: 文件不是 UTF-8 编码（看起来是 GBK，中文版 Excel、WPS 和记事本的默认编码）；"
         "请用记事本或 WPS“另存为”，编码选 UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00", "line 1: 这不是GIFT 文本文件，看起来是 PNG 图片"),
        (b"Q{T}\n\n" * 2001, "line 1: 题目超过 2000 道，请拆成几个文件导入"),
    ],
)
def test_bad_files(data, problem):
    assert read_gift(data).problems == [problem]


# --- writer -------------------------------------------------------------------------------------

def test_writer_output():
    questions = [
        QuestionData(key="q1", kind="single", stem="Who?", options=("a", "b=c"), answer=(1,),
                     option_feedback=("no", ""), title="T: 1"),
        QuestionData(key="q2", kind="multiple", stem="[x] // y", options=("a", "b", "c"),
                     answer=(0, 2), explanation="line\nbreak", points=2.0),
        QuestionData(key="q3", kind="truefalse", stem="Sun?", answer=(True,), explanation="east"),
        QuestionData(key="q4", kind="fill", stem="2+2=____", answer=("4", "%four"), points=0.5),
    ]
    assert write_gift(questions).decode() == (
        "// id: q1\n::T\\: 1::Who?{\n\t~a#no\n\t=b\\=c\n}\n\n"
        "// id: q2\n// points: 2\n[plain][x] // y{\n\t~%50%a\n\t~%-50%b\n\t~%50%c\n"
        "\t####line\\nbreak\n}\n\n"
        "// id: q3\nSun?{TRUE####east}\n\n"
        "// id: q4\n// points: 0.5\n2+2\\=____{\n\t=4\n\t=%100%%four\n}\n"
    )
    assert read_gift(write_gift(questions)).questions == questions


def test_writer_refuses_what_gift_cannot_hold():
    with pytest.raises(ValueError, match="->"):
        write_gift([QuestionData(key="a", kind="fill", stem="?", answer=("a->b",))])
    with pytest.raises(ValueError, match="bad"):
        write_gift([QuestionData(key="bad", kind="truefalse", stem="", answer=(True,))])


def test_template_round_trip():
    assert read_gift(write_gift(TEMPLATE_QUESTIONS)).questions == list(TEMPLATE_QUESTIONS)


@settings(**FUZZ)
@given(banks(titles=True, feedback=True))
def test_round_trip(questions):
    assume(not any(q.kind == "fill" and any("->" in a for a in q.answer) for q in questions))
    data = write_gift(questions)
    result = read_gift(data)
    assert result.problems == [] and result.refused == []
    assert result.questions == questions
    assert write_gift(result.questions) == data


# --- fuzzing: never an exception ---------------------------------------------------------------

GIFT_PIECES = ["{", "}", "~", "=", "#", "####", "::", "->", "%50%", "%-100%", "\\", "\\n", "\n",
               "\n\n", "//", "[html]", "[markdown]", "<b>", "$CATEGORY:", "T", "FALSE", " ", "a",
               "中文", "\U000f0001", "// id: x", "// points: 2"]


@settings(**FUZZ)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data):
    assert_well_formed(read_gift(data), "line")


@settings(**FUZZ)
@given(st.lists(st.one_of(st.sampled_from(GIFT_PIECES), st.text(max_size=3)), max_size=40))
def test_random_gift_text_never_raises(pieces):
    assert_well_formed(read_gift("".join(pieces).encode("utf-8", "surrogatepass")), "line")


@settings(**FUZZ)
@given(mutated(EXAMPLES.read_bytes()))
def test_mutated_moodle_examples_never_raise(data):
    assert_well_formed(read_gift(data), "line")


@settings(**FUZZ)
@given(mutated(write_gift(TEMPLATE_QUESTIONS)))
def test_mutated_export_never_raises(data):
    assert_well_formed(read_gift(data), "line")

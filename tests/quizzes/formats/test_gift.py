"""GIFT: the project's own examples file, good and bad input, refusals, round trips, fuzzing."""
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lms.core.questions import QuestionData
from lms.quizzes.formats import read_gift, write_gift
from lms.quizzes.formats.tabular_write import TEMPLATE_QUESTIONS
from tests.helpers import GIFT_EXAMPLES
from tests.quizzes.formats.strategies import FUZZ, assert_well_formed, banks, mutated


def read(text: str):
    result = read_gift(text.encode("utf-8"))
    assert_well_formed(result, "line")
    return result


# --- our examples file (examples/fieldside.gift): exactly what is taken, refused and noted ----

#: (line, key, kind) of every question taken from fieldside.gift, in file order
EXAMPLES_TAKEN = [
    ("line 9", "q001", "single"),
    ("line 11", "q002", "single"),  # missing word: text after the braces
    ("line 13", "q003", "single"),  # options on lines of their own
    ("line 19", "meeting-minutes", "single"),  # ASCII title: slug key; per-option feedback
    ("line 25", "full-options", "single"),  # six options, the most a question may have
    ("line 27", "q006", "single"),  # partial weight on a wrong option: noted
    ("line 29", "q007", "single"),  # no =, one positive weight
    ("line 33", "organising-life", "multiple"),
    ("line 39", "q009", "multiple"),
    ("line 43", "q010", "truefalse"),
    ("line 45", "q011", "truefalse"),
    ("line 47", "q012", "truefalse"),
    ("line 49", "q013", "truefalse"),  # {t}: any case
    ("line 51", "q014", "truefalse"),
    ("line 53", "q015", "truefalse"),
    ("line 57", "q016", "fill"),
    ("line 59", "dues-month", "fill"),
    ("line 61", "q018", "fill"),
    ("line 63", "q019", "fill"),
    ("line 69", "fee-basis", "single"),  # // id: and // points:
    ("line 71", "q021", "truefalse"),  # same title as line 19: numbered key
    ("line 73", "q022", "fill"),  # the blank first
    ("line 77", "q023", "truefalse"),
    ("line 79", "q024", "fill"),
    ("line 81", "q025", "single"),  # [html] reduced to text
    ("line 83", "q026", "truefalse"),
    ("line 85", "q027", "truefalse"),
    ("line 87", "q028", "truefalse"),
]

EXAMPLES_REFUSED = [
    "line 91: 配对: 不支持配对题（matching）",
    "line 97: 中国共产党成立于哪一年？: 不支持数值题（numerical）",
    "line 99: 圆周率取到两位小数是多少？: 不支持数值题（numerical）",
    "line 101: 一年有几个季度？: 不支持数值题（numerical）",
    "line 103: 谈谈你参加组织生活会的体会。: 不支持问答题（essay）",
    "line 105: 写一段学习心得。: 不支持问答题（essay）",
    "line 107: 这一段只是说明文字，没有答案，也就不是题目。: 不支持说明文字（description，没有 {…} 答案）",
    "line 109: Two Right: 不支持有多个满分（=）选项的单选题",
    "line 111: Seven Options: 不支持超过 6 个选项的选择题",
]

EXAMPLES_NOTES = [
    "line 27: 下面哪一种做法最合适？: 部分得分选项（先决定再听意见）按错误选项导入：单选题只有一个正确答案",
    "line 51: 入党申请书可以由别人代写。: 判断题的答题反馈只保留一条作为解析，其余没有导入",
    "line 53: 预备期从支部大会通过之日算起。: 判断题的答题反馈只保留一条作为解析，其余没有导入",
    "line 61: 村党组织每届任期几年？: 只导入了满分答案；部分得分的答案 三年 没有导入",
    "line 63: 支部书记由谁选举产生？: 填空题的答案反馈没有导入",
]


@pytest.fixture(scope="module")
def examples():
    result = read_gift(GIFT_EXAMPLES.read_bytes())
    assert_well_formed(result, "line")
    return result


def test_examples_taken_refused_and_noted(examples):
    assert examples.problems == []
    taken = [(examples.locations[q.key], q.key, q.kind) for q in examples.questions]
    assert taken == EXAMPLES_TAKEN
    assert examples.refused == EXAMPLES_REFUSED
    assert examples.notes == EXAMPLES_NOTES


def test_examples_hold_every_kind_of_refusal(examples):
    reasons = {line.rsplit(": ", 1)[1] for line in examples.refused}
    assert reasons == {reason for _, reason in REFUSED}


def test_examples_content(examples):
    by_key = {q.key: q for q in examples.questions}
    assert by_key["q001"] == QuestionData(key="q001", kind="single", stem="党员应当多久交纳一次党费？",
                                          options=("每年", "每月", "每季度"), answer=(1,))
    assert by_key["q002"].stem == "“三会一课”中的“一课”指的是____。"
    assert by_key["q003"].stem == "村里的党员活动日一般安排在 ____ 举行。"
    assert by_key["q003"].answer == (1,)
    minutes = by_key["meeting-minutes"]
    assert minutes.title == "Meeting Minutes" and minutes.answer == (1,)
    assert minutes.option_feedback == ("不对，记录要有专人负责。", "对，会前就定好记录人。", "会议必须有记录。")
    assert len(by_key["full-options"].options) == 6
    assert (by_key["q006"].options, by_key["q006"].answer) == (
        ("先听群众意见再决定", "先决定再听意见", "不听意见"), (0,))
    assert by_key["q007"].answer == (0,)
    assert by_key["organising-life"].answer == (0, 1) and by_key["q009"].answer == (0, 1, 2)
    assert [by_key[f"q{n:03d}"].answer for n in range(10, 16)] == [
        (True,), (False,), (True,), (True,), (False,), (True,)]
    assert by_key["q014"].explanation == "想一想：申请书要本人写。"
    assert by_key["q015"].explanation == "预备期从支部大会通过为预备党员之日算起。"
    assert by_key["q016"] == QuestionData(key="q016", kind="fill", stem="党的根本宗旨是全心全意为人民____。",
                                          answer=("服务", "服务人民"))
    assert by_key["dues-month"].stem == "党费应当每____交纳一次。"
    assert by_key["q018"].answer == ("五年", "5年") and by_key["q019"].answer == ("支部委员会", "支委会")
    assert (by_key["fee-basis"].title, by_key["fee-basis"].points) == ("党费基数", 2.5)
    assert by_key["q021"].title == "Meeting Minutes" and by_key["q022"].stem.startswith("____ 个")
    assert by_key["q023"].stem == "大括号写作 { }，冒号写作 :，井号写作 #，等号写作 =，波浪号写作 ~。"
    assert by_key["q024"].stem == "第一行\n第二行；反斜线写作 \\。"
    assert by_key["q024"].answer == ("C:\\村委会",)
    assert by_key["q025"].stem == "下面哪个是党员的义务？"
    assert by_key["q025"].options == ("按时交纳党费", "<不参加活动>")
    assert by_key["q026"].stem == "**学习强国**上可以学习党课。"
    assert by_key["q027"].stem == "<b>尖括号原样保留</b>"
    assert (by_key["q028"].stem, by_key["q028"].explanation) == ("普通文字的标记去掉。", "这一行的说明保留。")


def test_examples_survive_export_and_import(examples):
    again = read_gift(write_gift(examples.questions))
    assert again.problems == [] and again.questions == examples.questions


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
        (b"\xff\x80{T}",
         "line 1: 文件不是 UTF-8 编码；请用记事本或 WPS“另存为”，编码选 UTF-8"),
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
@given(mutated(GIFT_EXAMPLES.read_bytes()))
def test_mutated_examples_never_raise(data):
    assert_well_formed(read_gift(data), "line")


@settings(**FUZZ)
@given(mutated(write_gift(TEMPLATE_QUESTIONS)))
def test_mutated_export_never_raises(data):
    assert_well_formed(read_gift(data), "line")

"""Aiken: good and bad input with line numbers, the writer, round trips, fuzzing."""
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lms.core.questions import QuestionData
from lms.quizzes.formats import read_aiken, write_aiken
from tests.quizzes.formats.strategies import FUZZ, assert_well_formed, mutated

SAMPLE = """党员应当多久交纳一次党费？
A. 每月
B. 每年
C. 想起来就交
ANSWER: A

Who is buried in Grant's tomb?
A) Grant
B) No one
ANSWER: B
"""


def read(text: str):
    result = read_aiken(text.encode("utf-8"))
    assert_well_formed(result, "line")
    return result


def test_reads_questions_with_numbered_keys_and_lines():
    result = read(SAMPLE)
    assert result.problems == []
    assert result.questions == [
        QuestionData(key="q001", kind="single", stem="党员应当多久交纳一次党费？",
                     options=("每月", "每年", "想起来就交"), answer=(0,)),
        QuestionData(key="q002", kind="single", stem="Who is buried in Grant's tomb?",
                     options=("Grant", "No one"), answer=(1,)),
    ]
    assert result.locations == {"q001": "line 1", "q002": "line 7"}


@pytest.mark.parametrize(
    ("text", "options", "answer"),
    [
        ("Q\nA. a\nB. b\nANSWER: B", ("a", "b"), (1,)),
        ("Q\nA) a\nB) b\nANSWER: A", ("a", "b"), (0,)),
        ("Q\nA、甲\nB、乙\nANSWER：B", ("甲", "乙"), (1,)),  # Chinese enumeration comma, full-width colon
        ("Q\nA．甲\nB．乙\nAnswer: b", ("甲", "乙"), (1,)),
        ("Q\nA.甲\nB.乙\n答案：A", ("甲", "乙"), (0,)),  # no space before a Chinese option
        ("Q\nＡ．甲\nＢ．乙\nANSWER: Ｂ", ("甲", "乙"), (1,)),  # full-width letters
        ("  Q  \n\tA. a \n\nB. b\n  ANSWER:   B  ", ("a", "b"), (1,)),  # stray blanks and spaces
        ("Q\r\nA. a\r\nB. b\r\nANSWER: A\r\n", ("a", "b"), (0,)),
    ],
)
def test_spellings(text, options, answer):
    [q] = read(text).questions
    assert (q.stem, q.options, q.answer) == ("Q", options, answer)


def test_multi_line_stem_and_no_blank_line_between_questions():
    result = read("第一行\n第二行\nA. a\nB. b\nANSWER: A\nNext?\nA. x\nB. y\nANSWER: B")
    assert [q.stem for q in result.questions] == ["第一行\n第二行", "Next?"]


BAD = [
    ("Q\nA. a\nB. b", ["line 1: Q: 缺少 ANSWER 行"]),
    ("Q\nA. a\nB. b\n\nNext\nA. x\nB. y\nANSWER: A", ["line 1: Q: 缺少 ANSWER 行"]),
    ("Q\nA. a\nB. b\nANSWER: E", ["line 4: ANSWER 的字母 E 没有对应的选项"]),
    ("Q\nA. a\nB. b\nANSWER: 1", ["line 4: ANSWER 的字母 1 没有对应的选项"]),
    ("Q\nA. a\nB. b\nANSWER:", ["line 4: ANSWER 后面没有字母"]),
    ("Q\nA. a\nB. b\nANSWER: AB", ["line 4: Aiken 只能有一个正确答案，这里是“AB”"]),
    ("A. a\nB. b\nANSWER: A", ["line 1: 选项 A 出现在题干之前", "line 2: 选项 B 出现在题干之前",
                               "line 3: ANSWER 行前面没有题目"]),
    ("ANSWER: A", ["line 1: ANSWER 行前面没有题目"]),
    ("Q\nA. a\nC. c\nANSWER: A", ["line 3: 选项字母应为 B，这里是 C"]),
    ("Q\nA. a\nB.\nANSWER: A", ["line 3: 选项 B 为空"]),
    ("Q\nA. a\nB. b\nC. c\nD. d\nE. e\nF. f\nG. g\nANSWER: A", ["line 8: 选项最多 6 个（A–F）"]),
    ("Q\nA. a\nANSWER: A", ["line 1: 单选题需要 2 到 6 个选项"]),
    ("Q\nA. a\nB. a\nANSWER: A", ["line 1: 有两个选项内容相同"]),
    ("Q\nANSWER: A", ["line 2: ANSWER 的字母 A 没有对应的选项"]),
]


@pytest.mark.parametrize(("text", "problems"), BAD)
def test_bad_input(text, problems):
    result = read("Good\nA. yes\nB. no\nANSWER: A\n\n" + text)
    shifted = [p.replace(p.split(":")[0], f"line {int(p.split(':')[0][5:]) + 5}") for p in problems]
    assert result.problems == shifted
    assert result.questions[0].stem == "Good"


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"", "line 1: 文件是空的"), (b"\n\n", "line 1: 文件是空的"),
     ("问题\nA. 甲\n".encode() + b"B. \xff\x80\nANSWER: A",
      "line 3: 文件不是 UTF-8 编码；请用记事本或 WPS“另存为”，编码选 UTF-8"),
     (b"%PDF-1.4\n", "line 1: 这不是Aiken 文本文件，看起来是 PDF 文档"),
     (b"Q\nA. a\nB. b\nANSWER: A\n" * 2001, "line 1: 题目超过 2000 道，请拆成几个文件导入")],
)
def test_bad_files(data, problem):
    assert read_aiken(data).problems == [problem]


def test_writer():
    q = QuestionData(key="x", kind="single", stem="第一行\n\n第二行", options=("甲", "乙  丙"),
                     answer=(1,), explanation="not written", points=3.0)
    assert write_aiken([q, q]).decode() == (
        "第一行\n第二行\nA. 甲\nB. 乙 丙\nANSWER: B\n\n第一行\n第二行\nA. 甲\nB. 乙 丙\nANSWER: B\n")


@pytest.mark.parametrize(
    ("question", "match"),
    [
        (QuestionData(key="m", kind="multiple", stem="?", options=("a", "b"), answer=(0, 1)),
         "single-choice questions only"),
        (QuestionData(key="t", kind="truefalse", stem="?", answer=(True,)), "single-choice"),
        (QuestionData(key="s", kind="single", stem="A. looks like an option", options=("a", "b"),
                      answer=(0,)), "option or an ANSWER line"),
        (QuestionData(key="s", kind="single", stem="Q\nANSWER: x", options=("a", "b"),
                      answer=(0,)), "option or an ANSWER line"),
        (QuestionData(key="s", kind="single", stem="Q", options=("a",), answer=(0,)), "2 to 6"),
    ],
)
def test_writer_refuses(question, match):
    with pytest.raises(ValueError, match=match):
        write_aiken([question])


words = st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Co", "Z")),
                         min_size=1, max_size=6), min_size=1, max_size=4).map(" ".join)


@st.composite
def single_questions(draw):
    count = draw(st.integers(1, 5))
    out = []
    for n in range(1, count + 1):
        options = tuple(draw(st.lists(words, min_size=2, max_size=6, unique=True)))
        stem = "\n".join(draw(st.lists(words, min_size=1, max_size=3)))
        out.append(QuestionData(key=f"q{n:03d}", kind="single", stem=stem, options=options,
                                answer=(draw(st.integers(0, len(options) - 1)),)))
    return out


@settings(**FUZZ)
@given(single_questions())
def test_round_trip(questions):
    try:
        data = write_aiken(questions)
    except ValueError:
        assume(False)
    assert read_aiken(data).questions == questions


AIKEN_PIECES = ["A. ", "B) ", "C、", "ANSWER: ", "ANSWER: A", "答案：", "\n", "\n\n", "Q", "a",
                "中", " ", "Ｂ．", "G. "]


@settings(**FUZZ)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data):
    assert_well_formed(read_aiken(data), "line")


@settings(**FUZZ)
@given(st.lists(st.one_of(st.sampled_from(AIKEN_PIECES), st.text(max_size=3)), max_size=40))
def test_random_aiken_text_never_raises(pieces):
    assert_well_formed(read_aiken("".join(pieces).encode("utf-8", "surrogatepass")), "line")


@settings(**FUZZ)
@given(mutated(SAMPLE.encode()))
def test_mutated_file_never_raises(data):
    assert_well_formed(read_aiken(data), "line")


def test_a_stem_starting_with_a_byte_order_mark_is_refused_not_lost():
    """Found by Hypothesis: as the first question, such a stem read back as no question."""
    question = QuestionData(key="q001", kind="single", stem="\ufeff", options=("a", "b"),
                            answer=(0,))
    with pytest.raises(ValueError, match="byte-order mark"):
        write_aiken([question])

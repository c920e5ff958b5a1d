"""Grading: a table per kind, partial-credit arithmetic, and form-value normalisation."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.core.questions import QuestionData
from lms.quizzes.grading import (
    GRADERS,
    NORMALIZERS,
    Grade,
    grade,
    mastery_met,
    normalize_response,
)

SINGLE = QuestionData(key="s", kind="single", stem="产业链党支部建在哪里？",
                      options=("村委会", "产业链上", "县城"), answer=(1,), points=2.0)
MULTIPLE = QuestionData(key="m", kind="multiple", stem="三会一课包括？",
                        options=("支部党员大会", "村民代表会议", "党小组会", "党课", "联欢会"),
                        answer=(0, 2, 3), points=3.0)
TRUE = QuestionData(key="t", kind="truefalse", stem="党员应当按月交纳党费。", answer=(True,))
FALSE = QuestionData(key="f", kind="truefalse", stem="党费可以一年交一次。", answer=(False,))
FILL = QuestionData(key="b", kind="fill", stem="全心全意为人民____。", answer=("服务", "服务人民"))
FILL_LATIN = QuestionData(key="l", kind="fill", stem="The party is the ____.", answer=("CPC",))
FILL_ODD = QuestionData(key="o", kind="fill", stem="?", answer=("。", "好"))


def test_every_kind_has_a_grader_and_a_normalizer():
    assert set(GRADERS) == set(NORMALIZERS) == {"single", "multiple", "truefalse", "fill"}


@pytest.mark.parametrize(
    ("response", "correct", "points"),
    [(1, True, 2.0), (0, False, 0.0), (2, False, 0.0), (None, False, 0.0)],
)
def test_single(response, correct, points):
    assert grade(SINGLE, response) == Grade(correct, points)


@pytest.mark.parametrize(
    ("response", "correct", "points"),
    [
        ((0, 2, 3), True, 3.0),
        ([3, 2, 0], True, 3.0),
        ({0, 2, 3}, True, 3.0),
        ((0, 2), False, 0.0),
        ((0, 2, 3, 4), False, 0.0),
        ((1,), False, 0.0),
        ((), False, 0.0),
        (None, False, 0.0),
    ],
)
def test_multiple_all_or_nothing(response, correct, points):
    assert grade(MULTIPLE, response) == Grade(correct, points)
    assert grade(MULTIPLE, response, multiple_scoring="all_or_nothing") == Grade(correct, points)


@pytest.mark.parametrize(
    ("response", "correct", "points"),
    [
        ((0, 2, 3), True, 3.0),  # 3 right − 0 wrong = 3/3
        ((0, 2), False, 2.0),  # 2/3 of 3 points
        ((0,), False, 1.0),  # 1/3 of 3 points, exactly 1.0
        ((0, 2, 3, 4), False, 2.0),  # (3 − 1)/3
        ((0, 2, 1, 4), False, 0.0),  # (2 − 2)/3
        ((0, 1, 4), False, 0.0),  # (1 − 2) floored at 0
        ((0, 1, 2, 3, 4), False, 1.0),  # everything ticked: (3 − 2)/3
        ((1, 4), False, 0.0),
        ((), False, 0.0),
        (None, False, 0.0),
    ],
)
def test_multiple_partial(response, correct, points):
    assert grade(MULTIPLE, response, multiple_scoring="partial") == Grade(correct, points)


def test_partial_credit_is_computed_exactly():
    one_point = QuestionData(key="m", kind="multiple", stem="?", options=("a", "b", "c", "d"),
                             answer=(0, 1, 2), points=1.0)
    assert grade(one_point, (0,), multiple_scoring="partial").points == 1 / 3
    assert grade(one_point, (0, 1), multiple_scoring="partial").points == 2 / 3
    tenth = QuestionData(key="m", kind="multiple", stem="?", options=("a", "b", "c"),
                         answer=(0, 1, 2), points=0.3)
    assert grade(tenth, (0,), multiple_scoring="partial").points == pytest.approx(0.1)
    assert grade(tenth, (0,), multiple_scoring="partial").points == 0.1


@pytest.mark.parametrize(
    ("question", "response", "correct"),
    [(TRUE, True, True), (TRUE, False, False), (FALSE, False, True), (FALSE, True, False),
     (TRUE, None, False), (FALSE, None, False)],
)
def test_truefalse(question, response, correct):
    assert grade(question, response) == Grade(correct, 1.0 if correct else 0.0)


@pytest.mark.parametrize(
    ("question", "typed", "correct"),
    [
        (FILL, "服务", True),
        (FILL, "服务。", True),  # trailing 。
        (FILL, "服务．", True),  # full-width full stop
        (FILL, " 服务 ", True),  # spaces
        (FILL, "\u3000服务\u3000", True),  # full-width spaces
        (FILL, "服 务", True),  # a space between Chinese characters
        (FILL, "服务人民！", True),  # the second accepted answer
        (FILL, "服务群众", False),
        (FILL, "务服", False),
        (FILL, "", False),
        (FILL, "   ", False),
        (FILL, None, False),
        (FILL_LATIN, "CPC", True),
        (FILL_LATIN, "cpc", True),  # case
        (FILL_LATIN, "ＣＰＣ", True),  # 全角 letters
        (FILL_LATIN, "ｃｐｃ。", True),
        (FILL_LATIN, "C P C", False),
        (FILL_ODD, "。", False),  # an answer that normalises to nothing never matches
        (FILL_ODD, "", False),
        (FILL_ODD, "好", True),
    ],
)
def test_fill(question, typed, correct):
    assert grade(question, typed) == Grade(correct, 1.0 if correct else 0.0)


@pytest.mark.parametrize(
    ("question", "response"),
    [(SINGLE, 3), (SINGLE, -1), (SINGLE, "1"), (SINGLE, True), (SINGLE, 1.0),
     (MULTIPLE, "023"), (MULTIPLE, 0), (MULTIPLE, (0, 7)), (MULTIPLE, ("0",)),
     (TRUE, 1), (TRUE, "true"), (FILL, 5), (FILL, ["服务"])],
)
def test_grade_refuses_malformed_responses(question, response):
    with pytest.raises(ValueError):
        grade(question, response)


def test_grade_refuses_unknown_scoring_and_kind():
    with pytest.raises(ValueError, match="multiple_scoring"):
        grade(MULTIPLE, (0,), multiple_scoring="generous")
    essay = QuestionData(key="e", kind="essay", stem="?", answer=())
    with pytest.raises(ValueError, match="essay"):
        grade(essay, "text")
    with pytest.raises(ValueError, match="essay"):
        normalize_response(essay, "text")


@pytest.mark.parametrize(
    ("question", "raw", "expected"),
    [
        (SINGLE, "2", 2),
        (SINGLE, " 0 ", 0),
        (SINGLE, 1, 1),
        (SINGLE, None, None),
        (SINGLE, "", None),
        (MULTIPLE, ["0", "3"], (0, 3)),
        (MULTIPLE, ["3", "0"], (0, 3)),
        (MULTIPLE, ("4",), (4,)),
        (MULTIPLE, [], ()),
        (MULTIPLE, None, ()),
        (TRUE, "true", True),
        (TRUE, "false", False),
        (TRUE, "TRUE", True),
        (TRUE, "1", True),
        (TRUE, "0", False),
        (TRUE, "对", True),
        (TRUE, "错", False),
        (TRUE, False, False),
        (TRUE, None, None),
        (TRUE, "", None),
        (FILL, "服务。", "服务。"),
        (FILL, "", ""),
        (FILL, None, ""),
    ],
)
def test_normalize_response(question, raw, expected):
    assert normalize_response(question, raw) == expected


@pytest.mark.parametrize(
    ("question", "raw"),
    [
        (SINGLE, "3"),  # out of range
        (SINGLE, "-1"),
        (SINGLE, "1.0"),
        (SINGLE, "abc"),
        (SINGLE, "１"),  # full-width digit: not what our form sends
        (SINGLE, "1_0"),
        (SINGLE, "99999999999999999999"),
        (SINGLE, True),
        (SINGLE, ["1"]),
        (MULTIPLE, "0"),  # a bare string: the view must use getlist
        (MULTIPLE, ["0", "0"]),  # chosen twice
        (MULTIPLE, ["0", "9"]),
        (MULTIPLE, ["x"]),
        (MULTIPLE, [""]),
        (MULTIPLE, 3),
        (TRUE, "maybe"),
        (TRUE, "2"),
        (TRUE, ["true"]),
        (FILL, ["服务"]),
        (FILL, 12),
        (FILL, "长" * 1001),
    ],
)
def test_normalize_response_refuses_garbage(question, raw):
    with pytest.raises(ValueError):
        normalize_response(question, raw)


@pytest.mark.parametrize(
    ("correct_count", "required", "met"), [(2, 2, True), (3, 2, True), (1, 2, False), (0, 0, True)]
)
def test_mastery_met(correct_count, required, met):
    assert mastery_met(correct_count, required) is met


@settings(max_examples=200)
@given(picked=st.sets(st.integers(0, 4)), scoring=st.sampled_from(["all_or_nothing", "partial"]))
def test_multiple_points_stay_between_zero_and_max(picked, scoring):
    result = grade(MULTIPLE, picked, multiple_scoring=scoring)
    assert 0 <= result.points <= MULTIPLE.points
    assert result.correct == (picked == {0, 2, 3})
    assert result.correct == (result.points == MULTIPLE.points)

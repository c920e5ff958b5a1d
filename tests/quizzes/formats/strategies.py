"""Hypothesis strategies shared by the format tests: sound questions, and mutated files."""
from __future__ import annotations

import re

from hypothesis import strategies as st

from lms.core.questions import QuestionData, question_problems
from lms.quizzes.formats import ReadResult

FUZZ = dict(max_examples=200, deadline=None)

#: characters that mean something to one of the formats, mixed into generated text
SPECIAL = list("~=#{}:\\|｜'+-@%[]/,;\"\n 　。，、") + ["->", "//", "::", "\\n", "____", "ANSWER:"]

_letter = st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Co"))
text = (st.lists(st.one_of(_letter, st.sampled_from(SPECIAL)), min_size=1, max_size=12)
        .map("".join).map(str.strip).filter(bool))
keys = st.from_regex(r"[A-Za-z0-9_.-]{1,10}", fullmatch=True)
#: points as authors write them (Excel keeps 15 significant digits, so no more than that)
points = st.one_of(st.sampled_from([1.0, 2.0, 0.5, 1.5, 10.0]),
                   st.decimals(min_value="0.01", max_value=1000, places=2).map(float))


@st.composite
def question(draw, key: str, *, titles: bool = False, feedback: bool = False) -> QuestionData:
    kind = draw(st.sampled_from(["single", "multiple", "truefalse", "fill"]))
    options: tuple = ()
    option_feedback: tuple = ()
    if kind in ("single", "multiple"):
        options = tuple(draw(st.lists(text, min_size=2, max_size=6, unique=True)))
        size = 1 if kind == "single" else draw(st.integers(2, len(options)))
        answer = tuple(sorted(draw(st.permutations(range(len(options))))[:size]))
        if feedback and draw(st.booleans()):
            option_feedback = tuple(draw(st.lists(st.one_of(st.just(""), text),
                                                  min_size=len(options), max_size=len(options))))
            if not any(option_feedback):
                option_feedback = ()
    elif kind == "truefalse":
        answer = (draw(st.booleans()),)
    else:
        answer = tuple(draw(st.lists(text, min_size=1, max_size=3, unique=True)))
    q = QuestionData(
        key=key, kind=kind, stem=draw(text), answer=answer, options=options,
        explanation=draw(st.one_of(st.just(""), text)), points=draw(points),
        title=draw(st.one_of(st.just(""), text)) if titles else "", option_feedback=option_feedback)
    assert question_problems(q) == []
    return q


@st.composite
def banks(draw, *, titles: bool = False, feedback: bool = False, max_size: int = 6):
    names = draw(st.lists(keys, min_size=1, max_size=max_size, unique=True))
    return [draw(question(name, titles=titles, feedback=feedback)) for name in names]


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """``original`` with a few random bytes inserted, deleted or replaced."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and data:
            del data[at: at + draw(st.integers(1, 4))]
        elif data:
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


LOCATION = re.compile(r"(row|line) \d+: \S")


def assert_well_formed(result, unit: str) -> None:
    """What every reader promises, whatever it was given."""
    assert isinstance(result, ReadResult)
    for message in [*result.problems, *result.refused, *result.notes]:
        assert isinstance(message, str)
        assert LOCATION.match(message) and message.startswith(unit + " "), message
    keys_seen = [q.key for q in result.questions]
    assert len(keys_seen) == len(set(keys_seen))
    for q in result.questions:
        assert isinstance(q, QuestionData)
        assert question_problems(q) == []
    assert set(result.locations) == set(keys_seen)
    assert all(re.fullmatch(unit + r" \d+", where) for where in result.locations.values())

"""The question-kind registry: every kind is whole (templates, form fields, every format), and
the pages and formats ask the registry rather than naming kinds."""
import random
import re
from pathlib import Path

import pytest

from lms.authoring.forms import QuestionForm
from lms.core import kinds
from lms.core.questions import QuestionData, question_problems
from lms.quizzes import snapshot
from lms.quizzes.formats import READERS, WRITERS
from lms.quizzes.grading import grade, normalize_response

ROOT = Path(__file__).resolve().parents[2]

SAMPLES = {
    "single": QuestionData(key="s1", kind="single", stem="支部建在哪里？",
                           options=("村委会", "产业链上", "县城"), answer=(1,), explanation="因为"),
    "multiple": QuestionData(key="m1", kind="multiple", stem="三会一课包括？",
                             options=("支部党员大会", "联欢会", "党课"), answer=(0, 2),
                             explanation="因为"),
    "truefalse": QuestionData(key="t1", kind="truefalse", stem="按月交纳党费。", answer=(True,),
                              explanation="因为"),
    "fill": QuestionData(key="f1", kind="fill", stem="为人民____。", answer=("服务",),
                         explanation="因为"),
}


def test_every_registered_kind_has_a_sample_here():
    assert set(SAMPLES) == set(kinds.NAMES) == {m.KIND.name for m in kinds.MODULES}


@pytest.mark.parametrize("name", kinds.NAMES)
def test_every_kind_has_its_templates_and_form_fields(name):
    kind = kinds.get(name)
    for template in (kind.template, kind.authoring_template):
        assert (ROOT / "templates" / template).is_file(), template
    source = (ROOT / "templates" / kind.template).read_text(encoding="utf-8")
    for macro in ("inputs", "preview", "answer_words", "key_words", "answer_key"):
        assert re.search(rf"{{% macro {macro}\(", source), macro
    assert kind.form_fields() and all(hasattr(QuestionForm, f) for f in kind.form_fields())


@pytest.mark.parametrize("name", kinds.NAMES)
def test_every_kind_is_sound_graded_and_round_trips_through_every_full_format(name):
    question = SAMPLES[name]
    assert question_problems(question) == []
    entry = snapshot.present(question, random.Random(3))
    right = kinds.get(name).demo_answer(entry, True)
    wrong = kinds.get(name).demo_answer(entry, False)
    shown = snapshot.as_question(entry)
    assert grade(shown, snapshot.from_stored(name, right)).correct
    assert not grade(shown, snapshot.from_stored(name, wrong)).correct
    raw = snapshot.form_value(name, [str(v).lower() for v in right])
    assert snapshot.to_stored(name, normalize_response(shown, raw)) == right
    for fmt in ("xlsx", "csv", "gift"):
        back = READERS[fmt](WRITERS[fmt]([question]))
        assert back.problems == [] and back.questions[0].kind == name, fmt
        assert back.questions[0].answer == question.answer, fmt


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown question kind 'ordering'"):
        kinds.get("ordering")
    assert question_problems(QuestionData(key="x", kind="ordering", stem="?", answer=())) == [
        "unknown question kind 'ordering' (expected one of single, multiple, truefalse, fill)"]


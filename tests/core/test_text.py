"""normalize_answer: the table of what members type and what it must match."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.core.text import fold_width, is_cjk, normalize_answer


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # width folding (全角 → 半角)
        ("ＡＢＣ１２３", "abc123"),
        ("２０２４年", "2024年"),
        ("ｎｏ　ｏｎｅ", "no one"),
        # case
        ("Beijing", "beijing"),
        ("CPC", "cpc"),
        ("Straße", "strasse"),
        # whitespace, including the ideographic space U+3000 and NBSP
        ("  北京  ", "北京"),
        ("\u3000北京\u3000", "北京"),
        ("\t服务\n", "服务"),
        ("no   one", "no one"),
        ("no\u00a0one", "no one"),
        # spaces next to Chinese characters disappear; between Latin words one stays
        ("乡村 振兴", "乡村振兴"),
        ("乡 村 振 兴", "乡村振兴"),
        ("5 亩", "5亩"),
        ("CPC 党员", "cpc党员"),
        ("no one", "no one"),
        # trailing punctuation, Chinese and ASCII, any amount, with spaces around it
        ("服务。", "服务"),
        ("服务．", "服务"),
        ("服务.", "服务"),
        ("服务，", "服务"),
        ("服务,", "服务"),
        ("服务！", "服务"),
        ("服务!", "服务"),
        ("服务？", "服务"),
        ("服务?", "服务"),
        ("服务；", "服务"),
        ("服务;", "服务"),
        ("服务、", "服务"),
        ("服务…", "服务"),
        ("服务……", "服务"),
        ("服务。。。", "服务"),
        ("服务 。 ", "服务"),
        ("服务！？", "服务"),
        # punctuation inside or in front is kept
        ("3.5", "3.5"),
        ("3.5。", "3.5"),
        ("一、二", "一、二"),
        ("“服务”", "“服务”"),
        ("?服务", "?服务"),
        # invisible characters pasted from chat apps
        ("服\u200b务", "服务"),
        ("\ufeff服务", "服务"),
        # compatibility forms
        ("①", "1"),
        ("㎏", "kg"),
        # nothing left
        ("", ""),
        ("   ", ""),
        ("。", ""),
        ("？！…", ""),
    ],
)
def test_normalize_answer(typed, expected):
    assert normalize_answer(typed) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("为人民服务", "为人民服务。"), ("ＣＰＣ", "cpc"), ("全心全意 为人民服务", "全心全意为人民服务"),
     ("Two", " two. ")],
)
def test_equivalent_answers(a, b):
    assert normalize_answer(a) == normalize_answer(b)


@pytest.mark.parametrize(("a", "b"), [("no one", "noone"), ("北京", "南京"), ("3.5", "35")])
def test_different_answers(a, b):
    assert normalize_answer(a) != normalize_answer(b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ＡＢＣ", "ABC"), ("，。", ",。"), ("\u3000", " "), ("abc", "abc"), ("Ab", "Ab")],
)
def test_fold_width(text, expected):
    assert fold_width(text) == expected


@pytest.mark.parametrize(("ch", "expected"), [("中", True), ("。", True), ("あ", True),
                                              ("한", True), ("a", False), ("1", False),
                                              (" ", False), ("𠀀", True)])
def test_is_cjk(ch, expected):
    assert is_cjk(ch) is expected


@settings(max_examples=200)
@given(st.text())
def test_normalize_answer_is_idempotent_and_trimmed(text):
    once = normalize_answer(text)
    assert normalize_answer(once) == once
    assert once == once.strip()

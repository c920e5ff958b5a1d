"""Chinese-aware text folding for answer matching and search. Pure Python.

Members type fill-in-the-blank answers on phone keyboards that switch between full-width (全角) and
half-width (半角) input, add a closing 。 out of habit, or paste text carrying invisible characters
from WeChat. :func:`normalize_answer` folds all of that away so that the comparison is about the
words, not the keyboard.
"""
from __future__ import annotations

import re
import unicodedata

#: punctuation ignored at the end of an answer (after NFKC, so full-width ．，！？； are covered by
#: their half-width forms, and … has become ...)
TRAILING_PUNCTUATION = "。．.，,！!？?；;、…｡"

#: invisible characters that arrive with pasted text: zero-width space/non-joiner/joiner, word
#: joiner, byte-order mark, soft hyphen
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))

_WHITESPACE_RUN = re.compile(r"\s+")


def fold_width(s: str) -> str:
    """Full-width ↔ half-width folding: Unicode NFKC.

    ``"ＡＢＣ１２３"`` → ``"ABC123"``, ``"，"`` → ``","``, U+3000 → ``" "``. NFKC also folds other
    compatibility forms (``"①"`` → ``"1"``, ``"㎏"`` → ``"kg"``), which is what a search wants.
    """
    return unicodedata.normalize("NFKC", s)


def is_cjk(ch: str) -> bool:
    """True for Han ideographs, kana, hangul and CJK punctuation: text written without spaces."""
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK punctuation, kana, CJK ideographs and ext. A
        or 0xAC00 <= code <= 0xD7AF  # hangul syllables
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # CJK compatibility forms
        or 0x20000 <= code <= 0x3FFFF  # ideograph extensions B and later
    )


def _join_words(text: str) -> str:
    """Collapse whitespace runs to one space, and drop a run next to a CJK character.

    Chinese is written without spaces, so ``"乡村 振兴"`` and ``"5 亩"`` are the same answers as
    ``"乡村振兴"`` and ``"5亩"``; between Latin words one space stays (``"no one"`` ≠ ``"noone"``).
    """
    parts = _WHITESPACE_RUN.split(text)
    out = parts[0]
    for part in parts[1:]:
        if out and part and not is_cjk(out[-1]) and not is_cjk(part[0]):
            out += " "
        out += part
    return out


def normalize_answer(s: str) -> str:
    """The form of a fill-in-the-blank answer that two answers are compared in.

    Rules, in order:

    1. NFKC (:func:`fold_width`): full-width letters, digits, punctuation and the ideographic space
       become half-width;
    2. invisible characters (zero-width spaces, BOM, soft hyphen) are removed;
    3. Latin letters are case-folded (``"ABC"`` = ``"abc"``, ``"Straße"`` = ``"strasse"``);
    4. trailing punctuation, Chinese or ASCII (:data:`TRAILING_PUNCTUATION`), is dropped together
       with any whitespace around it, however much of it there is;
    5. whitespace is stripped at both ends; inside, a run becomes one space between two non-CJK
       characters and disappears next to a CJK character.

    Leading punctuation and punctuation inside the answer are kept: ``"3.5"`` stays ``"3.5"``.
    The result may be empty (``"。"``); graders never accept an empty answer.
    """
    # NFKC again after casefold: case folding can leave sequences NFKC would compose differently
    text = fold_width(fold_width(s).translate(_INVISIBLE).casefold())
    text = text.rstrip()
    while text and text[-1] in TRAILING_PUNCTUATION:
        text = text[:-1].rstrip()
    return _join_words(text.strip())

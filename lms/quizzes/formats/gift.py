"""Moodle GIFT: reader for our four kinds, refusing the rest. Pure Python.

Rules (Moodle's own parser, ``question/format/gift/format.php``, is the reference):

- Questions are separated by blank lines; every line is trimmed; lines starting with ``//`` are
  comments. Two comments carry our metadata so that our own exports round-trip exactly:
  ``// id: <key>`` and ``// points: <n>``. ``$CATEGORY:`` blocks are ignored.
- ``::title::`` names a question. The key is the ``// id:`` when given, else the title slugified
  when it is plain ASCII (``Grant's Tomb`` → ``grants-tomb``), else ``q<n>`` (n = the question's
  position in the file); a key already taken falls back to ``q<n>``.
- Escapes ``\\~ \\= \\# \\{ \\} \\:`` give the character, ``\\n`` a line break, ``\\\\`` a backslash.
- One ``{…}`` per question. Text after ``}`` makes it a missing-word question: the blank becomes
  ``____`` in the stem. ``####text`` at the end of the braces is the general feedback
  (explanation).
- ``[markdown]``, ``[plain]``, ``[moodle]`` markers are removed; ``[html]`` text is reduced to plain
  text (:func:`.html_text.html_to_text`). Answers and feedback inherit the stem's format.
- ``{~a =b ~c}``: single choice (``=`` marks the right option; ``#text`` after an option is its
  feedback, kept as ``option_feedback``). Partial weights on wrong options (``~%50%``) are dropped
  with a note. Several ``=`` in one choice question: refused.
- ``{~%50%a ~%50%b ~%-100%c}`` (no ``=``): options with a positive weight are correct: two or more
  → multiple, one → single.
- ``{T}`` ``{TRUE}`` ``{F}`` ``{FALSE}`` (any case): true/false; ``#feedback`` becomes the
  explanation when there is no general feedback.
- ``{=a =b}``: fill-in, every full-credit answer accepted; ``=%75%x`` partial answers are dropped
  with a note, as is per-answer feedback.
- Refused, with their line: matching (``=a -> b``), numerical (``{#…}``), essay (``{}``),
  description (no braces), choice questions with more than six options.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.core.i18n import N_
from lms.core.problems import Problem, located
from lms.core.questions import MAX_OPTIONS, QuestionData, is_valid_key

from .common import (
    MAX_POINTS,
    MAX_QUESTIONS,
    KeyAllocator,
    ReadResult,
    decode_utf8,
    file_problem,
    problems_zh,
    slug_key,
    snippet,
)
from .html_text import html_to_text

_ESCAPABLE = "~=#{}:"
#: escaped control characters are parked in plane-15 private use while the braces are parsed
_PARKED = {ch: chr(0xF0000 + i) for i, ch in enumerate(_ESCAPABLE)}
_UNPARK = {ord(v): k for k, v in _PARKED.items()}
_FORMATS = ("moodle", "html", "plain", "markdown")
_META = re.compile(r"//\s*(id|points)\s*:\s*(\S*)\s*")
_WEIGHT = re.compile(r"%(-?\d{1,3}(?:\.\d+)?)%")
_TRUE, _FALSE = ("T", "TRUE"), ("F", "FALSE")
_SAVE_TEXT = "请用记事本或 WPS“另存为”，编码选 UTF-8"


def _park(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch, nxt = text[i], text[i + 1] if i + 1 < len(text) else ""
        if ch == "\\" and nxt in _PARKED:
            out.append(_PARKED[nxt])
        elif ch == "\\" and nxt == "n":
            out.append("\n")
        elif ch == "\\" and nxt == "\\":
            out.append("\\")
        else:
            out.append(ch)
            i += 1
            continue
        i += 2
    return "".join(out)


def _split_format(text: str, default: str) -> tuple[str, str]:
    text = text.strip()
    end = text.find("]")
    if text.startswith("[") and text[1:end] in _FORMATS:
        return text[1:end], text[end + 1:]
    return default, text


def _plain(text: str, fmt: str) -> str:
    """A parked piece of text in format ``fmt`` (or its own marker) → final plain text."""
    fmt, text = _split_format(text, fmt)
    text = text.translate(_UNPARK).strip()
    return html_to_text(text) if fmt == "html" else text


@dataclass
class _Parsed:
    title: str = ""
    stem: str = ""
    fields: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    refused: Problem | None = None
    notes: list[Problem] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.title or snippet(self.stem) or "（无题干）"


def _choice(parsed: _Parsed, answers: str, fmt: str) -> None:
    pieces = answers.replace("=", "~=").split("~")
    if pieces[0].strip():
        parsed.problems.append(Problem(N_("选项前有多余的文字“%(text)s”（选项以 = 或 ~ 开头）"),
                                       {"text": snippet(_plain(pieces[0], fmt))}))
    options, feedback, weights, full = [], [], [], []
    for piece in (p.strip() for p in pieces[1:]):
        weight_match = _WEIGHT.match(piece)
        if piece.startswith("="):
            weight, body = 100.0, piece[1:]
            full.append(len(options))
        elif weight_match:
            weight, body = float(weight_match[1]), piece[weight_match.end():]
        else:
            weight, body = 0.0, piece
        if abs(weight) > 100:
            parsed.problems.append(Problem(N_("权重 %(weight)s%% 超出了 -100%% 到 100%%"),
                                           {"weight": f"{weight:g}"}))
        text, _, note = body.partition("#")
        options.append(_plain(text, fmt))
        feedback.append(_plain(note, fmt))
        weights.append(weight)
        if not options[-1]:
            parsed.problems.append(Problem(N_("第 %(n)d 个选项为空"), {"n": len(options)}))
    if len(options) > MAX_OPTIONS:
        parsed.refused = Problem(N_("不支持超过 %(n)d 个选项的选择题"), {"n": MAX_OPTIONS})
        return
    if len(full) > 1:
        parsed.refused = Problem(N_("不支持有多个满分（=）选项的单选题"))
        return
    if full:
        correct = full
        partial = [options[i] for i, w in enumerate(weights) if w > 0 and i not in full]
        if partial:
            parsed.notes.append(Problem(
                N_("部分得分选项（%(options)s）按错误选项导入：单选题只有一个正确答案"),
                {"options": "、".join(partial)}))
    else:
        correct = [i for i, w in enumerate(weights) if w > 0]
        if not correct:
            parsed.problems.append(Problem(N_("没有正确选项：用 = 标出正确答案，或用 ~%50% 这样的正权重")))
    parsed.fields = dict(kind="single" if len(correct) <= 1 else "multiple", answer=tuple(correct),
                         options=tuple(options),
                         option_feedback=tuple(feedback) if any(feedback) else ())


def _truefalse(parsed: _Parsed, answers: str, fmt: str, explanation: str) -> None:
    bits = answers.split("#", 2)
    feedback = [_plain(b, fmt) for b in bits[1:]]
    kept = [f for f in feedback if f]
    if not explanation and kept:
        explanation = kept.pop(0)
    if kept:
        parsed.notes.append(Problem(N_("判断题的答题反馈只保留一条作为解析，其余没有导入")))
    parsed.fields = dict(kind="truefalse", answer=(bits[0].strip().upper() in _TRUE,),
                         explanation=explanation)


def _fill(parsed: _Parsed, answers: str, fmt: str) -> None:
    pieces = answers.split("=")
    if pieces[0].strip():
        parsed.problems.append(Problem(N_("填空题的每个答案要以 = 开头，例如 {=答案}")))
    accepted, partial, had_feedback = [], [], False
    for piece in (p.strip() for p in pieces[1:]):
        weight_match = _WEIGHT.match(piece)
        weight = float(weight_match[1]) if weight_match else 100.0
        text, _, note = piece[weight_match.end() if weight_match else 0:].partition("#")
        answer = _plain(text, fmt)
        had_feedback = had_feedback or bool(_plain(note, fmt))
        if not answer:
            parsed.problems.append(Problem(N_("有一个答案为空")))
        elif weight == 100:
            accepted.append(answer)
        else:
            partial.append(answer)
    if not accepted and not parsed.problems:
        parsed.problems.append(Problem(N_("没有满分答案（不带百分比的 = 才算满分）")))
    if partial:
        parsed.notes.append(Problem(N_("只导入了满分答案；部分得分的答案 %(answers)s 没有导入"),
                                    {"answers": "、".join(partial)}))
    if had_feedback:
        parsed.notes.append(Problem(N_("填空题的答案反馈没有导入")))
    parsed.fields = dict(kind="fill", answer=tuple(accepted))


def parse_question(text: str) -> _Parsed:
    """One question's text (comments removed, escapes parked) → what it holds."""
    parsed = _Parsed()
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            parsed.problems.append(Problem(N_("标题缺少结尾的 ::")))
            return parsed
        parsed.title = text[2:end].translate(_UNPARK).strip()
        text = text[end + 2:].strip()
    opens, closes = text.count("{"), text.count("}")
    if not opens and not closes:
        parsed.stem = _plain(text, "moodle")
        parsed.refused = Problem(N_("不支持说明文字（description，没有 {…} 答案）"))
        return parsed
    start, end = text.find("{"), text.find("}")
    if opens != 1 or closes != 1 or end < start:
        parsed.stem = _plain(text[: max(start, 0)], "moodle")
        parsed.problems.append(Problem(N_("花括号 { } 不成对，或一道题里有不止一组（字面的花括号写作 \\{ \\}）")))
        return parsed
    answers, after = text[start + 1: end].strip(), text[end + 1:]
    stem = text[:start] + ("____" + after if after.strip() else "")
    fmt, _ = _split_format(stem, "moodle")
    parsed.stem = _plain(stem, "moodle")
    explanation = ""
    if "####" in answers:
        at = answers.rfind("####")
        answers, explanation = answers[:at].strip(), _plain(answers[at + 4:], fmt)
    if not answers:
        parsed.refused = Problem(N_("不支持问答题（essay）"))
    elif answers.startswith("#"):
        parsed.refused = Problem(N_("不支持数值题（numerical）"))
    elif "~" in answers:
        _choice(parsed, answers, fmt)
    elif "=" in answers and "->" in answers:
        parsed.refused = Problem(N_("不支持配对题（matching）"))
    elif answers.split("#", 1)[0].strip().upper() in _TRUE + _FALSE:
        _truefalse(parsed, answers, fmt, explanation)
    else:
        _fill(parsed, answers, fmt)
    if parsed.fields is not None:
        parsed.fields.setdefault("explanation", explanation)
    if not parsed.stem and not parsed.refused:
        parsed.problems.append(Problem(N_("题干为空"), field="stem"))
    return parsed


def _blocks(text: str):
    """Each blank-line-separated block as ``[(line number, trimmed line), …]``, comments kept."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n") + [""], start=1):
        if line.strip():
            block.append((number, line.strip()))
        elif block:
            yield block
            block = []


def read_gift(data: bytes) -> ReadResult:
    """A GIFT file (UTF-8) → ReadResult; see the module docstring for the rules."""
    text, problem = decode_utf8(bytes(data), "line", "GIFT 文本文件", _SAVE_TEXT)
    if problem:
        return ReadResult(problems=[problem])
    result = ReadResult()
    found: list[tuple[int, _Parsed, str | None, float]] = []
    explicit: dict[str, int] = {}
    for block in _blocks(text):
        content = [(n, line) for n, line in block if not line.startswith("//")]
        if not content:
            continue
        line_no = content[0][0]
        body = "\n".join(line for _, line in content)
        if any(ch in body for ch in _PARKED.values()):
            result.problems.append(located("line", line_no, N_("含有无法处理的私用区字符")))
            continue
        body = _park(body)
        if body.startswith("$CATEGORY:"):
            continue
        if len(found) >= MAX_QUESTIONS:
            return file_problem("line", N_("题目超过 %(n)d 道，请拆成几个文件导入"), n=MAX_QUESTIONS)
        parsed, key, points = parse_question(body), None, 1.0
        for _, line in block:
            meta = _META.fullmatch(line)
            if meta and meta[1] == "id" and is_valid_key(meta[2]):
                key = meta[2]
            elif meta and meta[1] == "points":
                try:
                    points = float(meta[2])
                except ValueError:
                    points = float("nan")
                if not 0 < points <= MAX_POINTS:
                    parsed.problems.append(Problem(N_("// points: 的值应为 0 到 %(max)s 之间的数"),
                                                   {"max": f"{MAX_POINTS:g}"}, field="points"))
        if key and key in explicit:
            parsed.problems.append(Problem(N_("// id: %(key)s 与 line %(line)d 的题目重复"),
                                           {"key": key, "line": explicit[key]}, field="key"))
        elif key:
            explicit[key] = line_no
        found.append((line_no, parsed, key, points))

    keys = KeyAllocator(set(explicit))
    for ordinal, (line_no, parsed, key, points) in enumerate(found, start=1):
        where = f"line {line_no}"
        if parsed.refused:
            result.refused.append(parsed.refused.at("line", line_no, parsed.label))
            continue
        result.problems += [p.at("line", line_no) for p in parsed.problems]
        if parsed.problems or parsed.fields is None:
            continue
        question = QuestionData(
            key=key or keys.allocate(slug_key(parsed.title), ordinal), stem=parsed.stem,
            title=parsed.title, points=points, **parsed.fields)
        leftover = problems_zh(question)
        result.problems += [p.at("line", line_no) for p in leftover]
        if not leftover:
            result.add(question, where)
            result.notes += [n.at("line", line_no, parsed.label) for n in parsed.notes]
    if not (result.questions or result.problems or result.refused):
        result.problems.append(located("line", 1, N_("文件中没有找到题目")))
    return result

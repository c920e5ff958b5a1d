"""What every question-format reader shares: the result type, limits, decoding, keys. Pure Python.

Messages are Chinese (the UI is zh_CN) behind a fixed location prefix: ``row N: …`` for
spreadsheets (row numbers as Excel shows them, the header is row 1) and ``line N: …`` for text
formats. A view may render the prefix as 第 N 行.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.core.questions import QuestionData, is_valid_key, question_problems

#: largest upload a reader looks at
MAX_BYTES = 5 * 1024 * 1024
#: most questions (spreadsheet rows below the header, or text-format questions) in one file
MAX_QUESTIONS = 2000
#: largest points value a reader accepts
MAX_POINTS = 1000.0


@dataclass
class ReadResult:
    """What a reader found in one file.

    ``questions`` are the sound ones, each passing ``question_problems``, with unique keys.
    ``problems`` are errors (``row N: …`` / ``line N: …``): an import goes ahead only when there
    are none, and then imports every question or none. ``refused`` lists questions recognised but
    of a kind this platform does not have (``line N: <title or stem start>: 不支持…``): they are
    never imported, never silently dropped, and do not block the others. ``notes`` are things worth
    telling the trainer that block nothing (feedback or partial-credit weights that had nowhere to
    go). ``locations`` maps each question's key to where it starts (``"row 5"``, ``"line 27"``),
    for previews and messages after the read.
    """

    questions: list[QuestionData] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)

    def add(self, question: QuestionData, location: str) -> None:
        self.questions.append(question)
        self.locations[question.key] = location

    @property
    def ok(self) -> bool:
        return not self.problems


def file_problem(unit: str, message: str) -> ReadResult:
    """A result holding one problem about the whole file, located at row/line 1."""
    return ReadResult(problems=[f"{unit} 1: {message}"])


# --- bytes → text ---------------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"%PDF", "PDF 文档"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文件（.xls/.doc）或加密的工作簿"),
    (b"PK\x03\x04", "压缩包（xlsx、docx 或 zip）"),
    (b"PK\x05\x06", "空的压缩包"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩文件"),
)


def sniff_binary(data: bytes) -> str | None:
    """A Chinese description of what a binary file looks like, or None when it may be text."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if b"\x00" in data[:8192]:
        return "二进制文件"
    return None


def size_problem(data: bytes) -> str | None:
    if not data.strip():
        return "文件是空的"
    if len(data) > MAX_BYTES:
        return f"文件太大（{len(data) / 1024 / 1024:.1f} MB），上限是 {MAX_BYTES // 1024 // 1024} MB"
    return None


def decode_utf8(data: bytes, unit: str, what: str, how_to_save: str) -> tuple[str | None, str | None]:
    """``(text, None)`` for UTF-8 (BOM dropped, line ends made ``\\n``), else ``(None, problem)``.

    Never guesses another encoding: a GBK file (the default of Chinese Excel and Notepad) gets a
    message saying so and how to save it as UTF-8. ``what`` names the file kind, ``how_to_save``
    is the saving advice.
    """
    problem = size_problem(data)
    if problem:
        return None, f"{unit} 1: {problem}"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, f"{unit} 1: 文件是 UTF-16 编码，不是 UTF-8；{how_to_save}"
    binary = sniff_binary(data)
    if binary:
        return None, f"{unit} 1: 这不是{what}，看起来是 {binary}"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("gb18030")
            guess = "（看起来是 GBK，中文版 Excel、WPS 和记事本的默认编码）"
        except UnicodeDecodeError:
            guess = ""
        return None, f"{unit} {line}: 文件不是 UTF-8 编码{guess}；{how_to_save}"
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Line ends made ``\\n``, control characters other than tab and newline removed, stripped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


# --- keys -----------------------------------------------------------------------------------------

def numbered_key(ordinal: int) -> str:
    """The key of the ``ordinal``-th question (1-based) in a source that gives none: ``q001``."""
    return f"q{ordinal:03d}"


def slug_key(title: str) -> str | None:
    """A key from a title when the title is plain ASCII: ``"Grant's Tomb"`` → ``grants-tomb``.

    None for a title with any non-ASCII character (a Chinese title keeps the numbered key) or one
    leaving nothing usable.
    """
    if not title.isascii() or not title.isprintable():
        return None
    slug = re.sub(r"[^a-z0-9_.]+", "-", title.lower().replace("'", "")).strip("-_.")[:64]
    slug = slug.strip("-_.")
    return slug if is_valid_key(slug) else None


class KeyAllocator:
    """Hands out unique keys in source order: the preferred key when free, else ``q<ordinal>``,
    else ``q<ordinal>-2``, ``-3``… (only when an explicit id or a title already took that number).

    ``reserved`` holds the ids the source gives explicitly; they are allocated first so that a
    numbered key never takes an id a later row asks for.
    """

    def __init__(self, reserved: set[str] | frozenset[str] = frozenset()) -> None:
        self.taken: set[str] = set(reserved)

    def allocate(self, preferred: str | None, ordinal: int) -> str:
        candidates = [preferred] if preferred else []
        candidates.append(numbered_key(ordinal))
        for key in candidates:
            if key not in self.taken:
                self.taken.add(key)
                return key
        n = 2
        while f"{candidates[-1]}-{n}" in self.taken:
            n += 1
        key = f"{candidates[-1]}-{n}"
        self.taken.add(key)
        return key


# --- validation ----------------------------------------------------------------------------------

#: question_problems() messages in Chinese; readers check most things themselves first, this is
#: the net below them
_PROBLEMS_ZH = {
    "the question has no stem": "题干为空",
    "points must be a positive number": "分值必须是正数",
    "an option is empty": "有选项为空",
    "two options are the same": "有两个选项内容相同",
    "the answer is not among the options": "正确答案不在选项之中",
    "a single-choice question has exactly one correct option": "单选题只能有一个正确答案",
    "a multiple-choice question has at least two correct options": "多选题至少要有两个正确答案",
    "a true/false answer is true or false": "判断题的答案只能是对或错",
    "a fill-in-the-blank question has no options": "填空题不能有选项",
    "a fill-in-the-blank question needs at least one accepted answer": "填空题至少要有一个答案",
}


_OPTION_COUNT = re.compile(r"a (single|multiple) question needs (\d+) to (\d+) options")


def problems_zh(question: QuestionData) -> list[str]:
    """``question_problems`` in Chinese (an untranslated message passes through as it is)."""
    out = []
    for message in question_problems(question):
        counted = _OPTION_COUNT.fullmatch(message)
        if counted:
            kind = "单选题" if counted[1] == "single" else "多选题"
            out.append(f"{kind}需要 {counted[2]} 到 {counted[3]} 个选项")
        else:
            out.append(_PROBLEMS_ZH.get(message, message))
    return out


def snippet(text: str, limit: int = 30) -> str:
    """The start of a text on one line, for naming a question in a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"

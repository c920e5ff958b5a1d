"""Reading and writing simple tables (XLSX and CSV) for imports and exports.

Pure Python: takes bytes, returns rows or a problem a person can act on. Shared by the roster
import and the question-bank import so both say the same thing about the same bad file.
"""
from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
#: a crafted sheet can claim 16,384 columns; nothing we import has more than this
MAX_COLUMNS = 64
MAX_UNZIPPED = 25 * 1024 * 1024
#: a cell starting with one of these is run as a formula by spreadsheets (CSV injection):
#: our writers put a ``'`` before it, and cell_text takes it off again
INJECTION_CHARS = "=+-@'\t\r"
SAVE_CSV = "请在 Excel 中“另存为”，文件类型选“CSV UTF-8（逗号分隔）”"

# --- bytes → text ---------------------------------------------------------------------------

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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def decode_utf8(data: bytes, unit: str, what: str, how_to_save: str) -> \
        tuple[str | None, str | None]:
    """``(text, None)`` for UTF-8 (BOM dropped, line ends made ``\\n``), else ``(None, problem)``.

    A file that is not UTF-8 but decodes as GB18030 (which covers GBK, the default of Chinese
    Excel, WPS and Notepad) is read as that; only a file that is neither is refused. ``unit`` is
    "row" or "line", ``what`` names the file kind, ``how_to_save`` is the saving advice.
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
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            return None, f"{unit} {line}: 文件不是 UTF-8 编码；{how_to_save}"
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def clean_text(text: str) -> str:
    """Line ends made ``\\n``, control characters other than tab and newline removed, stripped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def cell_text(value) -> str:
    """A cell as the text the user sees: no needless ``.0``, bools TRUE/FALSE, dates ISO, and
    the ``'`` our exporters put before a formula character taken off again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, (datetime.date, datetime.time)):
        value = value.isoformat()
    text = clean_text(str(value))
    if len(text) > 1 and text[0] == "'" and text[1] in INJECTION_CHARS:
        text = text[1:]
    return text


# --- files → rows ---------------------------------------------------------------------------

def csv_rows(data: bytes, max_rows: int) -> tuple[list[list] | None, str | None]:
    """The rows of a UTF-8 CSV (at most ``max_rows`` + 2 read), or a ``row N: …`` problem."""
    text, problem = decode_utf8(bytes(data), "row", "CSV 文本文件", SAVE_CSV)
    if problem:
        return None, problem
    rows: list[list] = []
    try:
        for values in csv.reader(io.StringIO(text, newline="")):
            rows.append(values[:MAX_COLUMNS])
            if len(rows) > max_rows + 1 and any(v.strip() for v in values):
                break
    except csv.Error as exc:
        return None, f"row {len(rows) + 1}: 无法解析 CSV（{exc}）"
    return rows, None


def _xlsx_zip_problem(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception:  # noqa: BLE001 - any failure to open the archive is the same answer
        return "文件已损坏，无法作为 xlsx 打开"
    names = {info.filename for info in infos}
    # a zip bomb is refused before anything is decompressed
    if len(infos) > 1000 or sum(info.file_size for info in infos) > MAX_UNZIPPED:
        return "xlsx 解压后过大，无法读取"
    if "xl/workbook.xml" in names:
        return None
    for marker, what in (("word/document.xml", "Word 文档（.docx）"),
                         ("ppt/presentation.xml", "PowerPoint 演示文稿（.pptx）"),
                         ("content.xml", "OpenDocument 文件（.ods/.odt），请另存为 .xlsx"),
                         ("xl/workbook.bin", "二进制工作簿（.xlsb），请另存为 .xlsx")):
        if marker in names:
            return f"这不是 xlsx 工作簿，而是{what}"
    return "这是一个普通的 zip 压缩包，不是 xlsx 工作簿"


def xlsx_rows(data: bytes, max_rows: int) -> tuple[list[list] | None, str | None]:
    """The first worksheet's rows (formulas by their saved value), or a ``row 1: …`` problem."""
    import openpyxl  # here, so that the text formats work without it

    data = bytes(data)
    problem = size_problem(data)
    if problem:
        return None, f"row 1: {problem}"
    if not data.startswith(b"PK\x03\x04"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            return None, "row 1: 这是旧版 Excel（.xls）或加密的工作簿；请在 Excel 中另存为不加密的 .xlsx"
        what = sniff_binary(data) or "文本文件（CSV 文件请按 CSV 导入）"
        return None, f"row 1: 这不是 xlsx 工作簿，看起来是 {what}"
    problem = _xlsx_zip_problem(data)
    if problem:
        return None, f"row 1: {problem}"
    try:
        # openpyxl warns about features it drops (data validation extensions, missing styles):
        # none of them matter for reading values, and the tests turn warnings into errors
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    return None, "row 1: 工作簿里没有工作表"
                rows = [list(r) for r in book.worksheets[0].iter_rows(
                    max_row=max_rows + 2, max_col=MAX_COLUMNS, values_only=True)]
            finally:
                book.close()
    except Exception:  # noqa: BLE001 - a hostile or broken file may fail anywhere inside openpyxl
        return None, "row 1: 无法读取这个 xlsx 文件（可能已损坏）；请用 Excel 打开后重新保存"
    return rows, None


@dataclass
class Table:
    """A header and data rows; ``rows`` pairs each row with its number as a spreadsheet shows it."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problem: str | None = None


def read_table(data: bytes, filename: str, max_rows: int = MAX_ROWS) -> Table:
    """Read the first sheet of an .xlsx or a UTF-8 .csv as text cells; never raises."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        records, problem = xlsx_rows(data, max_rows)
    elif name.endswith(".csv"):
        records, problem = csv_rows(data, max_rows)
    else:
        return Table(problem="row 1: 只能导入 .xlsx 或 .csv 文件")
    if problem:
        return Table(problem=problem)
    records = [[cell_text(c) for c in r] for r in records]
    if not records or not any(records[0]):
        return Table(problem="row 1: 第 1 行应是表头，但它是空的")
    if len(records) > max_rows + 1:
        return Table(problem=f"row {max_rows + 2}: 行数太多（最多 {max_rows} 行），请拆成几个文件")
    header = [h.strip() for h in records[0]]
    rows = [(n, r) for n, r in enumerate(records[1:], start=2) if any(r)]
    return Table(header=header, rows=rows)


def column_index(table: Table, required: list[str], optional: list[str] = ()) -> \
        tuple[dict[str, int], str | None]:
    """Map column names to positions; a problem names every required column that is missing."""
    positions = {name: i for i, name in enumerate(table.header) if name}
    missing = [c for c in required if c not in positions]
    if missing:
        return {}, "row 1: 缺少列：" + "、".join(missing) + "（第 1 行应是表头）"
    return {c: positions[c] for c in [*required, *optional] if c in positions}, None


def cell(row: list[str], positions: dict[str, int], name: str) -> str:
    i = positions.get(name)
    return row[i] if i is not None and i < len(row) else ""


def defuse(value) -> str:
    """Control characters removed (a worksheet cannot hold them), and a ``'`` before a leading
    ``= + - @ '``, tab or CR so that no spreadsheet runs the cell as a formula."""
    text = _CONTROL.sub("", "" if value is None else str(value))
    return "'" + text if text[:1] and text[0] in INJECTION_CHARS else text


def display_width(value) -> int:
    """How many columns a cell's text takes on screen: a Chinese character takes two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(header: list[str], rows: list[list], title: str = "Sheet1") -> bytes:
    """A workbook of one sheet: see :func:`write_workbook`."""
    return write_workbook([(title, header, rows)])


def write_workbook(tables) -> bytes:
    """A workbook of (title, header, rows) sheets whose columns are as wide as their widest cell
    (within 6 to 50), numbers kept as numbers, text formula-defused."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for title, header, rows in tables:
        sheet = workbook.create_sheet(title=title[:31])
        for index, column in enumerate(zip(header, *rows, strict=False), start=1):
            width = max(display_width(v) for v in column)
            sheet.column_dimensions[get_column_letter(index)].width = min(50, max(6, width + 2))
        sheet.append(header)
        for row in rows:
            sheet.append([defuse(v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([defuse(v) if isinstance(v, str) else v for v in row])
    return out.getvalue().encode("utf-8-sig")

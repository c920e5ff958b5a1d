"""Reading and writing simple tables (XLSX and CSV) for imports and exports.

Pure Python: takes bytes, returns rows or a problem a person can act on. Shared by the roster
import and the question-bank import so both say the same thing about the same bad file.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
#: characters that make a spreadsheet treat a cell as a formula (CSV/formula injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """A header and data rows; ``rows`` pairs each row with its number as a spreadsheet shows it."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problem: str | None = None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(data: bytes, filename: str) -> Table:
    """Read the first sheet of an .xlsx or a UTF-8 .csv; never raises on bad input."""
    if not data:
        return Table(problem="文件是空的。")
    if len(data) > MAX_BYTES:
        return Table(problem=f"文件太大（超过 {MAX_BYTES // 1024 // 1024} MB）。")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        return _read_csv(data)
    return Table(problem="只能导入 .xlsx 或 .csv 文件。")


def _read_csv(data: bytes) -> Table:
    if b"\x00" in data[:4096]:
        return Table(problem="这不是文本格式的 CSV 文件（看起来是二进制文件）。")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Table(problem="CSV 文件不是 UTF-8 编码（可能是 GBK）。请在 Excel 中“另存为”"
                             "“CSV UTF-8（逗号分隔）”后再导入。")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return Table(problem=f"CSV 格式有误：{error}")
    return _to_table(records)


def _read_xlsx(data: bytes) -> Table:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return Table(problem="这不是有效的 .xlsx 文件（文件内容与扩展名不符）。")
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # a zip bomb: refuse before decompressing anything
            if sum(i.file_size for i in archive.infolist()) > 20 * MAX_BYTES:
                return Table(problem="文件解压后太大，无法导入。")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        return Table(problem="无法读取这个 .xlsx 文件，它可能已损坏或不是 Excel 文件。")
    try:
        sheet = workbook.worksheets[0]
        records = []
        for row in sheet.iter_rows(values_only=True):
            records.append([_cell(v) for v in row])
            if len(records) > MAX_ROWS + 1:
                break
    except Exception:
        return Table(problem="无法读取这个 .xlsx 文件，它可能已损坏。")
    finally:
        workbook.close()
    return _to_table(records)


def _to_table(records: list[list[str]]) -> Table:
    records = [[_cell(c) for c in r] for r in records]
    if not records or not any(records[0]):
        return Table(problem="第 1 行应是表头，但它是空的。")
    if len(records) > MAX_ROWS + 1:
        return Table(problem=f"行数太多（最多 {MAX_ROWS} 行）。")
    header = [h.strip() for h in records[0]]
    rows = [(n, r) for n, r in enumerate(records[1:], start=2) if any(r)]
    return Table(header=header, rows=rows)


def column_index(table: Table, required: list[str], optional: list[str] = ()) -> \
        tuple[dict[str, int], str | None]:
    """Map column names to positions; a problem names every required column that is missing."""
    positions = {name: i for i, name in enumerate(table.header) if name}
    missing = [c for c in required if c not in positions]
    if missing:
        return {}, "缺少列：" + "、".join(missing) + "（第 1 行应是表头）。"
    return {c: positions[c] for c in [*required, *optional] if c in positions}, None


def cell(row: list[str], positions: dict[str, int], name: str) -> str:
    i = positions.get(name)
    return row[i] if i is not None and i < len(row) else ""


def defuse(value) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_xlsx(header: list[str], rows: list[list], title: str = "Sheet1") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def text(value: str) -> str:
        # control characters (a pasted bell, a vertical tab) are not allowed in a worksheet:
        # openpyxl would raise and the whole export would fail
        return ILLEGAL_CHARACTERS_RE.sub("", defuse(value))

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([text(v) if isinstance(v, str) else v for v in row])
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

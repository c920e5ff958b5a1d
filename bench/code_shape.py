"""Figures on the code's shape: long files and long functions.

    .venv/bin/python bench/code_shape.py            # the figures and the lists
    .venv/bin/python bench/code_shape.py --counts   # the figures only
    .venv/bin/python bench/code_shape.py --root DIR # another checkout

Prints how many Python files in lms/ are over 300 lines, how many functions in lms/ are over 60
lines, and how many Python files in tests/ are over 300 lines, each with the list. A line is a
physical line of the file; a function's length runs from its ``def`` (decorators included) to its
last line, nested functions counted in the function that holds them and on their own as well.
Reads files only; imports and runs nothing of the project.
"""
from __future__ import annotations

import argparse
import ast
from pathlib import Path

FILE_LINES = 300
FUNCTION_LINES = 60


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def long_files(folder: Path, root: Path, limit: int = FILE_LINES) -> list[tuple[str, int]]:
    found = [(str(p.relative_to(root)), line_count(p)) for p in python_files(folder)]
    return sorted(((name, n) for name, n in found if n > limit), key=lambda x: -x[1])


def long_functions(folder: Path, root: Path,
                   limit: int = FUNCTION_LINES) -> list[tuple[str, int]]:
    found = []
    for path in python_files(folder):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                length = node.end_lineno - first + 1
                if length > limit:
                    found.append((f"{path.relative_to(root)}:{node.lineno} {node.name}", length))
    return sorted(found, key=lambda x: -x[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--counts", action="store_true", help="the figures only")
    args = parser.parse_args()
    root = args.root.resolve()
    sections = [
        (f"lms files over {FILE_LINES} lines", long_files(root / "lms", root)),
        (f"lms functions over {FUNCTION_LINES} lines", long_functions(root / "lms", root)),
        (f"tests files over {FILE_LINES} lines", long_files(root / "tests", root)),
    ]
    for title, rows in sections:
        print(f"{title}: {len(rows)}")
        if not args.counts:
            for name, n in rows:
                print(f"  {n:5d}  {name}")


if __name__ == "__main__":
    main()

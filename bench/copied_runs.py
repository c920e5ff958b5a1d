"""Runs of text the course packs share with the source they were written from.

    .venv/bin/python bench/copied_runs.py                      # courses/ against ../shared/seed/
    .venv/bin/python bench/copied_runs.py --min 20 --seed DIR --courses DIR

Facts carry over from the source, sentences do not: a run of ``--min`` (20) or more characters
that a pack file shares with a seed file is printed as ``path:line: N characters: text`` and the
script exits 1. Both sides are compared after NFKC (full-width and half-width punctuation alike),
with whitespace removed and every kind of quotation mark folded to one. A run that lies inside
quotation marks or title marks in the pack (“…”, 「…」, 《…》) is a quotation or a title: those
spans are masked before the text around them is compared, and runs on a ``title:`` line (the
source named in ``sources``) are not counted either. Pure Python, no app.
"""
from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUOTES = str.maketrans({c: '"' for c in "“”„‟\"'‘’「」『』"})
OPENERS, CLOSERS = "“「『《", "”」』》"


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` folded for comparison, and for each folded character its index in ``text``."""
    out, where = [], []
    for index, ch in enumerate(text):
        for folded in unicodedata.normalize("NFKC", ch).translate(QUOTES):
            if not folded.isspace():
                out.append(folded)
                where.append(index)
    return "".join(out), where


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every span between an opening and its closing mark, marks included."""
    spans, stack = [], []
    for index, ch in enumerate(text):
        if ch in OPENERS:
            stack.append(index)
        elif ch in CLOSERS and stack:
            spans.append((stack.pop(), index + 1))
    return spans


def shared_runs(text: str, seed_windows: set[str], length: int) -> list[tuple[int, int]]:
    """``(start, end)`` in ``text`` of every maximal run of at least ``length`` folded characters
    found in the seed."""
    folded, where = fold(text)
    hits = [i for i in range(len(folded) - length + 1) if folded[i:i + length] in seed_windows]
    runs: list[list[int]] = []
    for i in hits:
        if runs and i <= runs[-1][1]:
            runs[-1][1] = i + length
        else:
            runs.append([i, i + length])
    return [(where[a], where[b - 1] + 1) for a, b in runs]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=Path, default=ROOT.parent / "shared" / "seed")
    parser.add_argument("--courses", type=Path, default=ROOT / "courses")
    parser.add_argument("--min", type=int, default=20, dest="length")
    args = parser.parse_args(argv)

    seed_files = sorted(p for p in args.seed.glob("*") if p.is_file())
    if not seed_files:
        print(f"no seed files in {args.seed}", file=sys.stderr)
        return 2
    windows: set[str] = set()
    for path in seed_files:
        folded, _ = fold(path.read_text(encoding="utf-8"))
        windows.update(folded[i:i + args.length] for i in range(len(folded) - args.length + 1))

    files = sorted(p for p in args.courses.rglob("*") if p.suffix in (".md", ".yaml"))
    found = quoted = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        spans = quoted_spans(text)
        quoted += sum(1 for start, end in shared_runs(text, windows, args.length)
                      if any(a <= start and end <= b for a, b in spans))
        masked = list(text)
        for a, b in spans:  # a quotation is nobody's sentence: compare what is around it
            masked[a:b] = "\0" * (b - a)
        for start, end in shared_runs("".join(masked), windows, args.length):
            line_start = text.rfind("\n", 0, start) + 1
            if text[line_start:start].strip().lstrip("- ").startswith("title:"):
                quoted += 1
                continue
            found += 1
            line = text.count("\n", 0, start) + 1
            rel = path.relative_to(args.courses)
            print(f"{rel}:{line}: {end - start} characters: {text[start:end]}")
    print(f"{len(files)} files, {len(seed_files)} seed file(s): {found} run(s) of {args.length}+ "
          f"characters shared with the seed, {quoted} inside quotation or title marks")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

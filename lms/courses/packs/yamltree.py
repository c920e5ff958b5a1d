"""Safe YAML for course packs: text → nodes that keep their line, then typed values off the nodes.

Rules: only the YAML core tags (no ``!!python/…``, no local ``!tags``); no aliases (``*name``),
which also rules out billion-laughs expansion; at most ``MAX_DEPTH`` levels of nesting. Text values
are the scalar's source text, stripped, so ``audience: 4401`` and ``answer: 010`` stay as written.
Every problem is reported through a :class:`Source` with the line of the key (or item) it is about.
"""
from __future__ import annotations

import math

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .model import Problem

MAX_DEPTH = 20
CORE = "tag:yaml.org,2002:"
NULL, INT, FLOAT, BOOL = (CORE + t for t in ("null", "int", "float", "bool"))
#: the tags a plain or quoted scalar may carry; all of them read as text where text is wanted
TEXT_TAGS = {CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "value", "merge")}
_EXPECTED_TAGS = {ScalarNode: TEXT_TAGS, SequenceNode: {CORE + "seq"}, MappingNode: {CORE + "map"}}
_CONVERT = SafeConstructor()
BROKEN = object()  #: what :func:`parse` returns when the text is not YAML (the problem is reported)


class Refused(yaml.MarkedYAMLError):
    """Valid YAML that a pack may not use."""


class _Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise Refused(problem=f"YAML aliases (*{event.anchor}) are not allowed in a pack",
                          problem_mark=event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise Refused(problem=f"YAML nested more than {MAX_DEPTH} levels deep",
                          problem_mark=event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class Source:
    """One YAML text being read: the path problems name, and the number of file lines before the
    YAML starts (1 for front matter, whose first YAML line is line 2 of the file)."""

    def __init__(self, path: str, problems: list[Problem], offset: int = 0):
        self.path, self.problems, self.offset = path, problems, offset

    def line(self, node: Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def add(self, where: Node | int, message: str) -> None:
        line = where if isinstance(where, int) else self.line(where)
        self.problems.append(Problem(self.path, line, message))


def parse(src: Source, text: str):
    """The root node of ``text`` (None when empty), or BROKEN after reporting why it is no YAML."""
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(filter(None, (exc.context, exc.problem))) or "not valid YAML"
        message = what if isinstance(exc, Refused) else f"YAML syntax error: {what}"
        src.add(mark.line + 1 + src.offset if mark else 0, message)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        src.add(text.count("\n", 0, exc.position) + 1 + src.offset,
                f"YAML cannot contain the character U+{char:04X}")
    return BROKEN


def tag_problem(node: Node) -> str | None:
    if node.tag in _EXPECTED_TAGS[type(node)]:
        return None
    return f"unsupported YAML tag {node.tag.replace(CORE, '!!')}"


def mapping(src: Source, node: Node | None, what: str, required=(), optional=(), *, at=None):
    """The keys of a mapping as ``{name: (key node, value node)}``, or None when it is no mapping.
    Reports unknown, duplicate and missing required keys; missing ones at ``at`` (a node or line),
    else at the mapping's first line."""
    if node is None:
        src.add(at if at is not None else src.offset or 1, f"{what} is empty")
        return None
    where = at if at is not None else node
    if not isinstance(node, MappingNode) or tag_problem(node):
        src.add(where, tag_problem(node) or f"{what} must be a mapping of keys (key: value)")
        return None
    allowed = (*required, *optional)
    fields: dict[str, tuple[Node, Node]] = {}
    seen = set()
    for key, value in node.value:
        name = key.value if isinstance(key, ScalarNode) else None
        if name in seen:
            src.add(key, f"duplicate key '{name}' in {what}")
        elif name not in allowed:
            shown = f"'{name}'" if name is not None else "that is not a plain name"
            src.add(key, f"unknown key {shown} in {what} (allowed: {', '.join(allowed)})")
        else:
            fields[name] = (key, value)
        seen.add(name)
    for name in required:
        if name not in fields:
            src.add(where, f"missing required key '{name}' in {what}")
    return fields


def sequence(src: Source, where: Node, node: Node, name: str) -> list[Node] | None:
    if isinstance(node, SequenceNode) and not tag_problem(node):
        return list(node.value)
    src.add(where, tag_problem(node) or f"{name} must be a list")
    return None


def scalar_text(src: Source, where: Node, node: Node, name: str) -> str | None:
    """The stripped source text of a scalar ('' for null), or None after reporting."""
    if problem := tag_problem(node):
        src.add(where, problem)
        return None
    if not isinstance(node, ScalarNode):
        kind = "list" if isinstance(node, SequenceNode) else "mapping"
        src.add(where, f"{name} must be text, not a {kind}")
        return None
    return "" if node.tag == NULL else node.value.strip()


def text(src: Source, fields, name: str, *, default=None, max_len=None, allow_empty=False):
    if name not in fields:
        return default
    key, node = fields[name]
    value = scalar_text(src, key, node, name)
    if value is None:
        return None
    if not value and not allow_empty:
        src.add(key, f"{name} is empty")
        return None
    if max_len is not None and len(value) > max_len:
        src.add(key, f"{name} is {len(value)} characters long; at most {max_len}")
        return None
    return value


def choice(src: Source, fields, name: str, options, *, default=None):
    value = text(src, fields, name, default=default)
    if value is None or value in options:
        return value
    src.add(fields[name][0], f"{name} {value!r} is not one of {', '.join(options)}")
    return None


def boolean(src: Source, fields, name: str, *, default=None):
    if name not in fields:
        return default
    key, node = fields[name]
    if isinstance(node, ScalarNode) and node.tag == BOOL:
        return _CONVERT.construct_yaml_bool(node)
    src.add(key, f"{name} must be true or false")
    return None


def number(src: Source, fields, name: str, *, default=None, whole=False):
    """An int (``whole``) or a finite float; None after reporting anything else."""
    if name not in fields:
        return default
    key, node = fields[name]
    value = None
    if isinstance(node, ScalarNode) and node.tag in (INT, FLOAT):
        try:
            value = (_CONVERT.construct_yaml_int if node.tag == INT
                     else _CONVERT.construct_yaml_float)(node)
        except ValueError:
            value = None
    if isinstance(value, float) and (whole or not math.isfinite(value)):
        value = None
    if value is None:
        shown = f" (got {node.value[:40]!r})" if isinstance(node, ScalarNode) else ""
        src.add(key, f"{name} must be a {'whole number' if whole else 'number'}{shown}")
        return None
    return value if whole else float(value)


def integer(src: Source, fields, name: str, low: int, high: int | None = None, *, default=None):
    value = number(src, fields, name, default=default, whole=True)
    if value is None or name not in fields or (low <= value and (high is None or value <= high)):
        return value
    limits = f"{low} or more" if high is None else f"between {low} and {high}"
    src.add(fields[name][0], f"{name} must be {limits} (got {value})")
    return None

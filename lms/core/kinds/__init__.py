"""The question kinds: one module per kind, registered here once.

Adding a kind (say 排序题) is a module in this package whose ``KIND`` extends
:class:`~.base.QuestionKind`, its entry in :data:`MODULES`, and its templates
(``templates/quizzes/kinds/<name>.html`` and an authoring fieldset under
``templates/authoring/kinds/``). Everything else asks the registry.
"""
from __future__ import annotations

from . import fill, multiple, single, truefalse
from .base import QuestionKind

#: the kind modules, in the order forms and messages list them
MODULES = (single, multiple, truefalse, fill)

#: kind name → kind
REGISTRY: dict[str, QuestionKind] = {module.KIND.name: module.KIND for module in MODULES}

#: the kind names, in order
NAMES: tuple[str, ...] = tuple(REGISTRY)


def get(name: str) -> QuestionKind:
    """The kind called ``name``; ValueError for a name no kind has."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown question kind {name!r}") from None


def authoring_groups() -> list[tuple[str, list[str]]]:
    """Each authoring template once, with the kinds that use it (the form shows one group)."""
    groups: dict[str, list[str]] = {}
    for kind in REGISTRY.values():
        groups.setdefault(kind.authoring_template, []).append(kind.name)
    return list(groups.items())


__all__ = ["MODULES", "NAMES", "REGISTRY", "QuestionKind", "authoring_groups", "get"]

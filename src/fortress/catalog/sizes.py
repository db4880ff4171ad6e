"""How large a request's field values may be, checked before any per-element work on them.

Strings by their kind (a category is a short symbolic value, a text is cut after normalising anyway),
tensors by their spec's shape: nested JSON lists are measured level by level with ``len`` (about
100 lists for an image, in C) and a list longer than its level allows is never iterated.
"""

from __future__ import annotations

import itertools
from typing import Any

from fortress.catalog.spec import FieldKind

MAX_CATEGORY_CHARS = 256
"""A category is a symbolic value (``tcp``, ``http``): longer strings are refused, not looked up."""
MAX_TEXT_CHARS_IN = 65_536
"""Longest text a request may send. Models read the first ``encode.MAX_TEXT_CHARS`` characters once
whitespace is folded: longer texts are refused rather than normalised at a cost nobody uses."""


def max_chars(kind: FieldKind) -> int:
    """Longest string a request may give a field of ``kind`` (0: not a string field)."""
    if kind is FieldKind.CATEGORY:
        return MAX_CATEGORY_CHARS
    return MAX_TEXT_CHARS_IN if kind is FieldKind.TEXT else 0


def over_shape(value: Any, shape: tuple[int, ...]) -> bool:
    """Whether nested lists ``value`` hold more at some level than ``shape`` allows. Only the levels
    above the numbers are walked; anything that is not nested lists is left to the caller to name."""
    if not isinstance(value, list):
        return False
    level: list[Any] = [value]
    try:
        for depth, size in enumerate(shape):
            if max(map(len, level)) > size:
                return True
            if depth + 1 < len(shape):
                level = list(itertools.chain.from_iterable(level))
    except (TypeError, ValueError):  # a number where a list belongs, or an empty level
        return _over_shape_slowly(value, shape)
    return False


def _over_shape_slowly(value: Any, shape: tuple[int, ...]) -> bool:
    """``over_shape`` for irregular nesting: lists only, still never iterating one past its size."""
    level: list[Any] = [value]
    for size in shape:
        lists = [item for item in level if isinstance(item, list)]
        if any(len(item) > size for item in lists):
            return True
        level = list(itertools.chain.from_iterable(lists))
    return False

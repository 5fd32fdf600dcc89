"""Cheaper copies and comparisons of kmodel's frozen attrs classes (issue 17: the explorer's per-state cost).

Every transition of the model copies a :class:`kmodel.state.Cluster` with one or two fields
changed, about twenty times per state the explorer visits, and every component compares what it
built with what it was given. attrs does both in pure Python, field by field:

- ``attrs.evolve`` looks the class's fields up and reads each one with ``getattr`` before it
  calls the class; :func:`evolve` reads them all at once with an ``operator.attrgetter`` built
  once per class and calls the class with the values in order. It means the same: every field
  that is not changed keeps its value, the class's ``__init__`` (with its validators and
  converters, and attrs' hash cache) makes the copy.
- attrs' ``__eq__`` compares ``self.a == other.a and self.b == other.b ...``, which calls the
  ``__eq__`` of every field's value even when both sides hold the very same object (a Cluster
  compared with its unchanged copy compares its Settings field by field). :func:`identity_eq`
  installs an ``__eq__`` that compares the two tuples of field values, which Python does with an
  identity shortcut per item; equal in meaning for every field kmodel uses (no float NaN, no
  custom ``eq`` key).

Classes these do not fit (a field that is not an ``__init__`` argument, keyword-only, with an
alias or a custom comparison) are left to attrs.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

import attrs

T = TypeVar("T")

# per class: (all field values as a tuple, field name -> position), or None when attrs must do it
_plans: dict[type, tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]] | None] = {}


def _plan(cls: type) -> tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]] | None:
    fields = attrs.fields(cls)
    if len(fields) < 2 or any(not f.init or f.kw_only or f.alias != f.name for f in fields):
        return None
    names = [f.name for f in fields]
    return attrgetter(*names), {n: i for i, n in enumerate(names)}


def evolve(inst: T, **changes: Any) -> T:
    """``attrs.evolve(inst, **changes)``, faster (see above)."""
    cls = type(inst)
    try:
        plan = _plans[cls]
    except KeyError:
        plan = _plans[cls] = _plan(cls)
    if plan is None:
        return attrs.evolve(inst, **changes)
    get, index = plan
    values = list(get(inst))
    for name, value in changes.items():
        i = index.get(name)
        if i is None:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        values[i] = value
    return cls(*values)  # type: ignore[no-any-return]


def identity_eq(cls: type[T]) -> type[T]:
    """Give the attrs class ``cls`` the ``__eq__`` described above (a class decorator, placed
    above ``@frozen``); ``__ne__`` and ``__hash__`` stay attrs'."""
    fields = attrs.fields(cls)
    if any(not f.eq or f.eq_key is not None for f in fields) or len(fields) < 2:
        return cls
    values = attrgetter(*(f.name for f in fields))

    def __eq__(self: Any, other: object) -> bool:
        if self is other:
            return True
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(values(self) == values(other))

    __eq__.__qualname__ = f"{cls.__qualname__}.__eq__"
    cls.__eq__ = __eq__  # type: ignore[method-assign,assignment]
    return cls

"""Set-based label selectors (k8s.io/apimachinery/pkg/labels/selector.go).

A :class:`LabelSelector` is a ``metav1.LabelSelector`` after ``LabelSelectorAsSelector``: its
``matchLabels`` and ``matchExpressions`` are requirements that must all hold. The operators and
what they mean for a set of labels:

- ``In``: the key is present and its value is one of ``values``;
- ``NotIn``: the key is absent, or its value is none of ``values``;
- ``Exists`` / ``DoesNotExist``: the key is present / absent;
- ``Gt`` / ``Lt`` (node selectors only, k8s.io/component-helpers/scheduling/corev1/nodeaffinity):
  the key is present and its value, read as a whole number, is greater / less than the single
  value; a value that is not a whole number never matches.

An empty selector (no requirement at all) matches every set of labels, as ``labels.Everything()``
does; callers whose API gives an empty selector another meaning (a Service or workload selector
matches nothing) say so themselves (:func:`kmodel.state.selector_matches`).
"""

from __future__ import annotations

from attrs import frozen

Labels = tuple[tuple[str, str], ...]

IN = "In"
NOT_IN = "NotIn"
EXISTS = "Exists"
DOES_NOT_EXIST = "DoesNotExist"
GT = "Gt"
LT = "Lt"

LABEL_OPERATORS = (IN, NOT_IN, EXISTS, DOES_NOT_EXIST)
NODE_OPERATORS = (IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GT, LT)


def _whole(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: ASCII digits with an optional sign, in int64."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def parse_whole(text: str) -> int | None:
    """A Gt/Lt bound or label value read as ``strconv.ParseInt`` reads it (None: not one)."""
    return _whole(text)


@frozen
class Requirement:
    """One ``key operator values`` requirement."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        have = dict(labels)
        present = self.key in have
        if self.operator == IN:
            return present and have[self.key] in self.values
        if self.operator == NOT_IN:
            return not present or have[self.key] not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        if self.operator in (GT, LT):
            if not present or len(self.values) != 1:
                return False
            mine, bound = _whole(have[self.key]), _whole(self.values[0])
            if mine is None or bound is None:
                return False
            return mine > bound if self.operator == GT else mine < bound
        raise ValueError(f"unknown selector operator {self.operator!r}")

    def __str__(self) -> str:
        values = ",".join(self.values)
        if self.operator == IN:
            return f"{self.key} in ({values})"
        if self.operator == NOT_IN:
            return f"{self.key} notin ({values})"
        if self.operator == EXISTS:
            return self.key
        if self.operator == DOES_NOT_EXIST:
            return f"!{self.key}"
        return f"{self.key} {'>' if self.operator == GT else '<'} {values}"


@frozen(cache_hash=True)  # (a key of the pods index's facts: hashed at each read of one)
class LabelSelector:
    """``matchLabels`` (kept as written, sorted) and ``matchExpressions``, all of which must hold."""

    match_labels: Labels = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def requirements(self) -> tuple[Requirement, ...]:
        return tuple(Requirement(k, IN, (v,)) for k, v in self.match_labels) + self.match_expressions

    def matches(self, labels: Labels) -> bool:
        """Every requirement holds (an empty selector matches everything)."""
        return all(r.matches(labels) for r in self.requirements())

    def also(self, other: LabelSelector | Labels) -> LabelSelector:
        """Both selectors' requirements (``labels.Selector.Add``)."""
        o = as_selector(other)
        merged = dict(self.match_labels)
        extra: list[Requirement] = list(self.match_expressions)
        for k, v in o.match_labels:
            if k in merged and merged[k] != v:
                extra.append(Requirement(k, IN, (v,)))
            else:
                merged[k] = v
        extra.extend(r for r in o.match_expressions if r not in extra)
        return LabelSelector(tuple(sorted(merged.items())), tuple(extra))

    def __str__(self) -> str:
        return ",".join(
            str(r) if r.operator != IN or len(r.values) != 1 else f"{r.key}={r.values[0]}" for r in self.requirements()
        )


def as_selector(selector: LabelSelector | Labels) -> LabelSelector:
    """A plain ``matchLabels`` tuple as a :class:`LabelSelector`."""
    return selector if isinstance(selector, LabelSelector) else LabelSelector(tuple(sorted(selector)))


def match_labels_only(selector: LabelSelector | Labels) -> Labels | None:
    """The selector as plain ``matchLabels`` when it has no expressions, else None."""
    if isinstance(selector, LabelSelector):
        return None if selector.match_expressions else selector.match_labels
    return selector

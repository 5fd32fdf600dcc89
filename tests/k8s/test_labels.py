"""Label selectors, translated from staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go
(TestSelectorMatches, TestEverything).

kmodel has no parser for the selector string syntax; each Go selector string is written as the
requirements ``labels.Parse`` builds from it: ``x=y`` is ``x In (y)``, ``x!=y`` is ``x NotIn (y)``,
``x`` is ``x Exists``, ``!x`` is ``x DoesNotExist``, ``x>1`` / ``x<1`` are Gt / Lt.
"""

from __future__ import annotations

import pytest

from kmodel.labels import DOES_NOT_EXIST, EXISTS, GT, IN, LT, NOT_IN, LabelSelector, Requirement
from kmodel.state import labels_of


def parse(text: str) -> LabelSelector:
    reqs = []
    for part in filter(None, text.split(",")):
        if "!=" in part:
            key, value = part.split("!=")
            reqs.append(Requirement(key, NOT_IN, (value,)))
        elif "=" in part:
            key, value = part.split("=")
            reqs.append(Requirement(key, IN, (value,)))
        elif ">" in part:
            key, value = part.split(">")
            reqs.append(Requirement(key, GT, (value,)))
        elif "<" in part:
            key, value = part.split("<")
            reqs.append(Requirement(key, LT, (value,)))
        elif part.startswith("!"):
            reqs.append(Requirement(part[1:], DOES_NOT_EXIST))
        else:
            reqs.append(Requirement(part, EXISTS))
    return LabelSelector(match_expressions=tuple(reqs))


LABELSET = {"foo": "bar", "baz": "blah"}


@pytest.mark.parametrize(
    ("selector", "labels", "want"),
    [
        ("", {"x": "y"}, True),
        ("x=y", {"x": "y"}, True),
        ("x=y,z=w", {"x": "y", "z": "w"}, True),
        ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
        ("notin=in", {"notin": "in"}, True),
        ("x", {"x": "z"}, True),
        ("!x", {"y": "z"}, True),
        ("x>1", {"x": "2"}, True),
        ("x<1", {"x": "0"}, True),
        ("x=z", {}, False),
        ("x=y", {"x": "z"}, False),
        ("x=y,z=w", {"x": "w", "z": "w"}, False),
        ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
        ("x", {"y": "z"}, False),
        ("!x", {"x": "z"}, False),
        ("x>1", {"x": "0"}, False),
        ("x<1", {"x": "2"}, False),
        ("foo=bar", LABELSET, True),
        ("baz=blah", LABELSET, True),
        ("foo=bar,baz=blah", LABELSET, True),
        ("foo=blah", LABELSET, False),
        ("baz=bar", LABELSET, False),
        ("foo=bar,foobar=bar,baz=blah", LABELSET, False),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else None,
)
def test_selector_matches(selector: str, labels: dict[str, str], want: bool) -> None:
    """selector_test.go TestSelectorMatches: expectMatch / expectNoMatch(selector, labels)."""
    assert parse(selector).matches(labels_of(labels)) is want


def test_everything() -> None:
    """selector_test.go TestEverything: the empty selector matches any label set and is empty."""
    everything = LabelSelector()
    assert everything.empty and everything.matches(labels_of({"x": "y"}))


@pytest.mark.parametrize(
    ("op", "bound", "value", "want"),
    [
        (GT, "1", "not-a-number", False),
        (LT, "1", "-5", True),
        (GT, "-2", "-1", True),
        (GT, "1", "1", False),
        (LT, "9223372036854775807", "9223372036854775808", False),
    ],
)
def test_gt_lt_read_labels_as_int64(op: str, bound: str, value: str, want: bool) -> None:
    """selector.go Requirement.Matches for GreaterThan / LessThan: the label value is parsed with
    strconv.ParseInt(_, 10, 64); a value that does not parse (or overflows int64) never matches."""
    assert Requirement("x", op, (bound,)).matches(labels_of({"x": value})) is want

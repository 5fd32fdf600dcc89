"""Queries over the JSON that `kmodel simulate --output json` prints."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


def pod_rows(doc: Doc, name: str) -> list[tuple[int, dict[str, Any]]]:
    return [(s["t"], p) for s in doc["snapshots"] for p in s["pods"] if p["name"] == name]


def node_rows(doc: Doc, name: str) -> list[tuple[int, dict[str, Any]]]:
    return [(s["t"], n) for s in doc["snapshots"] for n in s["nodes"] if n["name"] == name]


def first_time(rows: list[tuple[int, dict[str, Any]]], **want: Any) -> int | None:
    for t, row in rows:
        if all(row.get(k) == v for k, v in want.items()):
            return t
    return None


def events(doc: Doc, **want: Any) -> list[dict[str, Any]]:
    return [e for e in doc["events"] if all(e.get(k) == v for k, v in want.items())]


def snapshot_at(doc: Doc, t: int) -> dict[str, Any]:
    """The view in force at time t (the last snapshot taken at or before t)."""
    best = None
    for s in doc["snapshots"]:
        if s["t"] <= t:
            best = s
    assert best is not None, f"no snapshot at or before {t}"
    return best


def pods_on(snap: dict[str, Any], node: str) -> list[dict[str, Any]]:
    return [p for p in snap["pods"] if p["node"] == node]

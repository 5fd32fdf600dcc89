"""A sorted sequence of ``(key, value)`` entries whose writes copy one chunk, not the whole.

The pods index (kmodel.podindex) keeps the scheduling queue as the pending pods sorted by
PrioritySort's key and derives each pods tuple's queue from the previous one's. As a list, each
derivation copied the whole queue (O(pending pods)): at the start of a big simulation, with a
hundred thousand pods pending, every creation and every bind cost a copy of that many entries.
A :class:`SortedChunks` holds the entries in chunks of at most ``2 * CHUNK``; a write returns a
new sequence sharing every chunk but the one it changed (a copy of that chunk and of the list of
chunks: O(CHUNK + entries / CHUNK)). Both the old and the new sequence stay valid. Keys are
unique (the queue's end with the pod's name).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import chain
from typing import Any

CHUNK = 256

Entry = tuple[Any, Any]


def _first(entry: Entry) -> Any:
    return entry[0]


class SortedChunks:
    __slots__ = ("_chunks", "_firsts", "_len")

    def __init__(self, entries: list[Entry]) -> None:
        """``entries`` sorted by key."""
        self._chunks = [entries[i : i + CHUNK] for i in range(0, len(entries), CHUNK)]
        self._firsts = [c[0][0] for c in self._chunks]
        self._len = len(entries)

    @classmethod
    def _of(cls, chunks: list[list[Entry]], firsts: list[Any], length: int) -> SortedChunks:
        out = cls.__new__(cls)
        out._chunks, out._firsts, out._len = chunks, firsts, length
        return out

    def __iter__(self) -> Iterator[Entry]:
        return chain.from_iterable(self._chunks)

    def __len__(self) -> int:
        return self._len

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SortedChunks | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SortedChunks({list(self)!r})"

    def _chunk_for(self, key: Any) -> int:
        return max(0, bisect_right(self._firsts, key) - 1)

    def with_entry(self, entry: Entry) -> SortedChunks:
        """The sequence with ``entry`` added (its key is not in it)."""
        if not self._chunks:
            return SortedChunks._of([[entry]], [entry[0]], 1)
        i = self._chunk_for(entry[0])
        chunk = list(self._chunks[i])
        chunk.insert(bisect_left(chunk, entry[0], key=_first), entry)
        chunks, firsts = list(self._chunks), list(self._firsts)
        if len(chunk) > 2 * CHUNK:
            half = len(chunk) // 2
            chunks[i : i + 1] = [chunk[:half], chunk[half:]]
            firsts[i : i + 1] = [chunk[0][0], chunk[half][0]]
        else:
            chunks[i] = chunk
            firsts[i] = chunk[0][0]
        return SortedChunks._of(chunks, firsts, self._len + 1)

    def without_key(self, key: Any) -> SortedChunks:
        """The sequence without the entry whose key is ``key`` (which is in it)."""
        i = self._chunk_for(key)
        chunk = list(self._chunks[i])
        j = bisect_left(chunk, key, key=_first)
        assert j < len(chunk) and chunk[j][0] == key
        del chunk[j]
        chunks, firsts = list(self._chunks), list(self._firsts)
        if chunk:
            chunks[i] = chunk
            firsts[i] = chunk[0][0]
        else:
            del chunks[i]
            del firsts[i]
        return SortedChunks._of(chunks, firsts, self._len - 1)

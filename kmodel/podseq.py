"""A sorted, immutable sequence of objects by name that a one-object write copies only in part.

``Cluster.pods`` is a tuple sorted by name, and a write (``Cluster.with_pod``) copies the whole
tuple: O(pods) per write, O(pods^2) for a simulation in which every pod is written a few times.
At 150,000 pods that copy alone costs milliseconds per write. :class:`ChunkedSeq` holds the same
objects in chunks of about :data:`CHUNK` (each a tuple sorted by name); a write copies one chunk
and the tuple of chunk references: O(CHUNK + pods / CHUNK).

It reads like the tuple it stands for: iteration, ``len``, indexing and slicing (a slice is a
tuple), ``in``, ``+`` with a tuple, and it is equal to (and hashes as) the tuple of its items,
so a state holding one equals and hashes as the state holding the tuple; pickling gives it back.
Only ``kmodel simulate`` puts one in a state (:func:`kmodel.engines.simulate.simulate`); the
checkers keep plain tuples. :func:`kmodel.state.upsert`, ``remove`` and ``find`` keep the type.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate, chain
from operator import attrgetter
from typing import Any, overload

# items per chunk: a write copies one chunk and the list of chunks
CHUNK = 256


class ChunkedSeq:
    __slots__ = ("_chunks", "_hash", "_lasts", "_len", "_starts")

    def __init__(self, items: Iterable[Any] = ()) -> None:
        flat = tuple(items)
        self._set(tuple(flat[i : i + CHUNK] for i in range(0, len(flat), CHUNK)))

    def _set(
        self, chunks: tuple[tuple[Any, ...], ...], lasts: tuple[str, ...] | None = None, length: int | None = None
    ) -> None:
        self._chunks = chunks
        # the last name in each chunk (a write passes them on: a scan of every chunk per write
        # made a simulation's writes quadratic in the pods); the length too
        self._lasts = tuple(c[-1].name for c in chunks) if lasts is None else lasts
        self._starts: tuple[int, ...] | None = None  # where each chunk starts, when first asked
        self._len = sum(map(len, chunks)) if length is None else length
        self._hash: int | None = None

    @classmethod
    def _of(
        cls, chunks: tuple[tuple[Any, ...], ...], lasts: tuple[str, ...] | None = None, length: int | None = None
    ) -> ChunkedSeq:
        out = cls.__new__(cls)
        out._set(chunks, lasts, length)
        return out

    def _starts_of(self) -> tuple[int, ...]:
        if self._starts is None:
            self._starts = (0, *accumulate(len(c) for c in self._chunks))
        return self._starts

    # -- the tuple it stands for ------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        return chain.from_iterable(self._chunks)

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Any, ...]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return tuple(self)[i]
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("ChunkedSeq index out of range")
        starts = self._starts_of()
        k = bisect_right(starts, i) - 1
        return self._chunks[k][i - starts[k]]

    def __contains__(self, item: object) -> bool:
        return any(item in c for c in self._chunks)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ChunkedSeq):
            if other._chunks is self._chunks:
                return True
            return self._len == other._len and tuple(self) == tuple(other)
        if isinstance(other, tuple):
            return self._len == len(other) and tuple(self) == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self))
        return self._hash

    def __add__(self, other: object) -> tuple[Any, ...]:
        if isinstance(other, (tuple, ChunkedSeq)):
            return tuple(self) + tuple(other)
        return NotImplemented

    def __radd__(self, other: object) -> tuple[Any, ...]:
        if isinstance(other, tuple):
            return other + tuple(self)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ChunkedSeq, (tuple(self),))

    def count(self, item: object) -> int:
        return sum(c.count(item) for c in self._chunks)

    def index(self, item: object) -> int:
        for k, c in enumerate(self._chunks):
            if item in c:
                return self._starts_of()[k] + c.index(item)
        raise ValueError("item not in ChunkedSeq")

    def chunks(self) -> tuple[tuple[Any, ...], ...]:
        """The chunks, in order (a write replaces one and keeps the others)."""
        return self._chunks

    # -- by name (the items are sorted by their ``name``) ------------------------------------------

    def _chunk_of(self, name: str) -> int:
        """The chunk that holds ``name`` or where it would go (the last one past the end)."""
        return min(bisect_left(self._lasts, name), len(self._chunks) - 1)

    def find(self, name: str) -> Any:
        if not self._chunks:
            return None
        chunk = self._chunks[self._chunk_of(name)]
        i = bisect_left(chunk, name, key=_name)
        if i < len(chunk) and chunk[i].name == name:
            return chunk[i]
        return None

    def upsert(self, item: Any) -> ChunkedSeq:
        return self.upsert_found(item)[0]

    def upsert_found(self, item: Any) -> tuple[ChunkedSeq, Any]:
        """:meth:`upsert`, and the item of that name it replaced (None: none)."""
        name = item.name
        if not self._chunks:
            return ChunkedSeq._of(((item,),)), None
        k = self._chunk_of(name)
        chunk = self._chunks[k]
        i = bisect_left(chunk, name, key=_name)
        old = None
        length = self._len
        if i < len(chunk) and chunk[i].name == name:
            old = chunk[i]
            new: tuple[tuple[Any, ...], ...] = ((*chunk[:i], item, *chunk[i + 1 :]),)
        else:
            grown = (*chunk[:i], item, *chunk[i:])
            new = (grown,) if len(grown) <= 2 * CHUNK else (grown[:CHUNK], grown[CHUNK:])
            length += 1
        lasts = (*self._lasts[:k], *(c[-1].name for c in new), *self._lasts[k + 1 :])
        return ChunkedSeq._of((*self._chunks[:k], *new, *self._chunks[k + 1 :]), lasts, length), old

    def upsert_many(self, items: list[Any]) -> tuple[ChunkedSeq, list[Any]]:
        """:meth:`upsert_found` of each of ``items`` (distinct names) at once: the sequence
        with them written, and the item each replaced (None: none), in the order of ``items``.
        Each chunk written to is copied once, and the tuple of chunks once."""
        if not items:
            return self, []
        if not self._chunks:
            placed = sorted(items, key=_name)
            return ChunkedSeq(placed), [None] * len(items)
        per_chunk: dict[int, list[Any]] = {}
        for item in items:
            per_chunk.setdefault(self._chunk_of(item.name), []).append(item)
        replaced: dict[str, Any] = {}
        length = self._len
        rebuilt: dict[int, tuple[tuple[Any, ...], ...]] = {}
        for k, written in per_chunk.items():
            merged = {p.name: p for p in self._chunks[k]}
            for item in written:
                old = merged.get(item.name)
                if old is not None:
                    replaced[item.name] = old
                else:
                    length += 1
                merged[item.name] = item
            flat = tuple(sorted(merged.values(), key=_name))
            if len(flat) <= 2 * CHUNK:
                rebuilt[k] = (flat,)
            else:
                rebuilt[k] = tuple(flat[i : i + CHUNK] for i in range(0, len(flat), CHUNK))
        out_chunks: list[tuple[Any, ...]] = []
        out_lasts: list[str] = []
        for k, chunk in enumerate(self._chunks):
            parts = rebuilt.get(k)
            if parts is None:
                out_chunks.append(chunk)
                out_lasts.append(self._lasts[k])
            else:
                out_chunks.extend(parts)
                out_lasts.extend(c[-1].name for c in parts)
        seq = ChunkedSeq._of(tuple(out_chunks), tuple(out_lasts), length)
        return seq, [replaced.get(item.name) for item in items]

    def remove(self, name: str) -> ChunkedSeq:
        if not self._chunks:
            return self
        k = self._chunk_of(name)
        chunk = self._chunks[k]
        i = bisect_left(chunk, name, key=_name)
        if not (i < len(chunk) and chunk[i].name == name):
            return self
        rest = chunk[:i] + chunk[i + 1 :]
        kept = (rest,) if rest else ()
        lasts = (*self._lasts[:k], *(c[-1].name for c in kept), *self._lasts[k + 1 :])
        return ChunkedSeq._of((*self._chunks[:k], *kept, *self._chunks[k + 1 :]), lasts, self._len - 1)


_name: Callable[[Any], str] = attrgetter("name")  # (called by bisect at each probe: a C getter)

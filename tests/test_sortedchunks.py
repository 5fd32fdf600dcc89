"""kmodel.sortedchunks: a SortedChunks reads as the sorted list it stands for, after any writes,
and a write leaves the sequence it was made from as it was."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel import sortedchunks
from kmodel.sortedchunks import SortedChunks

op = st.tuples(st.integers(0, 60), st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), unique=True), st.lists(op, max_size=80), st.integers(1, 4))
def test_sorted_chunks_are_the_sorted_list(start: list[int], ops: list[tuple[int, bool]], chunk: int) -> None:
    old_chunk = sortedchunks.CHUNK
    sortedchunks.CHUNK = chunk  # small chunks, so that they split and empty
    try:
        model = sorted((k, f"v{k}") for k in start)
        seq = SortedChunks(list(model))
        for k, add in ops:
            before, before_list = seq, list(model)
            present = any(e[0] == k for e in model)
            if add and not present:
                seq = seq.with_entry((k, f"v{k}"))
                model = sorted([*model, (k, f"v{k}")])
            elif not add and present:
                seq = seq.without_key(k)
                model = [e for e in model if e[0] != k]
            assert list(before) == before_list  # the older sequence is untouched
            assert list(seq) == model
            assert len(seq) == len(model)
            assert seq == model and seq == SortedChunks(list(model))
    finally:
        sortedchunks.CHUNK = old_chunk

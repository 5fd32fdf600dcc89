"""Write Graphviz source to a file, choosing the format by the file's extension.

``.dot`` (or ``.gv``) writes the source itself and needs nothing installed; ``.svg``, ``.png`` and
``.pdf`` run Graphviz's ``dot`` program through the ``graphviz`` package. A missing ``dot`` or an
unknown extension is bad input (exit 2) with the fix, never a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import graphviz

from kmodel.errors import KmodelError, shown

PICTURE_FORMATS = ("svg", "png", "pdf")
SOURCE_SUFFIXES = (".dot", ".gv")


def picture_format(path: str | Path, where: str = "--out") -> str:
    """``svg`` / ``png`` / ``pdf`` / ``dot`` for a file name, or a one-line error."""
    if "\x00" in str(path):
        raise KmodelError("a file name cannot hold a NUL character", where=where, fix="give another file name")
    suffix = Path(path).suffix.lower()
    if suffix in SOURCE_SUFFIXES:
        return "dot"
    if suffix.lstrip(".") in PICTURE_FORMATS:
        return suffix.lstrip(".")
    raise KmodelError(
        f"cannot tell what to write for {shown(str(path), 80)}",
        where=where,
        fix="end the file name in .svg, .png, .pdf or .dot",
    )


def render_dot(source: str, path: str | Path, where: str = "--out") -> Path:
    """Write ``source`` to ``path`` as DOT text or as a picture drawn by ``dot``."""
    path = Path(path)
    fmt = picture_format(path, where)
    if path.parent and not path.parent.exists():
        raise KmodelError(f"directory {shown(str(path.parent), 80)} does not exist", where=where, fix="create it first")
    if fmt == "dot":
        _write(path, source.encode("utf-8"), where)
        return path
    if shutil.which("dot") is None:
        raise KmodelError(
            f"cannot draw {path.name}: Graphviz's `dot` program is not installed",
            where=where,
            fix="install Graphviz (apt-get install graphviz, brew install graphviz), or write .dot instead",
        )
    try:
        data = graphviz.Source(source).pipe(format=fmt)
    except graphviz.backend.CalledProcessError as err:  # a bug in our DOT, not the user's input
        raise RuntimeError(f"dot could not draw {path.name}: {err.stderr!r}") from err
    _write(path, data, where)
    return path


def _write(path: Path, data: bytes, where: str) -> None:
    try:
        path.write_bytes(data)
    except OSError as err:
        raise KmodelError(
            f"cannot write {shown(str(path), 80)}: {err.strerror or err.__class__.__name__}",
            where=where,
            fix="choose a file in a directory that exists and that you may write to",
        ) from None

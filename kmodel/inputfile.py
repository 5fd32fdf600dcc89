"""Reading an input file safely: regular files only, and at most a limit's worth of bytes.

A scenario, an applied manifest file, a property file or a trace may be given as any path,
including ``/dev/zero`` (endless), a FIFO (blocks until someone writes), a directory or a file of
gigabytes. :func:`read_bytes` refuses all but regular files, before opening them, and reads at
most the limit (:mod:`kmodel.limits`) plus one byte, so that neither memory nor time depends on
what is at the other end of the path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kmodel import limits
from kmodel.errors import KmodelError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def read_bytes(path: str | Path, *, what: str, fix: str, limit: str = "max_file_size") -> bytes:
    """The bytes of the regular file at ``path``; a one-line KmodelError for a missing,
    unreadable or special file, or one larger than the limit named ``limit``. ``what`` names the
    file in messages ("scenario", "trace"); ``fix`` is the fix for a missing file."""
    shown = str(path)
    most = getattr(limits.current(), limit)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise KmodelError(f"{what} file not found", file=shown, fix=fix) from None
    except (OSError, ValueError) as err:
        raise KmodelError(f"cannot read the {what}: {_why(err)}", file=shown, fix=fix) from None
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise KmodelError(
            f"the {what} is {kind}, not a regular file", file=shown, fix=f"give the path of a {what} file"
        )
    if info.st_size > most:
        too_big = limits.exceeded(limit, f"the {what} file's size", f"{info.st_size} bytes")
        raise KmodelError(too_big, file=shown, fix=limits.fix(limit))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise KmodelError(f"cannot read the {what}: {_why(err)}", file=shown, fix="give a readable file") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since the stat
            raise KmodelError(f"the {what} is not a regular file", file=shown, fix=f"give the path of a {what} file")
        chunks, total = [], 0
        while total <= most:
            chunk = os.read(fd, min(1 << 20, most + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as err:
        raise KmodelError(f"cannot read the {what}: {_why(err)}", file=shown, fix="give a readable file") from None
    finally:
        os.close(fd)
    if total > most:
        too_big = limits.exceeded(limit, f"the {what} file's size", f"over {most} bytes")
        raise KmodelError(too_big, file=shown, fix=limits.fix(limit))
    return b"".join(chunks)


def read_text(path: str | Path, *, what: str, fix: str, limit: str = "max_file_size") -> str:
    """:func:`read_bytes` decoded as UTF-8 (a byte-order mark is dropped)."""
    raw = read_bytes(path, what=what, fix=fix, limit=limit)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise KmodelError(
            f"the {what} is not UTF-8 text (byte {err.start + 1})", file=str(path), fix=f"give a {what} saved as UTF-8"
        ) from None


def _why(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return err.__class__.__name__

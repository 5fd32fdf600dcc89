"""User-facing errors: one line naming the file, the place and the fix, with an exit code.

Whatever the input, the line stays short: values quoted from the input go through
:func:`shown` (a short prefix), the kind of a wrong value is said in YAML's words
(:func:`kind_of`, never a Python class name), and :meth:`KmodelError.render` cuts any part
that is still too long.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_VIOLATED = 1
EXIT_BAD_INPUT = 2
EXIT_INCONCLUSIVE = 3

SHOWN = 40  # characters of a value quoted in a message, at most
PART = 600  # characters of one part of a message (the message, the place, the fix), at most


def cut(text: str, most: int = SHOWN) -> str:
    """``text`` or, if longer than ``most``, its prefix ending in "..."."""
    return text if len(text) <= most else text[: max(most - 3, 1)] + "..."


def shown(value: object, most: int = SHOWN) -> str:
    """A value from the input as a message quotes it: ``repr`` of a string, plain otherwise,
    cut to ``most`` characters (a huge value is never formatted whole)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= most - 2 else repr(value[: max(most - 5, 1)]) + "..."
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return cut(repr(value), most)
    if isinstance(value, int):
        return _int_text(value, most)
    return kind_of(value)


def _int_text(value: int, most: int) -> str:
    if value.bit_length() > 200:  # str() of a huge int is slow, and refused past 4300 digits
        return f"{'-' if value < 0 else ''}a number of about {int(value.bit_length() * 0.30103)} digits"
    return cut(str(value), most)


def kind_of(value: object) -> str:
    """What a value is, in YAML's (and JSON's) words: "a mapping", "a list", "a string"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, set | frozenset):
        return "a set"
    if isinstance(value, bytes | bytearray):
        return "binary data"
    return "a value of another kind"


class KmodelError(Exception):
    """Bad input. ``str()`` is the one-line message shown to the user."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        where: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        place = ""
        if self.file:
            place = cut(self.file, 200)
            if self.line:
                place += f":{self.line}"
            place += ": "
        where = f"{cut(self.where, 200)}: " if self.where else ""
        fix = f" (fix: {cut(self.fix, PART)})" if self.fix else ""
        return " ".join(f"{place}{where}{cut(self.message, PART)}{fix}".splitlines())

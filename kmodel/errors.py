"""User-facing errors: one line naming the file, the place and the fix, with an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_VIOLATED = 1
EXIT_BAD_INPUT = 2
EXIT_INCONCLUSIVE = 3


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
            place = self.file
            if self.line:
                place += f":{self.line}"
            place += ": "
        where = f"{self.where}: " if self.where else ""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{place}{where}{self.message}{fix}"

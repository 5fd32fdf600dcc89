"""``python -m tests.fuzz.child LIMIT ARGS...``: the console script ``kmodel ARGS`` under an
address-space limit of LIMIT bytes, reporting its own peak resident set on its last stderr line
(``@@maxrss BYTES``), which :func:`tests.fuzz.harness.run_subprocess` takes off again."""

from __future__ import annotations

import atexit
import resource
import sys

MARK = "@@maxrss"


def _report() -> None:
    sys.stderr.flush()
    print(f"{MARK} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}", file=sys.stderr)


def main() -> None:
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.argv = ["kmodel", *sys.argv[2:]]
    atexit.register(_report)
    from kmodel.cli import run

    run()


if __name__ == "__main__":
    main()

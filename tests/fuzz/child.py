"""``python -m tests.fuzz.child LIMIT ARGS...``: the console script ``kmodel ARGS`` under an
address-space limit of LIMIT bytes, reporting its own peak resident set on its last stderr line
(``@@maxrss BYTES``), which :func:`tests.fuzz.harness.run_subprocess` takes off again."""

from __future__ import annotations

import atexit
import resource
import sys

MARK = "@@maxrss"


def _peak() -> int:
    """This process's peak resident set in bytes: VmHWM of /proc/self/status, the high-water mark
    of its own address space (Linux keeps ``ru_maxrss`` across exec, so it would count the RSS
    of the pytest worker that started this process); ``ru_maxrss`` where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _report() -> None:
    sys.stderr.flush()
    print(f"{MARK} {_peak()}", file=sys.stderr)


def main() -> None:
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.argv = ["kmodel", *sys.argv[2:]]
    atexit.register(_report)
    from kmodel.cli import run

    run()


if __name__ == "__main__":
    main()

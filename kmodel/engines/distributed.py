"""The parallel explorer's levels as tasks on a Dask cluster (``kmodel check --cluster``).

The coordinator (:func:`kmodel.engines.parallel._search`) stays in the process that runs
``kmodel check``; each chunk of a level becomes a Dask task (:func:`_expand`) that depends on one
task holding the search's model and properties (:func:`_load`, sent once, kept by each worker that
runs chunks). Tasks are pure: a chunk's answer depends only on the chunk, so when a worker dies
the scheduler runs its tasks again elsewhere (and the context task too, from its recorded
input), and the verdict is the one a run without the death gives.

Fingerprints (and the canonical pod names inside them) rest on Python's ``hash``, so every
worker must hash alike: strings hash by ``PYTHONHASHSEED``, and before Python 3.12 ``None``
hashes by its address, which address-space randomisation changes from process to process. The
local cluster this module starts gives its workers one ``PYTHONHASHSEED`` and starts them without
that randomisation (Linux ``personality``, as ``setarch -R`` does), so that they agree; a cluster
given by address is refused unless its workers agree.

Dask rather than Ray: see the README ("Parallel and distributed checking").
"""

from __future__ import annotations

import logging
import os
import pickle
import random
import time
from collections.abc import Iterator
from typing import Any

from kmodel.engines.parallel import Context, Entry, WorkerLost, expand, initial_entries, loads
from kmodel.errors import KmodelError

LOCAL = "local"


def _load(blob: bytes) -> Context:
    import cloudpickle

    ctx: Context = cloudpickle.loads(blob)  # sent by our coordinator
    return ctx


def _initial(ctx: Context) -> bytes:
    return initial_entries(ctx)


def _expand(ctx: Context, key: str, level: int, active: tuple[int, ...], chunk: bytes) -> bytes:
    return expand(ctx, key, level, active, chunk)


def _hash_probe() -> int:
    return hash(("kmodel: do the workers hash alike?", None))


ADDR_NO_RANDOMIZE = 0x0040000  # linux/personality.h


def _no_randomisation() -> int | None:
    """Start this process's children without address-space randomisation; the personality to
    restore afterwards, or None where that cannot be done (not Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        old = int(libc.personality(0xFFFFFFFF))
        if old < 0 or libc.personality(old | ADDR_NO_RANDOMIZE) < 0:
            return None
        return old
    except (OSError, AttributeError):
        return None


def _restore(personality: int | None) -> None:
    if personality is not None:
        import ctypes

        ctypes.CDLL(None).personality(personality)


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise KmodelError(
            "--cluster needs Dask distributed, which is not installed",
            where="--cluster",
            fix="pip install 'kmodel[distributed]' (or 'dask[distributed]'), or use --workers alone",
        ) from None
    return distributed


class DaskExecutor:
    """Runs the parallel explorer's chunks on a Dask cluster: ``client`` is a
    ``distributed.Client`` connected to it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.contexts: dict[str, Any] = {}

    def start(self, contexts: dict[str, Context]) -> None:
        import cloudpickle

        hashes = self.client.run(_hash_probe)
        if len(set(hashes.values())) > 1:
            raise KmodelError(
                "the cluster's workers hash strings differently, so they cannot share fingerprints",
                where="--cluster",
                fix="start every dask worker with the same PYTHONHASHSEED, and before Python 3.12 without "
                "address randomisation: PYTHONHASHSEED=0 setarch -R dask worker ADDRESS",
            )
        self.workers = max(1, len(hashes))
        self.contexts = {
            key: self.client.submit(_load, cloudpickle.dumps(ctx), key=f"kmodel-context-{key}", pure=False)
            for key, ctx in contexts.items()
        }

    def initial(self, key: str) -> bytes:
        got: bytes = self.client.submit(_initial, self.contexts[key], pure=False).result()
        return got

    def expand(
        self,
        key: str,
        level: int,
        active: tuple[int, ...],
        chunks: list[list[tuple[Any, int | None]]],
        deadline: float | None,
    ) -> Iterator[tuple[list[list[Entry]], set[str]]]:
        distributed = _dask()
        ctx = self.contexts[key]
        futures = [
            self.client.submit(
                _expand, ctx, key, level, active, pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL), pure=False
            )
            for c in chunks
        ]
        try:
            for f in futures:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    blob = f.result(timeout=left)  # past the deadline: TimeoutError, for the coordinator
                except distributed.KilledWorker as err:
                    raise WorkerLost(f"the cluster lost the workers running a chunk again and again: {err}") from None
                yield loads(blob)
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        if self.contexts:
            self.client.cancel(list(self.contexts.values()))
        self.contexts = {}


class Cluster:
    """A client for ``--cluster``: ``local`` starts a Dask LocalCluster of ``workers`` processes on
    this machine (one ``PYTHONHASHSEED`` for all), anything else is a scheduler address."""

    def __init__(self, where: str, workers: int) -> None:
        distributed = _dask()
        self.local = None
        self.personality: int | None = None
        if where == LOCAL:
            seed = str(random.SystemRandom().randrange(1, 2**32))
            # the workers (and those the nannies start again after a death) hash None alike
            self.personality = _no_randomisation()
            self.local = distributed.LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                # a free port of the OS's choosing: None still serves the dashboard on 8787, which
                # another cluster (or a second run) may hold
                dashboard_address=":0",
                silence_logs=logging.ERROR,  # a cancelled task (the search stopped early) is no news
                env={"PYTHONHASHSEED": seed},
            )
            address: Any = self.local
        else:
            if not where.startswith(("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")):
                raise KmodelError(
                    f"{where!r} is not a Dask scheduler address",
                    where="--cluster",
                    fix="give tcp://HOST:PORT (the address `dask scheduler` prints), or local",
                )
            address = where
        try:
            self.client = distributed.Client(address, timeout=30)
        except OSError as err:
            if self.local is not None:
                self.local.close()
            _restore(self.personality)
            raise KmodelError(
                f"cannot reach the Dask scheduler at {where}: {err}",
                where="--cluster",
                fix="start it with `dask scheduler` and workers with `dask worker ADDRESS`, or use --cluster local",
            ) from None

    def pids(self) -> dict[str, int]:
        """Each worker's process id, by address (for tests that kill one)."""
        got: dict[str, int] = self.client.run(os.getpid)
        return got

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            self.local.close()
        _restore(self.personality)
        self.personality = None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Work spread over worker processes, one per core: Python that holds one core (parsing) runs
on all of them.

Each worker is a fresh interpreter started as ``python -c`` with this process's import path,
so nothing of the caller's own script runs again in it (multiprocessing's spawn re-runs the
main script, which a script without ``if __name__ == "__main__":`` turns into a second
refresh). Jobs and results travel as length-prefixed pickles over the worker's stdin and a
copy of its stdout; the worker's own stdout goes to stderr, so that a stray print cannot break
the exchange.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

_BOOT = "import sys; sys.path[:0] = sys.argv[1:]; from pipeline.workers import serve; serve()"
_LENGTH = 8


class WorkerError(RuntimeError):
    """A job failed in a worker process: a bug (its traceback is in the message)."""


class WorkerStopped(WorkerError):
    """A worker process could not start, or stopped before it answered (killed, out of
    memory): nothing the input did, so the caller says what to do about the machine."""


def map_in_workers(
    function: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    workers: int,
    order: Sequence[int] | None = None,
    here: Callable[..., Any] | None = None,
    received: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """``function(*job)`` for every job, in ``jobs``' order, computed by ``workers`` worker
    processes; ``order`` is the order in which jobs are handed out (the longest first, so
    that no worker is left with a long one at the end). ``function``, the jobs and the
    results must pickle; ``function`` is found by its module and name in the worker. The
    first failure stops the workers from taking more jobs and is raised.

    With ``here``, this process takes jobs from the same queue too, computing ``here(*job)``
    (a result the caller tells apart from a worker's), from the start while the workers
    import; once the queue is empty it computes any job a worker still holds itself and stops
    the workers, so that it never waits for a worker slowed by a busy machine.

    ``received`` turns each worker's result into what is returned as it arrives, so that
    what came over the pipe is let go at once rather than held until every job is done."""
    pending = list(range(len(jobs)) if order is None else order)
    results: dict[int, Any] = {}
    lock = threading.Lock()
    failed = threading.Event()
    # This process took over the jobs the workers held (``here``): stopped, they are not failures.
    taken_over = threading.Event()
    held: dict[int, subprocess.Popen[bytes]] = {}
    started_workers: list[subprocess.Popen[bytes]] = []

    def take() -> int | None:
        with lock:
            return pending.pop(0) if pending and not failed.is_set() else None

    def drive() -> None:
        command = [sys.executable, "-c", _BOOT, *sys.path]
        try:
            started = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as err:
            if taken_over.is_set():
                return
            failed.set()
            raise WorkerStopped(f"could not start a worker process ({err})") from err
        with started as worker:
            assert worker.stdin is not None and worker.stdout is not None
            with lock:
                started_workers.append(worker)
                if taken_over.is_set():
                    worker.kill()
            try:
                if here is not None:
                    # This process takes the first jobs until the worker is ready for them.
                    _send(worker.stdin, (get_ready_beside, (function.__module__,)))
                    _answer(worker)
                while (index := take()) is not None:
                    with lock:
                        held[index] = worker
                    _send(worker.stdin, (function, jobs[index]))
                    answer = _answer(worker)
                    if received is not None:
                        answer = received(answer)
                    with lock:
                        del held[index]
                        results.setdefault(index, answer)
            except BaseException:
                if taken_over.is_set():
                    return
                failed.set()
                raise
            finally:
                with contextlib.suppress(OSError):
                    worker.stdin.close()

    with ThreadPoolExecutor(max_workers=workers) as threads:
        running = [threads.submit(drive) for _ in range(min(workers, len(jobs)))]
        if here is not None:
            _work_beside(here, jobs, take, results, failed)
            with lock:
                taken_over.set()
                still_held = {} if failed.is_set() else dict(held)
                # A worker still importing or holding a job is not waited for.
                for worker in started_workers:
                    worker.kill()
            for index in still_held:
                results[index] = here(*jobs[index])
        for future in running:
            future.result()
    return [results[index] for index in range(len(jobs))]


def _work_beside(
    here: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    take: Callable[[], int | None],
    results: dict[int, Any],
    failed: threading.Event,
) -> None:
    """This process's share of ``map_in_workers``: jobs from the queue until it is empty."""
    try:
        while (index := take()) is not None:
            results[index] = here(*jobs[index])
    except BaseException:
        failed.set()
        raise


def _answer(worker: subprocess.Popen[bytes]) -> Any:
    assert worker.stdout is not None
    message = _receive(worker.stdout)
    if message is None:
        raise WorkerStopped(f"a worker process stopped (exit code {worker.wait()})")
    ok, value = message
    if not ok:
        raise WorkerError(f"a job failed in a worker process:\n{value}")
    return value


def get_ready_beside(module: str) -> None:
    """A worker's first job beside this process: import the jobs' ``module``."""
    importlib.import_module(module)


def serve() -> None:
    """A worker's loop: run each job read from stdin, write back (True, result) or (False,
    the traceback), until stdin closes."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    while (message := _receive(sys.stdin.buffer)) is not None:
        function, job = message
        try:
            answer = (True, function(*job))
        except Exception:
            answer = (False, traceback.format_exc())
        _send(answers, answer)


def _send(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_LENGTH, "little"))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next value, or None when the stream ended."""
    header = stream.read(_LENGTH)
    if len(header) < _LENGTH:
        return None
    size = int.from_bytes(header, "little")
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)

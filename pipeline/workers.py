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
) -> list[Any]:
    """``function(*job)`` for every job, in ``jobs``' order, computed by ``workers`` worker
    processes; ``order`` is the order in which jobs are handed out (the longest first, so
    that no worker is left with a long one at the end). ``function``, the jobs and the
    results must pickle; ``function`` is found by its module and name in the worker. With
    ``here``, this process takes jobs from the same queue too while the workers start,
    computing ``here(*job)`` (a result the caller tells apart from a worker's). The first
    failure stops the workers from taking more jobs and is raised."""
    pending = list(range(len(jobs)) if order is None else order)
    results: dict[int, Any] = {}
    lock = threading.Lock()
    failed = threading.Event()

    def take() -> int | None:
        with lock:
            return pending.pop(0) if pending and not failed.is_set() else None

    def drive() -> None:
        command = [sys.executable, "-c", _BOOT, *sys.path]
        try:
            started = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as err:
            failed.set()
            raise WorkerStopped(f"could not start a worker process ({err})") from err
        with started as worker:
            assert worker.stdin is not None and worker.stdout is not None
            try:
                while (index := take()) is not None:
                    _send(worker.stdin, (function, jobs[index]))
                    results[index] = _answer(worker)
            except BaseException:
                failed.set()
                raise
            finally:
                worker.stdin.close()

    with ThreadPoolExecutor(max_workers=workers) as threads:
        running = [threads.submit(drive) for _ in range(min(workers, len(jobs)))]
        try:
            # Already warm, this process starts at once: a worker imports for half a second.
            while here is not None and (index := take()) is not None:
                results[index] = here(*jobs[index])
        except BaseException:
            failed.set()
            raise
        for future in running:
            future.result()
    return [results[index] for index in range(len(jobs))]


def _answer(worker: subprocess.Popen[bytes]) -> Any:
    assert worker.stdout is not None
    message = _receive(worker.stdout)
    if message is None:
        raise WorkerStopped(f"a worker process stopped (exit code {worker.wait()})")
    ok, value = message
    if not ok:
        raise WorkerError(f"a job failed in a worker process:\n{value}")
    return value


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

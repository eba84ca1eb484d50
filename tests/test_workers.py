"""Worker processes: results in the jobs' order whatever order they are handed out in, a job's
failure raised with its traceback, a worker that dies named, a stray print harmless."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pipeline.workers import WorkerError, WorkerStopped, map_in_workers


def square_loudly(value: int) -> tuple[int, int]:
    print("a stray line on the worker's stdout")
    return value * value, os.getpid()


def fail_on_three(value: int) -> int:
    if value == 3:
        raise ValueError("three is not welcome")
    return value


def die(value: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return value


def test_results_come_back_in_the_jobs_order_from_every_worker() -> None:
    results = map_in_workers(square_loudly, [(n,) for n in range(6)], 2, order=[5, 4, 3, 2, 1, 0])
    assert [square for square, _ in results] == [0, 1, 4, 9, 16, 25]
    workers = {pid for _, pid in results}
    assert len(workers) == 2
    assert os.getpid() not in workers


def test_a_failing_job_is_raised_with_its_traceback() -> None:
    with pytest.raises(WorkerError) as caught:
        map_in_workers(fail_on_three, [(n,) for n in range(5)], 2)
    assert "a job failed in a worker process" in str(caught.value)
    assert "ValueError: three is not welcome" in str(caught.value)


def test_a_worker_that_dies_is_named() -> None:
    with pytest.raises(WorkerStopped, match=r"a worker process stopped \(exit code -9\)"):
        map_in_workers(die, [(1,)], 1)


def square_here(value: int) -> tuple[int, int]:
    return value * value, os.getpid()


def test_this_process_takes_jobs_beside_its_worker() -> None:
    jobs = [(n,) for n in range(8)]
    results = map_in_workers(
        square_loudly, jobs, 1, order=[7, 6, 5, 4, 3, 2, 1, 0], here=square_here
    )
    assert [square for square, _ in results] == [n * n for n in range(8)]
    # Whichever side took a job, at most this process and one worker did.
    assert len({pid for _, pid in results} - {os.getpid()}) <= 1


def test_a_failure_in_this_process_is_raised() -> None:
    with pytest.raises(ValueError, match="three is not welcome"):
        map_in_workers(fail_on_three, [(3,)], 1, here=fail_on_three)


def square_slowly(value: int) -> tuple[int, int]:
    time.sleep(600)
    return value * value, os.getpid()


def test_a_job_a_worker_still_holds_is_done_here_and_the_worker_stopped() -> None:
    # The worker's job would take ten minutes: this process does it and stops the worker.
    results = map_in_workers(square_slowly, [(2,), (3,)], 1, here=square_here)
    assert results == [(4, os.getpid()), (9, os.getpid())]

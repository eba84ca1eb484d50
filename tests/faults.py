"""The real `contacts` command in a child process, with a fault injected first where a test
needs one, and the check every fault test makes: exit code 1, one line naming the file and the
fix, never a traceback."""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Fault: building the table named by $PAUSE_AT_TABLE, print "building" and wait for a line on
# stdin (a test kills the process there, or changes something, then lets it go on).
PAUSE_AT_TABLE = """
import os, sys
import pipeline.build as build
_write_table = build._write_table
def _paused(con, spec):
    if spec.name == os.environ["PAUSE_AT_TABLE"]:
        print("building", flush=True)
        sys.stdin.readline()
    _write_table(con, spec)
build._write_table = _paused
"""


def contacts_command(*args: object, fault: str = "") -> list[str]:
    """The command line of `contacts ARGS...` run from this checkout, after ``fault`` (Python
    code that patches the pipeline) has run in the same process."""
    code = f"{fault}\nfrom pipeline.cli import cli\ncli(prog_name='contacts')\n"
    return [PYTHON, "-c", code, *map(str, args)]


def without_root_override() -> list[str]:
    """A command prefix under which permissions apply even to root: tests run as root in CI,
    and root reads a chmod 000 file. The process keeps its user, without the capabilities
    that bypass file permissions. Skips the test where that cannot be arranged."""
    if os.geteuid() != 0:
        return []
    prefix = _setpriv_prefix()
    if prefix is None:
        pytest.skip("running as root and cannot drop the capabilities that bypass permissions")
    return prefix


@functools.cache
def _setpriv_prefix() -> list[str] | None:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    works = subprocess.run([*prefix, "true"], capture_output=True).returncode == 0
    return prefix if works else None


def file_size_limit(limit: int) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the size of any file the child writes (RLIMIT_FSIZE)."""

    def apply() -> None:
        # Past the limit a write fails with EFBIG rather than the process being killed.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def run_contacts(
    *args: object,
    fault: str = "",
    prefix: list[str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `contacts ARGS...` to the end; a hang past ``timeout`` fails the test."""
    return subprocess.run(
        [*(prefix or []), *contacts_command(*args, fault=fault)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,
        env={**os.environ, **(env or {})},
    )


@contextmanager
def refresh_paused(inbox: Path, db: Path, table: str) -> Iterator[subprocess.Popen[str]]:
    """`contacts refresh` started, and stopped while it builds ``table`` (write a line to its
    stdin to let it go on); a child still running when the block ends is killed and reaped."""
    child = subprocess.Popen(
        contacts_command("refresh", "--inbox", inbox, "--db", db, fault=PAUSE_AT_TABLE),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PAUSE_AT_TABLE": table},
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line != "building\n":
            child.kill()
            _, errors = child.communicate()
            raise AssertionError(f"the refresh did not reach {table}: {line!r} {errors}")
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def assert_fails_clearly(outcome: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """The command failed with exit code 1 and no traceback, and one line of its error output
    holds every fragment and a fix (after a dash); that line is returned."""
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.returncode == 1, (outcome.returncode, outcome.stderr)
    lines = [line for line in outcome.stderr.splitlines() if all(f in line for f in fragments)]
    assert lines, f"no line of stderr holds {fragments}:\n{outcome.stderr}"
    assert " — " in lines[0], f"the message names no fix: {lines[0]}"
    return lines[0]

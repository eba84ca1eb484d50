"""Drive Debian's `chromium` headless over the DevTools protocol on a pipe: open a local page at
a window width, read values from the rendered page, take a full-page screenshot, print to PDF.

The pipe (``--remote-debugging-pipe``: commands on fd 3, answers on fd 4, each a JSON message
ended by a NUL byte) needs no port, no websocket library and no browser download: the system's
chromium is used as installed (`make install-browser`). Used by the report's browser test and
by `make report-screenshots`.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

CANDIDATES = ("chromium", "chromium-browser")
# Nothing but the page: no first-run, sync, updates, extensions or background requests.
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """The browser did not start or did not answer."""


def find_chromium() -> str | None:
    """The chromium executable ($CHROMIUM, else on PATH), or None."""
    chosen = os.environ.get("CHROMIUM")
    if chosen:
        return shutil.which(chosen)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class PageView:
    """What a page looked like at one window size."""

    width: int
    height: int  # the whole page's, in CSS pixels
    values: Any  # what the expression evaluated in the page returned
    screenshot: bytes  # PNG of the whole page


def _move_to(fd: int, target: int) -> None:
    os.dup2(fd, target)
    os.set_inheritable(target, True)


class Chromium:
    """One headless browser; use as a context manager."""

    def __init__(self, executable: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="report-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: the protocol's pipes on fds 3 and 4
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            _move_to(high_r, 3)
            _move_to(high_w, 4)

        flags = list(FLAGS)
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # chromium refuses to run as root with its sandbox
        self._process = subprocess.Popen(
            [executable, *flags, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send("Page.enable", session=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self._process.poll() is None:
                self.send("Browser.close")
        except (BrowserError, OSError):
            pass  # already gone: kill below makes sure
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):  # closed already
                os.close(fd)
        self._profile.cleanup()

    # The protocol -------------------------------------------------------------------------

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: bool = False
    ) -> dict[str, Any]:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error'].get('message')}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self._events.append(answer)

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"chromium did not answer in {self.timeout:g}s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError("chromium closed the connection (did it crash?)")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def _wait_for(self, method: str) -> None:
        while True:
            for n, event in enumerate(self._events):
                if event.get("method") == method:
                    del self._events[: n + 1]
                    return
            event = self._read()
            if "method" in event:
                self._events.append(event)

    # What the tests need ------------------------------------------------------------------

    def open(self, url: str, width: int, height: int = 900) -> None:
        """Load ``url`` in a window ``width`` CSS pixels wide (a phone's below 500)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
            session=True,
        )
        self._events.clear()
        self.send("Page.navigate", {"url": url}, session=True)
        self._wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (by value: JSON-able)."""
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"page evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(
        self, max_height: int = 12000, scale: float = 1.0, top: int = 0
    ) -> tuple[bytes, int]:
        """A PNG of the whole page (``max_height`` CSS pixels of it from ``top``, drawn at
        ``scale``) and the page's height."""
        metrics = self.send("Page.getLayoutMetrics", session=True)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = int(size["height"])
        shot = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": top,
                    "width": int(size["width"]),
                    "height": min(height - top, max_height),
                    "scale": scale,
                },
            },
            session=True,
        )
        return base64.b64decode(shot["data"]), height

    def view(self, url: str, width: int, expression: str) -> PageView:
        """Open ``url`` at ``width``, evaluate ``expression`` and take a full-page screenshot."""
        self.open(url, width)
        values = self.evaluate(expression)
        png, height = self.screenshot()
        return PageView(width, height, values, png)

    def pdf(self) -> bytes:
        """The open page printed to PDF (A4-ish default paper, print CSS applied)."""
        printed = self.send("Page.printToPDF", {"printBackground": False}, session=True)
        return base64.b64decode(printed["data"])


def page_url(path: Path) -> str:
    return path.resolve().as_uri()

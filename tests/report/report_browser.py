"""Open an HTML file in a real headless Chromium over the DevTools protocol (CDP).

A deliberately small client: start ``chromium --headless --remote-debugging-port=0``,
read the page target's websocket address from ``/json/list``, then drive the
page with a handful of CDP commands over the ``websockets`` package's sync
client. It collects what a person would see (``document.body.innerText``),
every console error, uncaught exception and failed load (Runtime and Log
domains), the resources the page fetched, a full-page screenshot, and the
page under print media.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_LISTENING = re.compile(r"DevTools listening on (ws://[^\s]+)")


def find_chromium() -> str | None:
    """The Chromium executable (``$CHROMIUM`` first, then the usual names on PATH), or None."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if os.path.isfile(configured) else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What the browser saw: visible text, console errors, fetched resources, screenshot, print view."""

    text: str = ""
    console_errors: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    broken_images: int = 0
    screenshot: bytes = b""
    print_text: str = ""
    print_hidden: list[str] = field(default_factory=list)
    pdf: bytes = b""
    title: str = ""


class _Session:
    """One websocket to one page target; commands wait for their reply, events are kept."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.socket = connect(url, max_size=None, open_timeout=20)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        self.next_id += 1
        message_id = self.next_id
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"CDP {method} failed: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30.0) -> None:
        if any(message.get("method") == event for message in self.events):
            return
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            self.events.append(message)
            if message.get("method") == event:
                return

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive in the next ``seconds`` (late console messages)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01))
            except TimeoutError:
                return
            self.events.append(json.loads(message))

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression!r} failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self.socket.close()


def _console_errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args", [])
            errors.append(
                "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(
                "exception: "
                + str(details.get("exception", {}).get("description", details.get("text")))
            )
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(
                f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip()
            )
    return errors


def open_page(
    path: Path, chromium: str, width: int = 1280, height: int = 900, timeout: float = 60.0
) -> PageReport:
    """Load ``path`` in headless Chromium and report what it shows (see :class:`PageReport`)."""
    profile = tempfile.mkdtemp(prefix="tsinspect-chromium-")
    command = [
        chromium,
        "--headless",
        "--no-sandbox",  # CI and containers run as root, where the sandbox refuses to start
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--remote-debugging-port=0",
        "--remote-allow-origins=*",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "about:blank",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    session: _Session | None = None
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + timeout
        browser_url = None
        seen: list[str] = []
        while browser_url is None:
            line = process.stderr.readline()
            if not line:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("chromium did not start:\n" + "".join(seen[-20:]))
                continue
            seen.append(line)
            match = _LISTENING.search(line)
            if match:
                browser_url = match.group(1)
        host = browser_url.split("/")[2]
        with urllib.request.urlopen(f"http://{host}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        session = _Session(page["webSocketDebuggerUrl"])
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            session.send(domain)
        session.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        session.events.clear()
        session.send("Page.navigate", {"url": path.resolve().as_uri()})
        session.wait_for("Page.loadEventFired", timeout=timeout)
        session.drain(0.5)
        report = PageReport()
        report.title = session.evaluate("document.title")
        report.text = session.evaluate("document.body.innerText")
        report.resources = session.evaluate(
            "performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        )
        report.broken_images = session.evaluate(
            "Array.from(document.images).filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length"
        )
        metrics = session.send("Page.getLayoutMetrics")
        content = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = session.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": width,
                    "height": min(int(content["height"]), 16000),
                    "scale": 1,
                },
            },
        )
        report.screenshot = base64.b64decode(shot["data"])
        # The print view: collapsed sections open, navigation hidden, and it makes a PDF.
        session.send("Emulation.setEmulatedMedia", {"media": "print"})
        session.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        report.print_text = session.evaluate("document.body.innerText")
        report.print_hidden = session.evaluate(
            "Array.from(document.querySelectorAll('nav')).filter(function (e) {"
            " return getComputedStyle(e).display === 'none'; }).map(function (e) { return e.className; })"
        )
        report.pdf = base64.b64decode(session.send("Page.printToPDF", {}, timeout=timeout)["data"])
        session.drain(0.2)
        report.console_errors = _console_errors(session.events)
        return report
    finally:
        if session is not None:
            session.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)

"""A headless Chromium driven over the DevTools protocol: check decks, print them to PDF.

Used by ``make slides`` (one PDF per deck, reveal.js's print layout) and by
``tests/test_slides.py`` (every deck opened from disk: nothing fails to load, every slide
fits and has speaker notes, every notebook has a slide). Debian's Chromium is enough
(``make chromium``); nothing is downloaded.

    with Chromium() as browser:
        report = check_deck(browser, Path("build/slides/03_essay_scoring.html"))
        print_pdf(browser, Path("build/slides/03_essay_scoring.html"), Path("deck.pdf"))
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path


class BrowserError(RuntimeError):
    """Chromium is missing, did not start, or a page did not do what was asked."""


CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
)


def find_chromium() -> str | None:
    """Path of a Chromium or Chrome executable, or ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """A headless Chromium driven over the DevTools protocol (one page, local files only).

    ``with Chromium() as browser: browser.send("Page.navigate", url=...)``. Events
    (failed loads, console errors, exceptions) are collected in ``browser.events``.
    """

    def __init__(self, executable: str | None = None, width: int = 1280, height: int = 800,
                 timeout: float = 30.0) -> None:
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise BrowserError(
                "Chromium is not installed. Debian/Ubuntu: `apt-get update && apt-get install "
                "-y chromium` (or `make chromium`)."
            )
        self.width, self.height, self.timeout = width, height, timeout
        self.events: list[dict] = []
        self._id = 0

    def __enter__(self) -> Chromium:
        import json
        import tempfile
        import urllib.request

        import websocket  # websocket-client

        self._profile = tempfile.mkdtemp(prefix="course-chromium-")
        self._log = open(Path(self._profile) / "stderr.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [self.executable, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}",
             "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self._log,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise BrowserError(f"Chromium did not start ({self.executable}).")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        if not pages:
            self.close()
            raise BrowserError("Chromium opened no page to drive.")
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"],
                                              timeout=self.timeout, suppress_origin=True)
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser and remove its temporary profile."""
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if getattr(self, "_log", None) is not None:
            self._log.close()
        shutil.rmtree(getattr(self, "_profile", ""), ignore_errors=True)

    def _recv(self) -> dict:
        import json

        message = json.loads(self.ws.recv())
        if "method" in message:
            self.events.append(message)
        return message

    def send(self, method: str, **params) -> dict:
        """Call a DevTools method and return its result (events seen meanwhile are kept)."""
        import json

        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = self._recv()
            if message.get("id") == self._id:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error']}")
                return message.get("result", {})

    def wait_for(self, method: str, timeout: float | None = None) -> dict:
        """Wait for the next event called ``method``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = len(self.events)
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise BrowserError(f"Timed out waiting for {method}.")
            self._recv()

    def evaluate(self, expression: str, await_promise: bool = False):
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]!r} raised {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport."""
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


_DECK_REPORT_JS = r"""(() => {
  const imgs = Array.from(document.querySelectorAll('.reveal .slides img'));
  const text = Array.from(document.querySelectorAll('.reveal .jp-RenderedMarkdown')).map(el => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('pre, code').forEach(c => c.remove());
    return copy.textContent;
  }).join('\n');
  return {
    ready: document.body.getAttribute('data-deck-ready') === 'true',
    total: (window.Reveal && Reveal.getTotalSlides) ? Reveal.getTotalSlides() : 0,
    headings: Array.from(document.querySelectorAll('.reveal h1, .reveal h2')).map(h => h.innerText),
    images: imgs.length,
    broken_images: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
    math: document.querySelectorAll('mjx-container').length,
    raw_markdown: text.split('\n').filter(l => /^\s*(#{1,6} |```|\$\$)|\*\*\w/.test(l)).slice(0, 5),
  };
})()"""

# What one slide shows, measured in the slide's own (unscaled) pixels: reveal.js scales
# the whole deck to the window, so bounding boxes are divided by Reveal.getScale().
# Content inside a <pre> scrolls there and does not count towards the slide's height.
_SLIDE_REPORT_JS = r"""((i) => {
  const slide = Reveal.getSlides()[i];
  const at = Reveal.getIndices(slide);
  Reveal.slide(at.h, at.v);
  const scale = Reveal.getScale();
  const box = document.querySelector('.reveal .slides').getBoundingClientRect();
  let bottom = box.top, right = box.left;
  slide.querySelectorAll('*').forEach(el => {
    if (el.closest('aside.notes') || (el.parentElement && el.parentElement.closest('pre'))) return;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) {
      bottom = Math.max(bottom, r.bottom);
      right = Math.max(right, r.right);
    }
  });
  const shown = slide.cloneNode(true);
  shown.querySelectorAll('aside.notes').forEach(n => n.remove());
  return {
    index: i,
    heading: ((slide.querySelector('h1, h2') || {}).textContent || '').replace(/¶/g, '').trim(),
    notes: Array.from(slide.querySelectorAll('aside.notes')).map(n => n.textContent.trim()).join(' ').trim(),
    height: Math.round((bottom - box.top) / scale),
    limit: Reveal.getConfig().height,
    width: Math.round((right - box.left) / scale),
    width_limit: Reveal.getConfig().width,
    notebooks: Array.from(slide.querySelectorAll('.course-nb')).map(e => e.dataset.notebooks || '')
      .join(',').split(',').filter(Boolean).map(Number),
    text: shown.textContent,
  };
})"""


def _errors(events: list[dict]) -> list[str]:
    """Failed loads, HTTP errors, exceptions and console errors among DevTools events."""
    errors = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.loadingFailed":
            errors.append(f"failed load: {params.get('errorText')} ({params.get('type')})")
        elif method == "Network.responseReceived" and params["response"].get("status", 0) >= 400:
            errors.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(f"console: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            errors.append("console.error: " + " ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
    return errors


def open_deck(browser: Chromium, url: str, timeout: float = 20) -> bool:
    """Navigate to a deck and wait until reveal.js and MathJax are ready; ``False`` if not."""
    browser.events.clear()
    browser.send("Page.navigate", url=url)
    browser.wait_for("Page.loadEventFired")
    deadline = time.monotonic() + timeout
    while not browser.evaluate("document.body.getAttribute('data-deck-ready') === 'true'"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    browser.evaluate("(window.MathJax && MathJax.startup && MathJax.startup.promise) ? "
                     "MathJax.startup.promise.then(() => true) : true", await_promise=True)
    return True


def check_deck(browser: Chromium, html: Path, screenshot_dir: Path | None = None,
               n_screenshots: int | None = 3) -> dict:
    """Open a built deck from disk and report what rendered, what failed, and each slide.

    Returns a dict with ``total`` (slides reveal.js counts), ``headings``, ``images``,
    ``broken_images``, ``math`` (rendered formulas), ``raw_markdown`` (lines that look
    like unrendered Markdown), ``errors`` (failed loads, exceptions, console errors),
    ``slides`` (per slide: ``heading``, ``notes`` text, content ``height`` and ``width``
    against the deck's ``limit`` and ``width_limit``, the ``notebooks`` it is tagged with, its visible ``text``) and
    ``screenshots`` (PNGs of the first ``n_screenshots`` slides; ``None``: all).
    """
    ready = open_deck(browser, html.resolve().as_uri())
    report = browser.evaluate(_DECK_REPORT_JS)
    report["ready"] = ready and report["ready"]
    report["slides"], report["screenshots"] = [], []
    if report["ready"]:
        for i in range(report["total"]):
            report["slides"].append(browser.evaluate(f"{_SLIDE_REPORT_JS}({i})"))
            if screenshot_dir is not None and (n_screenshots is None or i < n_screenshots):
                time.sleep(0.05)
                path = screenshot_dir / f"{html.stem}-{i + 1:02d}.png"
                report["screenshots"].append(browser.screenshot(path))
    report["errors"] = _errors(browser.events)
    return report


def print_pdf(browser: Chromium, html: Path, pdf: Path) -> Path:
    """Print a deck to PDF with reveal.js's print layout (``?print-pdf``), one slide a page."""
    import base64

    if not open_deck(browser, html.resolve().as_uri() + "?print-pdf"):
        raise BrowserError(f"{html.name} did not finish loading in print mode.")
    time.sleep(0.3)  # reveal.js lays the print pages out after it reports ready
    data = browser.send("Page.printToPDF", printBackground=True, preferCSSPageSize=True)["data"]
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(base64.b64decode(data))
    return pdf

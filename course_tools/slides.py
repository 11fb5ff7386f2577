"""Build the slide decks in ``slides/`` into reveal.js HTML that works offline (``make slides``).

    python -m course_tools.slides                 # every deck into build/slides/
    python -m course_tools.slides 03 --no-execute # one deck, without running its code

Each deck is a jupytext ``py:percent`` file (``slides/NN_name.py``) whose cells carry
reveal.js metadata (``# %% [markdown] slideshow={"slide_type": "slide"}``). Building a
deck executes it (figures are drawn by code, result numbers are read from
``results/*.csv``), then exports it with nbconvert's slides exporter and a small
template (``slides/templates/offline_reveal``) that loads reveal.js and MathJax from
files copied next to the decks, so the HTML opens from disk with no internet.

reveal.js and MathJax come from the npm registry, installed once under
``build/npm/`` (git-ignored). Cells tagged ``hide-input`` show only their output;
cells tagged ``remove-cell`` are run but not shown.

Decks read results with :func:`show_results`, which says "not measured yet" when a
table has not been written by ``make results``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLIDES_DIR = ROOT / "slides"
TEMPLATES = SLIDES_DIR / "templates"
BUILD_DIR = ROOT / "build" / "slides"
NPM_DIR = ROOT / "build" / "npm"
RESULTS_DIR = ROOT / "results"

REVEAL_VERSION = "5.2.1"
MATHJAX_VERSION = "3.2.2"
#: What is copied next to the decks: (source under node_modules, target under the deck folder).
ASSETS = (
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin/notes/notes.js", "reveal.js/plugin/notes/notes.js"),
    ("mathjax/es5/tex-svg-full.js", "mathjax/tex-svg-full.js"),
)


class SlidesError(RuntimeError):
    """A deck could not be built (missing assets, a failing cell, a bad deck name)."""


def deck_paths(prefixes: list[str] | None = None) -> list[Path]:
    """The deck sources ``slides/NN_name.py`` in order, optionally filtered by prefix."""
    paths = sorted(SLIDES_DIR.glob("[0-9][0-9]_*.py"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
        if not paths:
            names = ", ".join(p.stem for p in sorted(SLIDES_DIR.glob("[0-9][0-9]_*.py")))
            raise ValueError(f"No deck matches {prefixes}; the decks are: {names}.")
    return paths


# --------------------------------------------------------------------------------------
# Helpers used inside the decks
# --------------------------------------------------------------------------------------
def results_table(name: str):
    """``results/<name>.csv`` as a DataFrame, or ``None`` when it has not been written yet."""
    import pandas as pd

    if not name or "/" in name or name.endswith(".csv"):
        raise ValueError(f"Give a results table name such as 'asap7', got {name!r}.")
    path = RESULTS_DIR / f"{name}.csv"
    if not path.is_file():
        return None
    return pd.read_csv(path)


#: Columns of ``results/asap7.csv`` shown on slides, with their display names.
ASAP_COLUMNS = {
    "label": "method", "qwk_mean": "QWK", "qwk_sd": "± SD", "qwk_ci_low": "CI low",
    "qwk_ci_high": "CI high", "original": "original", "acc_mean": "exact", "smd_mean": "SMD",
    "n_seeds": "seeds", "n_test": "test essays",
}


def _select(table, sections: list[str] | None, columns: dict[str, str] | list[str] | None,
            where: dict[str, str] | None = None):
    for column, value in (where or {}).items():
        if column not in table.columns:
            raise ValueError(f"The results table has no column {column!r}; it has "
                             f"{list(table.columns)}.")
        table = table[table[column].astype(str) == str(value)]
    if sections and "section" in table.columns:
        wanted = [s.lower() for s in sections]
        table = table[table["section"].astype(str).str.lower().map(
            lambda s: any(w in s for w in wanted))]
    if columns:  # None or [] keeps every column
        names = columns if isinstance(columns, dict) else {c: c for c in columns}
        keep = [c for c in names if c in table.columns]
        if keep:
            table = table[keep].rename(columns=names)
    return table


def select_results(name: str, sections: list[str] | None = None,
                   columns: dict[str, str] | list[str] | None = None,
                   where: dict[str, str] | None = None):
    """The rows and columns of ``results/<name>.csv`` a slide shows, or ``None`` if none.

    ``where`` keeps rows whose columns equal these values (``{"table": "scores"}``);
    ``sections`` keeps rows whose ``section`` contains one of these words
    (case-insensitive); ``columns`` keeps (and, given a dict, renames) those columns that
    exist. For ``asap7`` the default columns are :data:`ASAP_COLUMNS`.
    """
    table = results_table(name)
    if table is None:
        return None
    if columns is None and name == "asap7":
        columns = ASAP_COLUMNS
    table = _select(table, sections, columns, where)
    if table.empty:
        return None
    for column in table.columns:  # counts read as floats (NaN elsewhere) shown as integers
        values = table[column]
        if (values.dtype.kind == "f" and values.notna().all() and values.abs().max() >= 2
                and (values == values.round()).all()):
            table = table.assign(**{column: values.astype("int64")})
    return table


def show_results(name: str, columns: dict[str, str] | list[str] | None = None,
                 sections: list[str] | None = None, digits: int = 3,
                 where: dict[str, str] | None = None) -> None:
    """Display a committed results table on a slide, or say it is "not measured yet".

    See :func:`select_results` for ``sections`` and ``columns``. Numbers are rounded to
    ``digits`` for display; nothing is typed by hand.
    """
    from IPython.display import Markdown, display

    table = select_results(name, sections, columns, where)
    if table is None:
        which = sections or where
        display(Markdown(f"*Not measured yet: no{f' rows for {which} in' if which else ''} "
                         f"`results/{name}.csv`. "
                         "Run `make results` and rebuild the slides (`make slides`).*"))
        return
    display(table.style.hide(axis="index").format(precision=digits, na_rep=""))
    raw = results_table(name)
    notes = []
    key = next((c for c in ("label", "system") if raw is not None and c in raw.columns), None)
    if key is not None and "note" in raw.columns:
        rows = raw.loc[table.index]
        notes = list(dict.fromkeys((label, str(note)) for label, note in zip(rows[key], rows["note"])
                                   if isinstance(note, str) and note.strip()))
    footer = "".join(f"<br>{label}: {note[:200]}{'…' if len(note) > 200 else ''}"
                     for label, note in notes[:6])
    display(Markdown(f"<span class='course-footer'>Source: `results/{name}.csv` "
                     f"(written by `make results`).{footer}</span>"))


def plot_results(name: str = "asap7", sections: list[str] | None = None) -> None:
    """Bar chart of QWK with its bootstrap CI from ``results/<name>.csv`` (or a note)."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    table = select_results(name, sections, columns=[])
    needed = {"label", "qwk_mean", "qwk_ci_low", "qwk_ci_high"}
    if table is None or not needed <= set(table.columns):
        where = f" rows for {sections} in" if sections else ""
        display(Markdown(f"*Not measured yet: no{where} `results/{name}.csv`. "
                         "Run `make results`.*"))
        return
    import textwrap

    table = table.iloc[::-1]
    labels = ["\n".join(textwrap.wrap(str(label), 34)) for label in table.label]
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(table) + 1.3))
    err = [table.qwk_mean - table.qwk_ci_low, table.qwk_ci_high - table.qwk_mean]
    ax.barh(range(len(table)), table.qwk_mean, xerr=err, color="#4C72B0", capsize=3)
    ax.set_yticks(range(len(table)), labels, fontsize=10)
    ax.axvline(0.70, color="k", ls="--", lw=1, label="Williamson:\nQWK ≥ 0.70")
    ax.set_xlabel(f"QWK on the test set (95% bootstrap CI); source: results/{name}.csv")
    ax.set_xlim(min(0.0, float(table.qwk_ci_low.min()) - 0.05), 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    plt.show()


def show_source(function) -> None:
    """Show a course function's code (without its docstring) on a slide, highlighted.

    The slide shows the code the notebooks run, so the two cannot drift apart.
    """
    import ast
    import inspect
    import textwrap

    from IPython.display import Markdown, display

    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    body = tree.body[0].body
    lines = source.splitlines()
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                             ast.Constant):
        doc = body[0]
        lines = lines[: doc.lineno - 1] + lines[doc.end_lineno:]
    where = f"{function.__module__}.{function.__qualname__}"
    display(Markdown("```python\n" + "\n".join(lines) + f"\n```\n<span class='course-footer'>"
                     f"Source: `{where}` (docstring left out).</span>"))


def show_notebooks(numbers: list[int]) -> None:
    """A Markdown list of the section's notebooks: title and exercises, read from the files.

    Notebooks that do not exist yet are listed as such, so the deck keeps in step with
    ``notebooks/`` without anyone editing it.
    """
    import nbformat
    from IPython.display import Markdown, display

    from course_tools.exercises import find_exercises

    lines = []
    for number in numbers:
        found = sorted((ROOT / "notebooks").glob(f"{number:02d}_*.ipynb"))
        if not found:
            lines.append(f"* **{number:02d}**: *not written yet*")
            continue
        nb = nbformat.read(found[0], as_version=4)
        title = deck_title(nb, found[0])
        title = re.sub(r"^\d{2}\s*[·:.-]\s*", "", title)
        n = len(find_exercises(nb))
        extra = f" ({n} exercises)" if n else ""
        lines.append(f"* **{number:02d}** `{found[0].name}`: {title}{extra}")
    display(Markdown("\n".join(lines)))


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------
def npm_assets(npm_dir: Path = NPM_DIR, install: bool = True) -> Path:
    """``node_modules`` holding reveal.js and MathJax; installs them with npm if missing."""
    modules = npm_dir / "node_modules"
    missing = [src for src, _ in ASSETS if not (modules / src).exists()]
    if missing and install:
        npm = shutil.which("npm")
        if npm is None:
            raise SlidesError(
                "The decks need reveal.js and MathJax from npm, but `npm` is not installed. "
                "Install Node.js and npm (Debian: `apt-get install -y nodejs npm`), then run "
                "`make slides` again."
            )
        npm_dir.mkdir(parents=True, exist_ok=True)
        cmd = [npm, "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund",
               "--loglevel=error", f"reveal.js@{REVEAL_VERSION}", f"mathjax@{MATHJAX_VERSION}"]
        print("Installing reveal.js and MathJax:", " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, check=True)
        missing = [src for src, _ in ASSETS if not (modules / src).exists()]
    if missing:
        raise SlidesError(
            f"{modules} lacks {missing}. Run `npm install --prefix {npm_dir} "
            f"reveal.js@{REVEAL_VERSION} mathjax@{MATHJAX_VERSION}` (or `make slides`)."
        )
    return modules


def copy_assets(out_dir: Path, modules: Path) -> None:
    """Copy reveal.js and MathJax next to the decks so the HTML uses relative paths."""
    for src, dst in ASSETS:
        source, target = modules / src, out_dir / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


def read_deck(path: Path):
    """A deck source as an nbformat notebook (jupytext ``py:percent``)."""
    import jupytext

    if not path.is_file():
        raise ValueError(f"{path} does not exist; decks live in {SLIDES_DIR}.")
    return jupytext.read(path)


def execute_decks(nbs: list, timeout: int = 300) -> None:
    """Run every code cell of each deck, in one kernel (working directory: the repo root).

    One kernel for all decks saves a kernel start and the same imports per deck;
    ``%reset -f`` between decks keeps them independent.
    """
    import os

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    # MPLBACKEND=Agg (set for headless runs) would stop the kernel from showing figures.
    backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    first = None
    try:
        for nb in nbs:
            reset = nbformat.v4.new_code_cell("%reset -f", metadata={"tags": ["remove-cell"]})
            nb.cells.insert(0, reset)
            if first is None:
                first = client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                                resources={"metadata": {"path": str(ROOT)}})
            else:
                client = NotebookClient(nb, timeout=timeout, km=first.km)
                client.kc = first.kc
            try:
                client.execute(cleanup_kc=False)
            except CellExecutionError as exc:
                lines = [ln for ln in str(exc).splitlines() if ln.strip()]
                title = nb.metadata.get("title", "a deck")
                raise SlidesError(f"A cell of {title} failed: {lines[-1] if lines else exc}") from exc
            finally:
                nb.cells.remove(reset)
    finally:
        if first is not None:
            first._cleanup_kernel()
        if backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = backend


def execute_deck(nb, timeout: int = 300) -> None:
    """Run every code cell of one deck in a fresh kernel."""
    execute_decks([nb], timeout=timeout)


def export_deck(nb, title: str) -> str:
    """reveal.js HTML for an executed deck, pointing at local assets only."""
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.remove_input_tags = {"hide-input"}
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    config.TagRemovePreprocessor.enabled = True
    exporter = SlidesExporter(
        config=config,
        template_name="offline_reveal",
        extra_template_basedirs=[str(TEMPLATES)],
        reveal_url_prefix="reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        mathjax_url="mathjax/tex-svg-full.js",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    nb.metadata["title"] = title
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    for cdn in ("https://", "http://", "//cdn", "//unpkg"):
        if f'src="{cdn}' in html or f'href="{cdn}' in html:
            raise SlidesError(f"The exported {title!r} still loads something from {cdn}...")
    return html


def deck_title(nb, path: Path) -> str:
    """The first Markdown heading of a deck, or its file name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def build_deck(path: Path, out_dir: Path = BUILD_DIR, execute: bool = True,
               timeout: int = 300) -> Path:
    """Build one deck into ``out_dir/<name>.html``; return the HTML path."""
    return build_decks([path], out_dir, execute=execute, timeout=timeout)[0]


def build_decks(paths: list[Path], out_dir: Path = BUILD_DIR, execute: bool = True,
                timeout: int = 300) -> list[Path]:
    """Build decks (their code run in one kernel) into ``out_dir``; return the HTML paths."""
    nbs = [read_deck(p) for p in paths]
    for nb, path in zip(nbs, paths):
        nb.metadata["title"] = deck_title(nb, path)
    if execute:
        execute_decks(nbs, timeout=timeout)
        for nb in nbs:  # warnings and progress bars are noise on a slide
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = [o for o in cell.outputs
                                    if not (o.output_type == "stream" and o.name == "stderr")]
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for nb, path in zip(nbs, paths):
        target = out_dir / f"{path.stem}.html"
        target.write_text(export_deck(nb, nb.metadata["title"]), encoding="utf-8")
        built.append(target)
    return built


def write_index(out_dir: Path = BUILD_DIR) -> Path:
    """``index.html`` linking every deck in ``out_dir`` (relative links, works from disk)."""
    import html as html_lib

    items = []
    for deck in sorted(out_dir.glob("[0-9][0-9]_*.html")):
        text = deck.read_text(encoding="utf-8")
        match = re.search(r"<title>(.*?)</title>", text, flags=re.S)
        title = match.group(1).removesuffix(" slides").strip() if match else deck.stem
        items.append(f'<li><a href="{deck.name}">{html_lib.escape(title, quote=False)}</a></li>')
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>AI Scoring in Python: slides</title>"
        "<style>body{font-family:sans-serif;max-width:44em;margin:3em auto;line-height:1.6}</style>"
        "</head><body><h1>AI Scoring in Python: slides</h1>\n<ul>\n"
        + "\n".join(items)
        + "\n</ul>\n<p>Built by <code>make slides</code>; arrows to move, Esc for the "
        "overview, F for full screen.</p></body></html>\n"
    )
    target = out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


def build_all(prefixes: list[str] | None = None, out_dir: Path = BUILD_DIR,
              execute: bool = True, install: bool = True) -> list[Path]:
    """Copy the assets next to the decks and build them; return the HTML paths."""
    paths = deck_paths(prefixes)
    copy_assets(out_dir, npm_assets(install=install))
    start = time.perf_counter()
    built = build_decks(paths, out_dir, execute=execute)
    write_index(out_dir)
    for html in built:
        print(f"  {html.relative_to(ROOT) if html.is_relative_to(ROOT) else html}", flush=True)
    print(f"Built {len(built)} deck(s) in {time.perf_counter() - start:.1f} s.")
    return built


# --------------------------------------------------------------------------------------
# Checking the decks in headless Chromium (tests/test_slides.py, --check)
# --------------------------------------------------------------------------------------
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
            raise SlidesError(
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
                raise SlidesError(f"Chromium did not start ({self.executable}).")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        if not pages:
            self.close()
            raise SlidesError("Chromium opened no page to drive.")
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
                    raise SlidesError(f"{method} failed: {message['error']}")
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
                raise SlidesError(f"Timed out waiting for {method}.")
            self._recv()

    def evaluate(self, expression: str, await_promise: bool = False):
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise SlidesError(f"{expression[:60]!r} raised {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport."""
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


_DECK_REPORT_JS = r"""(() => {
  const slides = document.querySelectorAll('.reveal .slides section');
  const text = Array.from(document.querySelectorAll('.reveal .jp-RenderedMarkdown')).map(el => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('pre, code').forEach(c => c.remove());
    return copy.textContent;
  }).join('\n');
  const imgs = Array.from(document.querySelectorAll('.reveal img'));
  return {
    ready: document.body.getAttribute('data-deck-ready') === 'true',
    total: (window.Reveal && Reveal.getTotalSlides) ? Reveal.getTotalSlides() : 0,
    sections: slides.length,
    headings: Array.from(document.querySelectorAll('.reveal h1, .reveal h2')).map(h => h.innerText),
    images: imgs.length,
    broken_images: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
    math: document.querySelectorAll('mjx-container').length,
    raw_markdown: text.split('\n').filter(l => /^\s*(#{1,6} |```|\$\$)|\*\*\w/.test(l)).slice(0, 5),
  };
})()"""


def check_deck(browser: Chromium, html: Path, screenshot_dir: Path | None = None,
               n_screenshots: int = 3) -> dict:
    """Open a built deck from disk and report what rendered and what failed to load.

    Returns a dict with ``total`` (slides reveal.js counts), ``headings``, ``images``,
    ``broken_images``, ``math`` (rendered formulas), ``raw_markdown`` (lines that look
    like unrendered Markdown), ``errors`` (failed loads, exceptions, console errors) and
    ``screenshots`` (PNG paths of the first slides).
    """
    browser.events.clear()
    browser.send("Page.navigate", url=html.resolve().as_uri())
    browser.wait_for("Page.loadEventFired")
    deadline = time.monotonic() + 20
    while not browser.evaluate("document.body.getAttribute('data-deck-ready') === 'true'"):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    browser.evaluate("(window.MathJax && MathJax.startup && MathJax.startup.promise) ? "
                     "MathJax.startup.promise.then(() => true) : true", await_promise=True)
    report = browser.evaluate(_DECK_REPORT_JS)
    errors = []
    for event in browser.events:
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
    report["errors"] = errors
    report["screenshots"] = []
    if screenshot_dir is not None and report["ready"]:
        for i in range(min(n_screenshots, report["total"])):
            browser.evaluate(f"Reveal.slide({i}, 0)")
            time.sleep(0.2)
            path = screenshot_dir / f"{html.stem}-{i + 1}.png"
            report["screenshots"].append(browser.screenshot(path))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only decks whose name starts so")
    parser.add_argument("--out", type=Path, default=BUILD_DIR, help="output folder")
    parser.add_argument("--no-execute", action="store_true", help="do not run the decks' code")
    parser.add_argument("--check", action="store_true",
                        help="open each deck in headless Chromium, report problems, save "
                             "screenshots of the first slides under <out>/screenshots/")
    args = parser.parse_args(argv)
    try:
        built = build_all(args.prefixes, args.out, execute=not args.no_execute)
    except (SlidesError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(built)} deck(s) in {args.out}; open {args.out / built[0].name} in a browser.")
    if not args.check:
        return 0
    problems = 0
    with Chromium() as browser:
        for html in built:
            report = check_deck(browser, html, args.out / "screenshots")
            bad = report["errors"] or report["raw_markdown"] or report["broken_images"]
            problems += bool(bad) or report["total"] < 2
            print(f"  {html.name}: {report['total']} slides, {report['images']} figures, "
                  f"{report['math']} formulas, {len(report['errors'])} load errors"
                  + (f": {report['errors'][:3]}" if report["errors"] else ""))
    print(f"Screenshots in {args.out / 'screenshots'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

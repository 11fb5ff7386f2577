"""Build the slide decks in ``slides/`` into reveal.js HTML and PDF that work offline (``make slides``).

    python -m course_tools.slides                 # every deck, HTML and PDF, into build/slides/
    python -m course_tools.slides 03 --no-pdf     # one deck, HTML only
    python -m course_tools.slides --check         # and report each deck as the test does

Each deck is a jupytext ``py:percent`` file (``slides/NN_name.py``) whose cells carry
reveal.js metadata: ``slideshow={"slide_type": "slide"}`` starts a slide,
``slideshow={"slide_type": "notes"}`` holds its speaker notes (press ``S`` in the
browser), and a tag ``nbNN`` on the slide's first cell names the notebook it teaches
(shown on the slide as a small badge). Building a deck executes it in one kernel:
figures are drawn by :mod:`course_utils.plots`, numbers are read from
``results/*.csv`` by :mod:`course_tools.slide_content`. nbconvert's slides exporter and
a small template (``slides/templates/offline_reveal``) then write HTML that loads
reveal.js and MathJax from files copied next to the decks, so it opens from disk with no
internet. Debian's Chromium, driven headless by Playwright (:func:`open_browser`), prints
each deck with reveal.js's print layout to ``build/slides/pdf/NN_name.pdf`` and checks it
(:func:`check_deck`: console errors, failed loads, and each slide's size, notes and text).

reveal.js and MathJax come from the npm registry, installed once under
``build/npm/`` (git-ignored). Cells tagged ``hide-input`` show only their output;
cells tagged ``remove-cell`` are run but not shown.
"""

from __future__ import annotations

import argparse
import html as html_lib
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from course_tools.slide_content import first_heading

ROOT = Path(__file__).resolve().parent.parent
SLIDES_DIR = ROOT / "slides"
TEMPLATES = SLIDES_DIR / "templates"
BUILD_DIR = ROOT / "build" / "slides"
NPM_DIR = ROOT / "build" / "npm"
PDF_DIR_NAME = "pdf"

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
                                                allow_error_names=[NO_DATA_ERROR],
                                                resources={"metadata": {"path": str(ROOT)}})
            else:
                client = NotebookClient(nb, timeout=timeout, km=first.km,
                                        allow_error_names=[NO_DATA_ERROR])
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


#: The error a code slide raises where the course's data is not available (no
#: ``COURSE_DATA_DIR``, no Hub): the build goes on and the slide says so in one line.
NO_DATA_ERROR = "DataNotFoundError"


def clean_outputs(nb) -> None:
    """Drop warnings and progress bars (stderr) from every code cell's output, join what
    is left of its printed text into one block, and show a :data:`NO_DATA_ERROR` as one
    line instead of its traceback."""
    import nbformat

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                continue
            if out.output_type == "error" and out.ename == NO_DATA_ERROR:
                first = (out.evalue.splitlines() or [""])[0]
                out = nbformat.v4.new_output("stream", name="stdout", text=(
                    "Not run here: the essays are not available "
                    f"({first.split('. ')[0][:100]}).\n"))
            if (outputs and out.output_type == "stream" and outputs[-1].output_type == "stream"
                    and outputs[-1].name == out.name):
                outputs[-1].text += out.text  # one block, not one per flush or dropped warning
                continue
            outputs.append(out)
        cell.outputs = outputs


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
    html = html.replace("</head>", CODE_CELL_CSS + "</head>", 1)
    for cdn in ("https://", "http://", "//cdn", "//unpkg"):
        if f'src="{cdn}' in html or f'href="{cdn}' in html:
            raise SlidesError(f"The exported {title!r} still loads something from {cdn}...")
    return html


#: Code shown on a slide (cells without ``hide-input``) and its output: as large as the
#: Markdown code blocks (18 px), inside the slide, long lines wrapped rather than cut.
CODE_CELL_CSS = """<style type="text/css">
.reveal .jp-CodeCell .jp-InputArea pre { width: auto; margin: 0.2em 0; box-sizing: border-box;
  font-size: 18px; line-height: 1.3; white-space: pre-wrap; overflow-wrap: break-word; }
.reveal .jp-CodeCell .jp-OutputArea-output pre { font-size: 18px; line-height: 1.3;
  white-space: pre-wrap; overflow-wrap: break-word; margin: 0.2em 0; }
</style>
"""


def deck_title(nb, path: Path) -> str:
    """The first Markdown heading of a deck, or its file name."""
    return first_heading(nb, path.stem)


NOTEBOOK_TAG = re.compile(r"^nb(\d\d)$")


def slide_notebooks(cell) -> list[int]:
    """The notebooks a slide's first cell is tagged with (``nb04`` -> 4)."""
    return [int(m.group(1)) for tag in cell.metadata.get("tags", [])
            if (m := NOTEBOOK_TAG.match(tag))]


def add_notebook_badges(nb) -> None:
    """Append a small "notebook NN" badge to every Markdown cell tagged ``nbNN``."""
    for cell in nb.cells:
        numbers = slide_notebooks(cell)
        if cell.cell_type == "markdown" and numbers:
            names = ", ".join(f"{n:02d}" for n in numbers)
            word = "notebooks" if len(numbers) > 1 else "notebook"
            cell.source += (f'\n\n<span class="course-nb" data-notebooks="'
                            f'{",".join(map(str, numbers))}">{word} {names}</span>')


def slides_without_notes(nb) -> list[str]:
    """Headings (or positions) of the deck's slides that have no speaker-notes cell."""
    missing, current, has_notes = [], None, True
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind in ("slide", "subslide"):
            if current is not None and not has_notes:
                missing.append(current)
            current = next((ln.lstrip("#").strip() for ln in cell.source.splitlines()
                            if ln.startswith("#")), f"cell {i}")
            has_notes = False
        elif kind == "notes" and cell.source.strip():
            has_notes = True
    if current is not None and not has_notes:
        missing.append(current)
    return missing


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
        missing = slides_without_notes(nb)
        if missing:
            raise SlidesError(f"{path.name}: slides without speaker notes: {missing}")
        add_notebook_badges(nb)
    if execute:
        execute_decks(nbs, timeout=timeout)
        for nb in nbs:  # warnings and progress bars are noise on a slide
            clean_outputs(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for nb, path in zip(nbs, paths):
        target = out_dir / f"{path.stem}.html"
        target.write_text(export_deck(nb, nb.metadata["title"]), encoding="utf-8")
        built.append(target)
    return built


def write_index(out_dir: Path = BUILD_DIR) -> Path:
    """``index.html`` linking every deck in ``out_dir`` and its PDF (relative links)."""
    items = []
    for deck in sorted(out_dir.glob("[0-9][0-9]_*.html")):
        text = deck.read_text(encoding="utf-8")
        match = re.search(r"<title>(.*?)</title>", text, flags=re.S)
        title = match.group(1).removesuffix(" slides").strip() if match else deck.stem
        pdf = out_dir / PDF_DIR_NAME / f"{deck.stem}.pdf"
        link = f' (<a href="{PDF_DIR_NAME}/{pdf.name}">PDF</a>)' if pdf.is_file() else ""
        items.append(f'<li><a href="{deck.name}">{html_lib.escape(title, quote=False)}</a>'
                     f"{link}</li>")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>AI Scoring in Python: slides</title>"
        "<style>body{font-family:sans-serif;max-width:44em;margin:3em auto;line-height:1.6}</style>"
        "</head><body><h1>AI Scoring in Python: slides</h1>\n<ul>\n"
        + "\n".join(items)
        + "\n</ul>\n<p>Built by <code>make slides</code>; arrows to move, Esc for the "
        "overview, F for full screen, S for the speaker notes.</p></body></html>\n"
    )
    target = out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


# --------------------------------------------------------------------------------------
# Printing and checking in headless Chromium (Playwright drives Debian's Chromium)
# --------------------------------------------------------------------------------------
#: Chromium's flags on a machine without a display or a network (Playwright adds its own).
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
)
WINDOW = {"width": 1280, "height": 800}


def find_chromium() -> str | None:
    """Path of the system's Chromium or Chrome (``make chromium`` installs Debian's), or ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@contextmanager
def open_browser(executable: str | None = None):
    """A page of a headless Chromium (1280x800), driven by Playwright; closed on exit.

    The system's Chromium is used (``executable_path``): Playwright's own browser download
    (``playwright install``) is never needed.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = executable or find_chromium()
    if executable is None:
        raise SlidesError("The PDFs and the deck checks need Chromium: `make chromium` "
                          "(Debian: `apt-get install -y chromium`), or build the HTML only "
                          "with `python -m course_tools.slides --no-pdf`.")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable,
                                                 args=list(CHROMIUM_ARGS))
        except PlaywrightError as exc:
            raise SlidesError(f"Chromium ({executable}) did not start: {exc.message.splitlines()[0]}"
                              ) from exc
        try:
            yield browser.new_page(viewport=WINDOW, device_scale_factor=1)
        finally:
            browser.close()


@contextmanager
def recorded_errors(page):
    """A list that fills with the page's failed loads, HTTP errors, exceptions and console
    errors while the ``with`` block runs."""
    errors: list[str] = []

    def console(message) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} {message.location.get('url', '')}".strip())

    def response(reply) -> None:
        if reply.status >= 400:
            errors.append(f"HTTP {reply.status}: {reply.url}")

    handlers = {
        "console": console,
        "pageerror": lambda exc: errors.append(f"exception: {exc}"),
        "requestfailed": lambda request: errors.append(
            f"failed load: {request.failure} ({request.resource_type}) {request.url}"),
        "response": response,
    }
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        yield errors
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)


def open_deck(page, url: str, timeout: float = 20) -> bool:
    """Go to a deck and wait until reveal.js and MathJax are ready; ``False`` if not."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, wait_until="load")
    try:
        page.wait_for_function("document.body.getAttribute('data-deck-ready') === 'true'",
                               timeout=timeout * 1000)
    except PlaywrightTimeout:
        return False
    page.evaluate("(window.MathJax && MathJax.startup && MathJax.startup.promise) ? "
                  "MathJax.startup.promise.then(() => true) : true")
    return True


_DECK_REPORT_JS = r"""() => {
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
}"""

# What one slide shows, measured in the slide's own (unscaled) pixels: reveal.js scales
# the whole deck to the window, so bounding boxes are divided by Reveal.getScale().
# Content inside a <pre> scrolls there and does not count towards the slide's height.
# A chart's labels on screen: their size in points, times the PNG's pixels per point,
# times the shown width over the PNG's width.
_SLIDE_REPORT_JS = r"""(i) => {
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
  shown.querySelectorAll('aside.notes, mjx-container').forEach(n => n.remove());
  const charts = Array.from(slide.querySelectorAll('img.course-chart')).map(img => ({
    kind: img.dataset.kind,
    width: Math.round(img.getBoundingClientRect().width / scale),
    label_px: parseFloat(img.dataset.minFontPt) * parseFloat(img.dataset.dpi) / 72
      * (img.getBoundingClientRect().width / scale) / (img.naturalWidth || 1),
    unlabelled_axes: parseInt(img.dataset.unlabelledAxes || '0'),
    fractional_ticks: parseInt(img.dataset.fractionalTicks || '0'),
  }));
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
    body_px: parseFloat(getComputedStyle(slide).fontSize),
    charts: charts,
    tables: Array.from(shown.querySelectorAll('table')).map(t => t.innerText.replace(/\s+/g, ' ').trim()),
    code_outputs: Array.from(slide.querySelectorAll('.jp-CodeCell')).filter(c =>
      c.querySelector('.jp-InputArea-editor pre') && Array.from(c.querySelectorAll(
        '.jp-OutputArea-output')).some(o => o.textContent.trim() || o.querySelector('img'))).length,
    figures: slide.querySelectorAll('.jp-OutputArea-output img').length,
    diagrams: slide.querySelectorAll('img.course-chart[data-kind="diagram"]').length,
  };
}"""


def check_deck(page, html: Path, screenshot_dir: Path | None = None,
               n_screenshots: int | None = 3) -> dict:
    """Open a built deck from disk and report what rendered, what failed, and each slide.

    Returns a dict with ``total`` (slides reveal.js counts), ``headings``, ``images``,
    ``broken_images``, ``math`` (rendered formulas), ``raw_markdown`` (lines that look
    like unrendered Markdown), ``errors`` (failed loads, exceptions, console errors),
    ``slides`` (per slide: ``heading``, ``notes`` text, content ``height`` and ``width``
    against the deck's ``limit`` and ``width_limit``, the ``notebooks`` it is tagged
    with, its visible ``text`` without formulas, ``body_px`` (its text's font size), its
    ``tables`` (their text) and ``charts`` (figures shown by
    :func:`course_tools.slide_content.show_figure`: ``kind``, ``width``, ``label_px``,
    ``unlabelled_axes``, ``fractional_ticks``), ``code_outputs`` (code cells shown with
    their output), ``figures`` (images) and ``diagrams`` (concept diagrams)) and
    ``screenshots`` (PNGs of the first
    ``n_screenshots`` slides; ``None``: all).
    """
    with recorded_errors(page) as errors:
        ready = open_deck(page, html.resolve().as_uri())
        report = page.evaluate(_DECK_REPORT_JS)
        report["ready"] = ready and report["ready"]
        report["slides"], report["screenshots"] = [], []
        for i in range(report["total"] if report["ready"] else 0):
            report["slides"].append(page.evaluate(_SLIDE_REPORT_JS, i))
            if screenshot_dir is not None and (n_screenshots is None or i < n_screenshots):
                path = screenshot_dir / f"{html.stem}-{i + 1:02d}.png"
                page.screenshot(path=path)
                report["screenshots"].append(path)
    report["errors"] = errors
    return report


def print_pdf(page, html: Path, pdf: Path) -> Path:
    """Print a deck to PDF with reveal.js's print layout (``?print-pdf``), one slide a page."""
    if not open_deck(page, html.resolve().as_uri() + "?print-pdf"):
        raise SlidesError(f"{html.name} did not finish loading in print mode.")
    page.wait_for_timeout(300)  # reveal.js lays the print pages out after it reports ready
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=pdf, print_background=True, prefer_css_page_size=True)
    return pdf


def write_pdfs(built: list[Path], out_dir: Path = BUILD_DIR) -> list[Path]:
    """Print every built deck to ``out_dir/pdf/<name>.pdf`` with headless Chromium."""
    with open_browser() as page:
        return [print_pdf(page, html, out_dir / PDF_DIR_NAME / f"{html.stem}.pdf")
                for html in built]


def build_all(prefixes: list[str] | None = None, out_dir: Path = BUILD_DIR,
              execute: bool = True, install: bool = True, pdf: bool = True) -> list[Path]:
    """Copy the assets next to the decks, build them (and their PDFs); return the HTML paths."""
    paths = deck_paths(prefixes)
    copy_assets(out_dir, npm_assets(install=install))
    start = time.perf_counter()
    built = build_decks(paths, out_dir, execute=execute)
    if pdf:
        write_pdfs(built, out_dir)
    write_index(out_dir)
    for html in built:
        print(f"  {html.relative_to(ROOT) if html.is_relative_to(ROOT) else html}", flush=True)
    print(f"Built {len(built)} deck(s){' and their PDFs' if pdf else ''} in "
          f"{time.perf_counter() - start:.1f} s.")
    return built


#: What the decks must reach together (issue 30): slides, slides that show code with
#: its output (run while the deck is built), slides with a figure, and slides with a
#: concept diagram drawn by :mod:`course_tools.diagrams`.
DECK_BARS = {"slides": 100, "code slides with output": 30, "figure slides": 20,
             "concept diagram slides": 8}


def deck_counts(reports) -> dict[str, int]:
    """The :data:`DECK_BARS` quantities over checked decks (:func:`check_deck` reports)."""
    every = [slide for report in reports for slide in report["slides"]]
    return {"slides": len(every),
            "code slides with output": sum(s.get("code_outputs", 0) > 0 for s in every),
            "figure slides": sum(s.get("figures", 0) > 0 for s in every),
            "concept diagram slides": sum(s.get("diagrams", 0) > 0 for s in every)}


def bars_missed(counts: dict[str, int], bars: dict[str, int] = DECK_BARS) -> list[str]:
    """One sentence per bar of :data:`DECK_BARS` the counts fall short of."""
    return [f"{what}: {counts.get(what, 0)}, need at least {bar} ({bar - counts.get(what, 0)} "
            f"more)" for what, bar in bars.items() if counts.get(what, 0) < bar]


def report_problems(report: dict) -> list[str]:
    """What is wrong with one checked deck (see :func:`check_deck`)."""
    problems = list(report["errors"])
    if not report["ready"]:
        problems.append("reveal.js did not initialise")
    problems += [f"unrendered Markdown: {line}" for line in report["raw_markdown"]]
    if report["broken_images"]:
        problems.append(f"{report['broken_images']} broken image(s)")
    talk = build_talk()
    shown_tables: dict[str, int] = {}
    for slide in report["slides"]:
        name = f"slide {slide['index'] + 1} ({slide['heading'][:40]!r})"
        problems += [f"{name}: {problem}" for problem in slide_problems(slide, talk)]
        for table in slide.get("tables", []):
            if table in shown_tables:
                problems.append(f"{name}: repeats the table of slide {shown_tables[table]} "
                                f"({table[:60]!r}...)")
            shown_tables.setdefault(table, slide["index"] + 1)
    return problems


def slide_problems(slide: dict, talk: re.Pattern) -> list[str]:
    """What is wrong with one slide of a :func:`check_deck` report."""
    problems = []
    if not slide["notes"]:
        problems.append("no speaker notes")
    if slide["height"] > slide["limit"]:
        problems.append(f"content {slide['height']} px tall, the slide {slide['limit']} px")
    if slide["width"] > slide["width_limit"]:
        problems.append(f"content {slide['width']} px wide, the slide {slide['width_limit']} px")
    noise = NOISE.search(slide["text"])
    if noise:
        problems.append(f"machine-specific or noisy text {noise.group(0)!r}")
    for where in ("text", "notes"):
        problems += [f"{where} speak of how the course was built: {m.group(0)!r}"
                     for m in talk.finditer(slide[where])]
    if NAN.search(slide["text"]):
        problems.append(f"'nan' on the slide: {NAN.search(slide['text']).group(0)!r}")
    missing = missing_glyphs(slide["text"])
    if missing:
        problems.append("no installed font has " + ", ".join(f"{c!r} (U+{ord(c):04X})"
                                                              for c in missing))
    return problems + chart_problems(slide)


def chart_problems(slide: dict) -> list[str]:
    """Charts narrower than the slide, labels under 70% of the body text, histograms
    without axis labels or with fractional score ticks."""
    problems = []
    for chart in slide.get("charts", []):
        what = f"{chart['kind']} chart"
        if chart["width"] < CHART_SPAN * slide["width_limit"]:
            problems.append(f"{what} {chart['width']} px wide on a {slide['width_limit']} px slide")
        if chart["label_px"] < LABEL_SHARE * slide["body_px"]:
            problems.append(f"{what}: labels {chart['label_px']:.1f} px, under "
                            f"{LABEL_SHARE:.0%} of the {slide['body_px']:g} px text")
        if chart["kind"] == "histogram" and chart["unlabelled_axes"]:
            problems.append(f"{what}: {chart['unlabelled_axes']} axes without axis labels")
        if chart["kind"] == "histogram" and chart["fractional_ticks"]:
            problems.append(f"{what}: {chart['fractional_ticks']} ticks that are not whole scores")
    return problems


#: Text that must not appear on a slide: local paths, warnings, progress bars, tracebacks.
NOISE = re.compile(r"site-packages|/home/|/work/|/root/|/usr/|[A-Za-z]+Warning\b|"
                   r"Traceback|\d+it/s|\d+%\|")
#: A missing value printed as text ("nan: ...", "| nan |").
NAN = re.compile(r"(?<![\w.])(nan|NaN)(?![\w(])")
#: Charts span at least this share of the slide's width, with labels at least this share
#: of the body text's size.
CHART_SPAN, LABEL_SHARE = 0.9, 0.7
#: Words about how the course was built, not what it teaches; with them, the row ids of
#: the results tables (:func:`build_talk`).
BUILD_WORDS = (
    r"\bmake (course|results|slides|test|setup|sync|exercises|chromium)\b", r"course_tools",
    r"notebook_times", r"the guard's author", r"\bby helpers\b", r"\bhelpers'", r"\bhelpers who\b",
    r"\bcoordinator\b", r"\bthe (course's|repository's) (author|authors|source text)\b",
    r"\bslides (are|were) built\b",
    # where numbers and plans are stored, and how they were produced or checked
    r"\bresults/", r"\w\.csv\b", r"\bresults tables?\b", r"instructor_guide", r"course_utils/\w+\.py",
    r"\bnot rerun\b", r"\bnot typed\b", r"\btyped (in )?by hand\b",
    r"\bnot measured (here|on this machine)\b", r"\bthe slide was drawn\b",
)


def build_talk(results_dir: Path = ROOT / "results") -> re.Pattern:
    """A pattern of :data:`BUILD_WORDS` and every row id of the results tables
    (``id`` and ``table`` columns that hold an ``_``): words a slide should not say."""
    import csv

    ids = set()
    for path in sorted(results_dir.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                ids.update(v for k in ("id", "table") if "_" in (v := row.get(k) or ""))
    words = list(BUILD_WORDS) + [rf"\b{re.escape(i)}\b" for i in sorted(ids, key=len, reverse=True)]
    return re.compile("|".join(words), flags=re.IGNORECASE)


def font_coverage() -> set[int]:
    """Every code point some installed font has, as fontconfig (which Chromium uses) says."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise SlidesError("Checking that every character renders needs fontconfig's `fc-list` "
                          "(Debian: `apt-get install -y fontconfig`, which Chromium depends on).")
    out = subprocess.run([fc_list, "--format", "%{charset}\n"], capture_output=True, text=True,
                         check=True).stdout
    points: set[int] = set()
    for span in out.split():
        low, _, high = span.partition("-")
        points.update(range(int(low, 16), int(high or low, 16) + 1))
    return points


_COVERAGE: set[int] = set()


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` that no installed font has (they print as empty boxes)."""
    if not _COVERAGE:
        _COVERAGE.update(font_coverage())
    return sorted({c for c in text if not c.isspace() and c.isprintable()
                   and ord(c) not in _COVERAGE and not 0xFE00 <= ord(c) <= 0xFE0F})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only decks whose name starts so")
    parser.add_argument("--out", type=Path, default=BUILD_DIR, help="output folder")
    parser.add_argument("--no-execute", action="store_true", help="do not run the decks' code")
    parser.add_argument("--no-pdf", action="store_true", help="HTML only, no PDFs")
    parser.add_argument("--check", action="store_true",
                        help="open each deck in headless Chromium, report problems, save "
                             "screenshots of the first slides under <out>/screenshots/")
    args = parser.parse_args(argv)
    try:
        built = build_all(args.prefixes, args.out, execute=not args.no_execute,
                          pdf=not args.no_pdf)
    except (SlidesError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(built)} deck(s) in {args.out}; open {args.out / 'index.html'} in a browser.")
    if not args.check:
        return 0
    failed, reports = 0, []
    with open_browser() as page:
        for html in built:
            report = check_deck(page, html, args.out / "screenshots")
            reports.append(report)
            problems = report_problems(report)
            failed += bool(problems)
            counts = deck_counts([report])
            print(f"  {html.name}: {report['total']} slides, {report['images']} figures, "
                  f"{report['math']} formulas, {counts['code slides with output']} code "
                  f"slides, {counts['concept diagram slides']} diagrams; "
                  f"{len(problems)} problem(s)")
            for problem in problems[:10]:
                print(f"    {problem}")
    counts = deck_counts(reports)
    print("  together: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    for missed in bars_missed(counts) if len(built) == len(deck_paths()) else []:
        print(f"    short of the day's bar: {missed}")
    print(f"Screenshots in {args.out / 'screenshots'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

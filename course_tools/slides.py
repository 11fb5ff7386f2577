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
internet. Headless Chromium (:mod:`course_tools.chromium`) prints each deck with
reveal.js's print layout to ``build/slides/pdf/NN_name.pdf``.

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
from pathlib import Path

from course_tools import chromium
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


def write_pdfs(built: list[Path], out_dir: Path = BUILD_DIR) -> list[Path]:
    """Print every built deck to ``out_dir/pdf/<name>.pdf`` with headless Chromium."""
    if chromium.find_chromium() is None:
        raise SlidesError("The PDFs need Chromium: `make chromium` (Debian: `apt-get install -y "
                          "chromium`), or build the HTML only with "
                          "`python -m course_tools.slides --no-pdf`.")
    pdfs = []
    with chromium.Chromium() as browser:
        for html in built:
            pdfs.append(chromium.print_pdf(browser, html, out_dir / PDF_DIR_NAME / f"{html.stem}.pdf"))
    return pdfs


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


def report_problems(report: dict) -> list[str]:
    """What is wrong with one checked deck (see :func:`course_tools.chromium.check_deck`)."""
    problems = list(report["errors"])
    if not report["ready"]:
        problems.append("reveal.js did not initialise")
    problems += [f"unrendered Markdown: {line}" for line in report["raw_markdown"]]
    if report["broken_images"]:
        problems.append(f"{report['broken_images']} broken image(s)")
    for slide in report["slides"]:
        name = f"slide {slide['index'] + 1} ({slide['heading'][:40]!r})"
        if not slide["notes"]:
            problems.append(f"{name}: no speaker notes")
        if slide["height"] > slide["limit"]:
            problems.append(f"{name}: content {slide['height']} px tall, the slide {slide['limit']} px")
        if slide["width"] > slide["width_limit"]:
            problems.append(f"{name}: content {slide['width']} px wide, the slide "
                            f"{slide['width_limit']} px")
        noise = NOISE.search(slide["text"])
        if noise:
            problems.append(f"{name}: machine-specific or noisy text {noise.group(0)!r}")
    return problems


#: Text that must not appear on a slide: local paths, warnings, progress bars, tracebacks.
NOISE = re.compile(r"site-packages|/home/|/work/|/root/|/usr/|[A-Za-z]+Warning\b|"
                   r"Traceback|\d+it/s|\d+%\|")


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
    except (SlidesError, chromium.BrowserError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(built)} deck(s) in {args.out}; open {args.out / 'index.html'} in a browser.")
    if not args.check:
        return 0
    failed = 0
    with chromium.Chromium() as browser:
        for html in built:
            report = chromium.check_deck(browser, html, args.out / "screenshots")
            problems = report_problems(report)
            failed += bool(problems)
            print(f"  {html.name}: {report['total']} slides, {report['images']} figures, "
                  f"{report['math']} formulas; {len(problems)} problem(s)")
            for problem in problems[:10]:
                print(f"    {problem}")
    print(f"Screenshots in {args.out / 'screenshots'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

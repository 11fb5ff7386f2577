"""The slide decks: built offline, opened in headless Chromium, screenshots saved.

The browser test builds every deck in ``slides/`` into ``build/slides/`` (as
``make slides`` does), opens each from disk (file://) in Debian's Chromium over the
DevTools protocol, and checks that reveal.js counted its slides, that nothing failed
to load (no CDN, no missing file), that no Markdown is left unrendered and that the
figures drawn by code are there. Screenshots of the first slides of each deck go to
``build/slides/screenshots/`` for a person to look at.

Chromium comes from ``make chromium`` (run by ``make test``); without it the browser
tests are skipped on a laptop and fail in CI (``CI`` set).
"""

from __future__ import annotations

import os
import re

import pytest

from course_tools import slides

SECTIONS = ("python", "machine_learning", "essay_scoring", "fine_tuning", "generative",
            "short_answers")


def test_one_deck_per_course_section():
    names = [p.stem for p in slides.deck_paths()]
    for section in SECTIONS:
        assert any(n.endswith(section) for n in names), f"no deck for {section}: {names}"


def test_deck_sources_are_jupytext_with_slide_metadata():
    for path in slides.deck_paths():
        nb = slides.read_deck(path)
        kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
        assert kinds[0] == "slide", f"{path.name}: the first cell must start a slide"
        assert kinds.count("slide") >= 4, f"{path.name}: fewer than 4 slides"
        assert slides.deck_title(nb, path).startswith("AI Scoring in Python")


def test_deck_prefix_filter_and_bad_prefix():
    assert [p.stem for p in slides.deck_paths(["03"])] == ["03_essay_scoring"]
    with pytest.raises(ValueError, match="No deck matches"):
        slides.deck_paths(["99"])


def test_results_table_missing_and_bad_names(tmp_path, monkeypatch):
    monkeypatch.setattr(slides, "RESULTS_DIR", tmp_path)
    assert slides.results_table("asap7") is None
    for bad in ("", "../asap7", "asap7.csv"):
        with pytest.raises(ValueError, match="results table name"):
            slides.results_table(bad)


def test_show_results_reads_the_table_not_typed_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(slides, "RESULTS_DIR", tmp_path)
    (tmp_path / "asap7.csv").write_text(
        "id,section,label,qwk_mean,qwk_ci_low,qwk_ci_high\n"
        "human,Reference,Rater 2,0.7300,0.68,0.77\n"
        "tfidf,Classical (original workshop),TF-IDF,0.6123,0.55,0.66\n"
        "bert,Fine-tuning,BERT,0.8,0.75,0.84\n"
    )
    shown = slides.select_results("asap7", sections=["reference", "classical"])
    assert list(shown["method"]) == ["Rater 2", "TF-IDF"]
    assert list(shown["QWK"]) == [0.73, 0.6123]
    assert slides.select_results("asap7", sections=["lora"]) is None  # "not measured yet"
    assert slides.select_results("beetle") is None
    assert slides.select_results("asap7", where={"id": "bert"})["QWK"].tolist() == [0.8]
    with pytest.raises(ValueError, match="no column 'table'"):
        slides.select_results("asap7", where={"table": "scores"})
    shown_objects = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: shown_objects.extend(objs))
    slides.show_results("asap7", sections=["lora"])
    slides.plot_results("asap7", sections=["lora"])
    notes = [getattr(o, "data", "") for o in shown_objects]
    assert len(notes) == 2 and all(n.startswith("*Not measured yet") for n in notes)
    shown_objects.clear()
    slides.show_results("asap7")
    html = shown_objects[0].to_html()
    assert "0.612" in html and "TF-IDF" in html and "BERT" in html


def test_show_notebooks_lists_what_exists(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: shown.extend(objs))
    slides.show_notebooks([1, 99])
    text = shown[0].data
    assert "`01_python_basics.ipynb`" in text and "exercises)" in text
    assert "**99**: *not written yet*" in text


def test_show_source_shows_the_code_without_its_docstring(monkeypatch):
    from course_utils.cutoffs import mu

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: shown.extend(objs))
    slides.show_source(mu)
    text = shown[0].data
    assert text.startswith("```python\ndef mu(") and "course_utils.cutoffs.mu" in text
    assert mu.__doc__.strip().splitlines()[0] not in text


def test_missing_npm_assets_give_a_clear_error(tmp_path):
    with pytest.raises(slides.SlidesError, match="npm install"):
        slides.npm_assets(tmp_path, install=False)


# --------------------------------------------------------------------------------------
# Build every deck and open it in headless Chromium
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reports():
    if slides.find_chromium() is None:
        message = "Chromium is not installed: run `make chromium` (apt-get install chromium)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    built = slides.build_all()
    shots = slides.BUILD_DIR / "screenshots"
    for old in shots.glob("*.png"):
        old.unlink()
    with slides.Chromium() as browser:
        return {html.stem: slides.check_deck(browser, html, shots) for html in built}


def _deck_ids():
    return [p.stem for p in slides.deck_paths()]


@pytest.mark.slow
@pytest.mark.parametrize("deck", _deck_ids())
def test_deck_renders_offline_in_chromium(reports, deck):
    report = reports[deck]
    assert report["ready"], f"{deck}: reveal.js did not initialise"
    n_slides = sum(c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
                   for c in slides.read_deck(slides.SLIDES_DIR / f"{deck}.py").cells)
    assert report["total"] == n_slides, f"{deck}: reveal.js counts {report['total']} slides"
    assert report["errors"] == [], f"{deck}: {report['errors']}"
    assert report["raw_markdown"] == [], f"{deck}: unrendered Markdown {report['raw_markdown']}"
    assert report["broken_images"] == 0
    assert report["headings"][0].startswith("AI Scoring in Python")


@pytest.mark.slow
def test_checker_catches_missing_files_and_raw_markdown(reports, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<html><head><link rel="stylesheet" href="missing.css"></head><body>'
        '<div class="reveal"><div class="slides"><section>'
        '<div class="jp-RenderedMarkdown"><p>## Not rendered</p></div></section></div></div>'
        '<script src="reveal.js/dist/reveal.js"></script></body></html>'
    )
    with slides.Chromium() as browser:
        report = slides.check_deck(browser, page, tmp_path, n_screenshots=1)
    assert not report["ready"]
    assert len(report["errors"]) >= 2  # the stylesheet and the script
    assert report["raw_markdown"] == ["## Not rendered"]


@pytest.mark.slow
def test_index_links_every_deck(reports):
    index = slides.BUILD_DIR / "index.html"
    links = re.findall(r'href="([^"]+)"', index.read_text(encoding="utf-8"))
    assert sorted(links) == sorted(f"{deck}.html" for deck in reports)
    assert all((slides.BUILD_DIR / link).is_file() for link in links)


@pytest.mark.slow
def test_figures_and_formulas_are_rendered(reports):
    assert reports["02_machine_learning"]["images"] >= 2  # matplotlib figures, drawn by code
    assert reports["03_essay_scoring"]["math"] >= 1  # MathJax from the local copy
    if os.environ.get("COURSE_DATA_DIR"):
        for deck in ("03_essay_scoring", "04_fine_tuning", "06_short_answers"):
            assert reports[deck]["images"] >= 1, f"{deck}: no figure"


@pytest.mark.slow
def test_html_loads_nothing_from_the_network(reports):
    for deck in reports:
        html = (slides.BUILD_DIR / f"{deck}.html").read_text(encoding="utf-8")
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not re.match(r"^(https?:)?//", url), f"{deck} loads {url}"


@pytest.mark.slow
def test_screenshots_show_rendered_slides(reports):
    from PIL import Image, ImageStat

    for deck, report in reports.items():
        assert len(report["screenshots"]) >= 2, deck
        for path in report["screenshots"]:
            image = Image.open(path).convert("L")
            assert image.size == (1280, 800)
            dark = sum(image.histogram()[:128]) / (image.size[0] * image.size[1])
            assert 0.003 < dark < 0.6, f"{path.name}: blank or black ({dark:.1%} dark pixels)"
            assert ImageStat.Stat(image).stddev[0] > 10, f"{path.name} looks blank"

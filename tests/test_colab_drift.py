"""course_tools.colab_drift on two hand-made freezes (tests/fixtures/colab_drift/), and its
fetch from a file:// address and a loopback server: never the network."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest

from course_tools import colab_drift

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "colab_drift"
OLD, NEW = FIXTURES / "old.txt", FIXTURES / "new.txt"


@pytest.fixture
def requirements(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("numpy>=1.26  # a comment\npeft>=0.13\nscikit-learn>=1.4\ntransformers>=4.56\n")
    return path


def test_diff_names_added_removed_and_changed_packages(requirements):
    used = colab_drift.course_packages([requirements])
    drift = colab_drift.diff(colab_drift.read_freeze(OLD), colab_drift.read_freeze(NEW), used)
    assert drift.changed == {"jinja2": ("3.1.4", "3.1.6"), "numpy": ("2.0.2", "2.1.3"),
                             "torch": ("2.11.0+cu128", "2.12.0+cu128")}
    assert drift.added == {"peft": "0.18.0", "polars": "1.31.0"}
    assert drift.removed == {"textblob": "0.19.0"}
    # scikit-learn only changed its spelling (Scikit_Learn): the same package, the same version
    assert drift.course_changes == ["numpy", "peft", "torch"]  # torch is always the course's


def test_diff_command_flags_the_course_packages(requirements, tmp_path, capsys):
    report = tmp_path / "out" / "drift.md"
    code = colab_drift.main(["diff", str(OLD), str(NEW), "--requirements", str(requirements),
                             "--markdown", str(report)])
    assert code == 1  # a package the course uses would change
    out = capsys.readouterr().out
    assert "3 changed, 2 added, 1 removed; the course uses 3 of them: numpy, peft, torch" in out
    assert "* numpy: 2.0.2 -> 2.1.3" in out and "  jinja2: 3.1.4 -> 3.1.6" in out
    assert "* peft: new, 0.18.0" in out and "  textblob: removed (was 0.19.0)" in out
    table = report.read_text()
    assert "| numpy | **yes** | 2.0.2 | 2.1.3 |" in table and "| polars |  |  | 1.31.0 |" in table
    assert table.index("| torch |") < table.index("| jinja2 |")  # the course's packages first


def test_no_course_package_changed_exits_0(tmp_path, capsys):
    only = tmp_path / "requirements.txt"
    only.write_text("peft>=0.13\ntransformers>=4.56\n")
    old = tmp_path / "old.txt"
    old.write_text(OLD.read_text().replace("numpy==2.0.2", "numpy==2.1.3").replace("torch==2.11.0", "torch==2.12.0"))
    assert colab_drift.main(["diff", str(old), str(NEW), "--requirements", str(only)]) == 1  # peft is new
    old.write_text(old.read_text() + "peft==0.18.0\n")
    assert colab_drift.main(["diff", str(old), str(NEW), "--requirements", str(only)]) == 0
    assert "none of them is a package the course uses" in capsys.readouterr().out
    assert colab_drift.main(["diff", str(NEW), str(NEW), "--requirements", str(only)]) == 0
    assert "0 changed, 0 added, 0 removed" in capsys.readouterr().out


def test_the_course_packages_include_the_real_requirements():
    used = colab_drift.course_packages([ROOT / "requirements.txt"])
    assert {"torch", "transformers", "sentence-transformers", "ipykernel", "huggingface-hub"} <= used


def test_not_a_freeze_is_a_clear_error(tmp_path, capsys):
    page = tmp_path / "page.txt"
    page.write_text("<!DOCTYPE html>\n<html><body>Not Found</body></html>\n")
    assert colab_drift.main(["diff", str(OLD), str(page)]) == 2
    assert "is not a pip freeze" in capsys.readouterr().err
    assert colab_drift.main(["diff", str(OLD), str(tmp_path / "missing.txt")]) == 2
    assert "No pip freeze at" in capsys.readouterr().err
    with pytest.raises(colab_drift.DriftError, match="not a pip freeze"):
        colab_drift.check_freeze("", "empty")


def test_the_committed_freeze_is_one():
    assert len(colab_drift.read_freeze(ROOT / ".ci" / "colab-pip-freeze.gpu.txt")) > 500


# --- fetch: file:// and loopback only ------------------------------------------------------
def test_fetch_from_a_file_url(tmp_path, capsys):
    out = tmp_path / "fetched" / "pip-freeze.gpu.txt"
    assert colab_drift.main(["fetch", str(out), "--url", NEW.as_uri()]) == 0
    assert out.read_text() == NEW.read_text()
    assert "Fetched 8 packages" in capsys.readouterr().out


@pytest.fixture
def server():
    """A loopback HTTP server: /freeze.txt is the new fixture, /page.html an HTML page."""
    pages = {"/freeze.txt": NEW.read_bytes(), "/page.html": b"<html><body>Moved</body></html>\n"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server asks for)
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"Not Found")

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_over_http(server, tmp_path):
    out = tmp_path / "freeze.txt"
    pins = colab_drift.fetch(f"{server}/freeze.txt", out, timeout=10)
    assert pins["numpy"] == "2.1.3" and out.read_text() == NEW.read_text()


def test_fetch_errors_say_what_went_wrong(server, tmp_path):
    out = tmp_path / "freeze.txt"
    with pytest.raises(colab_drift.DriftError, match="HTTP 404"):
        colab_drift.fetch(f"{server}/gone.txt", out, timeout=10)
    with pytest.raises(colab_drift.DriftError, match="is not a pip freeze"):
        colab_drift.fetch(f"{server}/page.html", out, timeout=10)
    assert not out.exists()  # nothing is written unless it is a freeze
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(colab_drift.DriftError, match="Could not fetch .*Check the address"):
        colab_drift.fetch(f"http://127.0.0.1:{port}/freeze.txt", out, timeout=10)
    assert colab_drift.main(["fetch", str(out), "--url", (tmp_path / "none.txt").as_uri()]) == 2

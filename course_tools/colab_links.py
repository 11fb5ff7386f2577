"""The repository's GitHub address, in one place, and a rewriter for an instructor's fork.

The address lives in ``pyproject.toml`` (``[project.urls] Repository``). The Colab
badges of the README, the notebooks' first cells (``pip install git+https://github.com/...``)
and a few docs repeat it, because Colab and GitHub need plain text there.
``make colab-links REPO=owner/name`` (``python -m course_tools.colab_links owner/name``)
rewrites every copy, the .py and .ipynb halves of each notebook alike (the same text
substitution, so the jupytext pairs stay in sync: tests/test_repository.py checks that); ``tests/test_colab.py`` checks that every
copy agrees with ``pyproject.toml``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_URL_LINE = re.compile(r'^Repository\s*=\s*"https://github\.com/([^"/]+/[^"/]+)"\s*$', re.M)
_END = r"""(?=[/\\"'\s)\]]|\.git|$)"""  # where an owner/name ends, also inside .ipynb JSON (\")
# Files that repeat the address: the notebooks (both halves of each pair) and the docs.
PATTERNS = ("README.md", "CONTRIBUTING.md", "docs/*.md", "notebooks/*.py", "notebooks/*.ipynb",
            "slides/*.py", "course_utils/*.py")


def repo_slug(root: Path = ROOT) -> str:
    """``owner/name`` of the course repository, from ``pyproject.toml``'s ``[project.urls]``."""
    match = _URL_LINE.search((root / "pyproject.toml").read_text())
    if not match:
        raise ValueError('pyproject.toml lacks [project.urls] Repository = "https://github.com/owner/name".')
    return match.group(1)


def files_with_links(root: Path = ROOT) -> list[Path]:
    """Every file that may hold a copy of the address."""
    return sorted({p for pattern in PATTERNS for p in root.glob(pattern) if p.is_file()})


def github_slugs(text: str) -> set[str]:
    """Every ``owner/name`` that a GitHub, Colab or raw-content link in ``text`` points to."""
    hosts = r"(?:github\.com|colab\.research\.google\.com/github|raw\.githubusercontent\.com)"
    return set(re.findall(hosts + r"/([A-Za-z0-9-]+/[A-Za-z0-9._-]+?)" + _END, text))


def rewrite(new: str, root: Path = ROOT) -> list[Path]:
    """Point every copy of the address at ``new`` (``owner/name``); returns the files changed."""
    if not SLUG.match(new or ""):
        raise ValueError(f"REPO must look like owner/name (a GitHub repository), got {new!r}.")
    old = repo_slug(root)
    changed = []
    for path in [root / "pyproject.toml", *files_with_links(root)]:
        text = path.read_text()
        updated = re.sub(r"""(?<=[/"'])""" + re.escape(old) + _END, new, text, flags=re.M)
        if updated != text:
            path.write_text(updated)
            changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m course_tools.colab_links owner/name   (or: make colab-links REPO=owner/name)",
              file=sys.stderr)
        return 2
    try:
        changed = rewrite(argv[0])
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    print(f"Links now point to github.com/{argv[0]}: {len(changed)} files changed.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

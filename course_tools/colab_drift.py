"""Has Google Colab's image moved away from the package list the course was tested against?

Colab publishes its preinstalled packages as a ``pip freeze`` (googlecolab/backend-info,
``pip-freeze.gpu.txt`` on its main branch); the course pins ``make test-colab`` to a copy,
``.ci/colab-pip-freeze.gpu.txt``. The weekly workflow ``.github/workflows/colab-drift.yml``
fetches the newest list, compares it with that copy and runs ``make test-colab`` against it::

    python -m course_tools.colab_drift fetch OUT [--url URL]
    python -m course_tools.colab_drift diff OLD NEW [--requirements FILE ...] [--markdown OUT]

``diff`` names every added, removed and changed package and flags those the course uses
(the package's requirements, torch and the kernel packages of ``colab_env``). Exit codes:
0 when no package the course uses changed, 1 when one did, 2 for an error (an unreachable
address, a file that is not a pip freeze). Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from course_tools.colab_env import KERNEL_PACKAGES, canonical, parse_freeze, requirement_names

ROOT = Path(__file__).resolve().parent.parent
COLAB_FREEZE_URL = "https://raw.githubusercontent.com/googlecolab/backend-info/main/pip-freeze.gpu.txt"
COMMITTED = ROOT / ".ci" / "colab-pip-freeze.gpu.txt"
# A pip freeze line: `name==version` or `name @ url` (comments and blank lines aside).
_FREEZE_LINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*(==\s*\S+|@\s*\S+)$")
# What the course uses beyond its requirements files: torch (installed first) and the
# packages Colab's kernel brings that the notebooks rely on.
ALWAYS_USED = ("torch", *KERNEL_PACKAGES)


class DriftError(RuntimeError):
    """The freeze could not be fetched or read; the message says what to fix."""


def check_freeze(text: str, source: str) -> dict[str, str]:
    """``{name: version}`` of a pip freeze, or :class:`DriftError` when ``text`` is not one."""
    lines = [line.strip() for line in text.splitlines()]
    content = [line for line in lines if line and not line.startswith("#")]
    bad = [line for line in content if not _FREEZE_LINE.match(line)]
    pins = parse_freeze(text)
    if not pins or len(bad) > len(content) // 10:
        first = (bad or content or ["(empty)"])[0][:80]
        raise DriftError(f"{source} is not a pip freeze (one `name==version` a line): "
                         f"{len(bad)} of {len(content)} lines are not, e.g. {first!r}.")
    return pins


def fetch(url: str, out: Path, timeout: float = 60.0) -> dict[str, str]:
    """Download the freeze at ``url`` (http(s) or file://) to ``out``; returns its pins."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        raise DriftError(f"Could not fetch {url}: HTTP {exc.code} {exc.reason}. Is the address "
                         f"right? Colab's list is at {COLAB_FREEZE_URL}.") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DriftError(f"Could not fetch {url}: {reason}. Check the address and the network "
                         "(a machine without internet access cannot run this step).") from exc
    pins = check_freeze(text, url)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(text)
    partial.replace(out)
    return pins


def course_packages(requirements: list[Path]) -> set[str]:
    """Canonical names of what the course uses in Colab: its requirements, torch, the kernel's."""
    names = {canonical(n) for n in ALWAYS_USED}
    for path in requirements:
        if not path.is_file():
            raise DriftError(f"No requirements file at {path}.")
        names.update(requirement_names(path.read_text()))
    return names


@dataclass
class Drift:
    """What changed between two freezes; ``used`` flags the packages the course uses."""

    added: dict[str, str] = field(default_factory=dict)  # name -> new version
    removed: dict[str, str] = field(default_factory=dict)  # name -> old version
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (old, new)
    used: set[str] = field(default_factory=set)

    @property
    def course_changes(self) -> list[str]:
        """Sorted names of the packages the course uses that were added, removed or changed."""
        return sorted(n for n in (*self.added, *self.removed, *self.changed) if n in self.used)

    def lines(self) -> list[str]:
        """One line per change, ``*`` before the packages the course uses."""
        def mark(name: str) -> str:
            return f"* {name}" if name in self.used else f"  {name}"

        return ([f"{mark(n)}: {old} -> {new}" for n, (old, new) in sorted(self.changed.items())]
                + [f"{mark(n)}: new, {v}" for n, v in sorted(self.added.items())]
                + [f"{mark(n)}: removed (was {v})" for n, v in sorted(self.removed.items())])

    def summary(self) -> str:
        used = self.course_changes
        return (f"{len(self.changed)} changed, {len(self.added)} added, {len(self.removed)} removed; "
                + (f"the course uses {len(used)} of them: {', '.join(used)}" if used
                   else "none of them is a package the course uses"))

    def markdown(self, old: str, new: str) -> str:
        """A Markdown section for the drift issue: the summary, then a table of the changes."""
        rows = [(n, o, v) for n, (o, v) in self.changed.items()] + \
               [(n, "", v) for n, v in self.added.items()] + [(n, v, "(removed)") for n, v in self.removed.items()]
        rows.sort(key=lambda r: (r[0] not in self.used, r[0]))
        table = ["| package | course uses it | before | now |", "|---|---|---|---|"]
        table += [f"| {n} | {'**yes**' if n in self.used else ''} | {o} | {v} |" for n, o, v in rows]
        return "\n".join([f"Colab's package list: `{old}` (tested) against `{new}` (newest).", "",
                          self.summary() + ".", "", *(table if rows else ["No package changed."]), ""])


def diff(old: dict[str, str], new: dict[str, str], used: set[str]) -> Drift:
    """Packages added, removed and changed from ``old`` to ``new``; ``used`` marks the course's."""
    return Drift(
        added={n: new[n] for n in sorted(set(new) - set(old))},
        removed={n: old[n] for n in sorted(set(old) - set(new))},
        changed={n: (old[n], new[n]) for n in sorted(set(old) & set(new)) if old[n] != new[n]},
        used=set(used),
    )


def read_freeze(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise DriftError(f"No pip freeze at {path}.")
    return check_freeze(path.read_text(), str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.colab_drift",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("fetch", help="download Colab's newest pip freeze")
    get.add_argument("out", type=Path)
    get.add_argument("--url", default=COLAB_FREEZE_URL)
    compare = commands.add_parser("diff", help="compare two pip freezes")
    compare.add_argument("old", type=Path)
    compare.add_argument("new", type=Path)
    compare.add_argument("--requirements", type=Path, nargs="+", default=[ROOT / "requirements.txt"],
                         help="what the course needs (default: requirements.txt)")
    compare.add_argument("--markdown", type=Path, help="also write the comparison as Markdown here")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            pins = fetch(args.url, args.out)
            print(f"Fetched {len(pins)} packages from {args.url} to {args.out}")
            return 0
        drift = diff(read_freeze(args.old), read_freeze(args.new), course_packages(args.requirements))
    except DriftError as err:
        print(err, file=sys.stderr)
        return 2
    print(f"{args.old} -> {args.new}: {drift.summary()}")
    for line in drift.lines():
        print(line)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(drift.markdown(str(args.old), str(args.new)))
    return 1 if drift.course_changes else 0


if __name__ == "__main__":
    sys.exit(main())

"""Pin a virtual environment to Google Colab's image and check the course installs cleanly.

Used by ``make test-colab`` (see the Makefile); stdlib only, so it runs with the bare
Python of the Colab-pinned venv::

    python -m course_tools.colab_env constraints FREEZE OUT [PIN...]  # Colab's pins, CPU torch for CUDA
    python -m course_tools.colab_env preinstall FREEZE REQ...  # the Colab packages the course needs
    python -m course_tools.colab_env planned FREEZE REPORT     # ... and those its install would touch
    python -m course_tools.colab_env check BEFORE AFTER [FREEZE]  # fails if a preinstalled package moved

``FREEZE`` is Colab's own ``pip freeze`` (googlecolab/backend-info, ``pip-freeze.gpu.txt``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Colab's CUDA build of torch and the packages tied to it: the machines here use a CPU
# torch in their place (torch==2.13.0, installed before anything else). Also the
# packaging tools: that torch needs setuptools>=77, Colab pins 75.2 for its own torch.
EXCLUDED = re.compile(r"^(torch|torchvision|torchaudio|torchao|torchcodec|torchdata|torchtune|triton|nvidia-.*|cuda-.*"
                      r"|setuptools|pip|wheel)$")
# Preinstalled in Colab and used by the notebooks' kernel, though no requirements file names them.
KERNEL_PACKAGES = ("ipykernel", "ipywidgets", "ipython", "jupyter_client", "huggingface_hub", "tokenizers", "safetensors")


def canonical(name: str) -> str:
    """PEP 503 normalised project name (``Scikit_Learn`` -> ``scikit-learn``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, str]:
    """``{canonical name: version}`` for every ``name==version`` line of a ``pip freeze``.

    Lines installed from a URL (``name @ https://...``) and comments are skipped.
    """
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or "==" not in line or " @ " in line:
            continue
        name, version = line.split("==", 1)
        pins[canonical(name.strip())] = version.strip()
    return pins


def constraints(freeze: dict[str, str], extra: list[str] = ()) -> list[str]:
    """Colab's pins as pip constraint lines, without torch and the CUDA stack, plus ``extra``.

    Pass the CPU torch as ``extra`` (``torch==2.13.0``): without it, a pinned package can
    make pip swap the installed torch for a CUDA build of several GB.
    """
    return [f"{name}=={version}" for name, version in sorted(freeze.items()) if not EXCLUDED.match(name)] + list(extra)


def requirement_names(text: str) -> list[str]:
    """Project names of a requirements file (``numpy>=1.26  # why`` -> ``numpy``)."""
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        names.append(canonical(re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0]))
    return names


def preinstall(freeze: dict[str, str], requirements: list[str]) -> list[str]:
    """``name==version`` of every package the course needs that Colab has preinstalled."""
    wanted = [canonical(n) for n in (*requirements, *KERNEL_PACKAGES)]
    return [f"{n}=={freeze[n]}" for n in dict.fromkeys(wanted) if n in freeze and not EXCLUDED.match(n)]


def planned(freeze: dict[str, str], report: dict) -> list[str]:
    """``name==version`` (Colab's) of every package in a ``pip install --dry-run --report``
    that Colab preinstalls: what the course's install would meet already installed there."""
    names = (canonical(item["metadata"]["name"]) for item in report.get("install", []))
    return [f"{n}=={freeze[n]}" for n in sorted(set(names)) if n in freeze and not EXCLUDED.match(n)]


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One line per package of ``before`` whose version differs (or vanished) in ``after``."""
    out = []
    for name, version in sorted(before.items()):
        if after.get(name) != version:
            out.append(f"{name}: {version} -> {after.get(name, 'uninstalled')}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"constraints", "preinstall", "planned", "check"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = argv[0], [Path(a) for a in argv[1:]]
    missing = [str(p) for p in args[:1] if not p.is_file()]
    if command == "constraints" and missing:
        print(f"No Colab freeze at {missing[0]}: put Colab's pip-freeze.gpu.txt there "
              "(googlecolab/backend-info) or set COLAB_FREEZE.", file=sys.stderr)
        return 2
    if command == "constraints":
        args[1].parent.mkdir(parents=True, exist_ok=True)
        args[1].write_text("\n".join(constraints(parse_freeze(args[0].read_text()), argv[3:])) + "\n")
        return 0
    if command == "preinstall":
        names = [n for req in args[1:] for n in requirement_names(req.read_text())]
        print(" ".join(preinstall(parse_freeze(args[0].read_text()), names)))
        return 0
    if command == "planned":
        import json

        print(" ".join(planned(parse_freeze(args[0].read_text()), json.loads(args[1].read_text()))))
        return 0
    before, after = (parse_freeze(p.read_text()) for p in args[:2])
    moved = changed(before, after)
    if len(args) > 2:  # a package new here but preinstalled in Colab must come at Colab's version
        colab = parse_freeze(args[2].read_text())
        moved += [f"{n}: Colab has {colab[n]}, the install brought {after[n]}" for n in sorted(set(after) - set(before))
                  if n in colab and colab[n] != after[n] and not EXCLUDED.match(n)]
    if moved:
        print("Installing the course changed packages that Colab preinstalls (a learner would "
              "need to restart the runtime):\n  " + "\n  ".join(moved), file=sys.stderr)
        return 1
    added = sorted(set(after) - set(before))
    print(f"Colab check: {len(before)} preinstalled packages unchanged; added {len(added)}: {', '.join(added)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

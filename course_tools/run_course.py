"""Run every notebook headless and print a summary (``make course``).

    python -m course_tools.run_course                 # all notebooks, active profile
    python -m course_tools.run_course 03 04           # only notebooks whose name starts so

Executed copies go to ``build/<profile>/``; the committed notebooks stay clean.
Measured times are merged into ``results/notebook_times.csv`` (one row per notebook
and profile, with the machine), which the README's time estimates come from.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from course_utils.config import device, profile_name

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMES = ROOT / "results" / "notebook_times.csv"


def machine() -> str:
    """A short description of where we run, e.g. ``cpu x86_64, 2 cores``."""
    where = f"{platform.machine()}, {os.cpu_count()} cores"
    if device() == "cuda":
        import torch

        return f"cuda {torch.cuda.get_device_name(0)}, {where}"
    return f"cpu {where}"


def find_notebooks(prefixes: list[str]) -> list[Path]:
    """Course notebooks in order, optionally only those whose name starts with a prefix."""
    paths = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    return paths


def slowest_first(paths: list[Path], profile: str, times: Path | None = None) -> list[Path]:
    """``paths`` ordered by their recorded ``profile`` time (``results/notebook_times.csv``),
    slowest first, notebooks without a time before all others: the order that keeps two
    test workers busy until the end (each takes the next notebook when it is free)."""
    seconds: dict[str, float] = {}
    times = times or TIMES
    if times.is_file():
        with times.open() as f:
            seconds = {r["notebook"]: float(r["seconds"]) for r in csv.DictReader(f) if r["profile"] == profile}
    return sorted(paths, key=lambda p: -seconds.get(p.stem, float("inf")))


#: Figures: the inline backend, so executed copies hold image/png outputs (a global
#: ``MPLBACKEND=Agg``, handy for scripts, would leave them without figures).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Progress bars: plain-text tqdm in headless kernels. A widget bar saved in a file shows
#: only its first frame ("0%"); a text bar shows where it ended. Learners in Colab and
#: JupyterLab keep the widget bars (this line runs only in kernels started here).
TEXT_PROGRESS = "import tqdm.auto, tqdm.std; tqdm.auto.tqdm = tqdm.std.tqdm"


@contextmanager
def kernel_environment():
    """Environment for a headless kernel: inline figures, text progress bars updated
    every few seconds rather than many times a second."""
    wanted = {"MPLBACKEND": INLINE_BACKEND, "TQDM_MININTERVAL": "5"}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_notebook(path: Path, out_dir: Path, timeout: int) -> tuple[str, float, str]:
    """Execute one notebook; return (status, seconds, error summary)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=[f"--IPKernelApp.exec_lines={TEXT_PROGRESS}"],
    )
    start = time.perf_counter()
    status, error = "ok", ""
    try:
        with kernel_environment():
            client.execute()
    except CellExecutionError as exc:
        status = "FAILED"
        lines = [ln for ln in ANSI.sub("", str(exc)).splitlines() if ln.strip()]
        error = lines[-1][:200] if lines else "cell error"
    except Exception as exc:  # kernel died, timeout, ...
        status = "FAILED"
        error = f"{type(exc).__name__}: {exc}"[:200]
    seconds = time.perf_counter() - start
    if status == "ok" and figure_problems(nb):
        status, error = "FAILED", "; ".join(figure_problems(nb))[:200]
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return status, seconds, error


PLOT_CALLS = ("plt.", ".plot(", "Display.from_", "plots.")
#: Terminal colour codes of IPython tracebacks, dropped from the one-line error summary.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def figure_problems(nb) -> list[str]:
    """Cells of an executed notebook that plot but hold no image, or print ``<Axes ...>``.

    A cell "plots" when its code calls matplotlib (``plt.``, ``.plot(``, a scikit-learn
    ``...Display.from_...`` or ``course_utils.plots``). Solution cells skipped on "Run
    all" (their output says "skipped") are not counted.
    """
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not any(c in cell.source for c in PLOT_CALLS):
            continue
        kinds = {key for out in cell.get("outputs", []) for key in out.get("data", {})}
        texts = "".join(str(out.get("data", {}).get("text/plain", "")) + str(out.get("text", ""))
                        for out in cell.get("outputs", []))
        if "skipped" in texts and "image/png" not in kinds:
            continue
        if "image/png" not in kinds:
            problems.append(f"cell {i}: plots but holds no image")
        if "<Axes" in texts or "<matplotlib." in texts or "<Legend" in texts:
            problems.append(f"cell {i}: prints a matplotlib object (end the cell with plt.show())")
    return problems


def record_times(rows: list[dict], profile: str, path: Path | None = None) -> None:
    """Merge this run's times into ``path`` (``results/notebook_times.csv``).

    Rows of other notebooks or other profiles are kept; this profile's rows of the
    notebooks that ran are replaced.
    """
    path = path or TIMES
    existing: list[dict] = []
    if path.is_file():
        with path.open() as f:
            existing = list(csv.DictReader(f))
    ran = {r["notebook"] for r in rows}
    keep = [r for r in existing if not (r["profile"] == profile and r["notebook"] in ran)]
    merged = sorted(keep + rows, key=lambda r: (r["profile"], r["notebook"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["notebook", "profile", "status", "seconds", "machine"])
        writer.writeheader()
        writer.writerows(merged)


def run_all(paths: list[Path], out_dir: Path, timeout: int, profile: str, where: str) -> list[dict]:
    """Execute ``paths`` in order into ``out_dir``; one row per notebook (the CSV's columns)."""
    rows = []
    for path in paths:
        print(f"  running {path.name} ...", flush=True)
        status, seconds, error = run_notebook(path, out_dir, timeout)
        rows.append({"notebook": path.stem, "profile": profile, "status": status,
                     "seconds": f"{seconds:.1f}", "machine": where})
        if error:
            print(f"    {error}")
    return rows


def summary(rows: list[dict]) -> list[str]:
    """The summary table's lines: one per notebook (status, seconds), then the total."""
    width = max(len(r["notebook"]) for r in [*rows, {"notebook": "total"}])
    lines = [f"{'notebook':<{width}}  status  seconds"]
    lines += [f"{r['notebook']:<{width}}  {r['status']:<6}  {float(r['seconds']):7.1f}" for r in rows]
    total = sum(float(r["seconds"]) for r in rows)
    ok = sum(r["status"] == "ok" for r in rows)
    lines.append(f"{'total':<{width}}  {ok}/{len(rows)} ok  {total:7.1f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks starting with these")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--no-record", action="store_true", help="do not update notebook_times.csv")
    parser.add_argument("--note", default="", help="added to the machine column, e.g. "
                        "'shared with other jobs: times inflated'")
    parser.add_argument("--list-slowest-first", metavar="PROFILE",
                        help="print the notebooks' paths, slowest first by PROFILE's recorded times, and exit")
    args = parser.parse_args(argv)

    if args.list_slowest_first:
        paths = slowest_first(find_notebooks(args.prefixes), args.list_slowest_first)
        print("\n".join(str(p.relative_to(ROOT)) for p in paths))
        return 0
    name, why = profile_name()
    os.environ["COURSE_PROFILE"] = name  # the kernels inherit it
    where = machine() + (f" ({args.note})" if args.note else "")
    print(f"Profile: {name} ({why}) | device: {where}")
    print(f"Data: {os.environ.get('COURSE_DATA_DIR') or 'Hugging Face Hub'}")
    paths = find_notebooks(args.prefixes)
    if not paths:
        print("No notebooks matched.", file=sys.stderr)
        return 2
    out_dir = ROOT / "build" / name
    rows = run_all(paths, out_dir, args.timeout, name, where)
    print(f"\nSummary ({name} profile, {where}); executed copies in {out_dir.relative_to(ROOT)}/")
    print("\n".join(summary(rows)))
    if not args.no_record:
        record_times(rows, name)
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""What a default install of digest costs: pip install time, disk, and each dependency's size and import time.

    python benchmarks/install_footprint.py                 # build the wheel, install it into a fresh venv
    python benchmarks/install_footprint.py --venv DIR      # measure an environment installed before

Builds the wheel (``python -m build``), creates a virtualenv, times ``pip install`` of the wheel with its
dependencies from the package index (a warm pip cache makes this faster than a first install), then
reports ``du`` of site-packages, each distribution's installed size with who requires it, and the import
time of each module a default run loads (the best of three fresh interpreters). pip and setuptools, which
the venv brings whatever is installed, are listed but left out of the total. The last line is
``key=value`` figures.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import re
import subprocess
import sys
import tempfile
import time
import venv
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What a venv holds before anything is installed into it.
BUNDLED = {"pip", "setuptools"}
# The modules a default `digest run` imports, each in its own fresh interpreter.
MODULES = (
    "numpy",
    "scipy.sparse",
    "sklearn.feature_extraction.text",
    "babel.dates",
    "dateparser",
    "tokenizers",
    "safetensors.numpy",
    "rich.progress",
    "httpx",
    "feedparser",
    "jinja2",
    "selectolax.lexbor",
    "sentencex",
    "py3langid",
    "css_inline",
    "nh3",
    "markdown",
    "yaml",
    "digest.cli",
    "digest.pipeline",
)


def _python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def build_and_install(env: Path) -> float:
    """Build the wheel, create ``env``, install the wheel with its dependencies; the install's seconds."""
    dist = env.parent / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, ROOT], check=True, capture_output=True)
    (wheel,) = dist.glob("*.whl")
    venv.create(env, with_pip=True)
    started = time.perf_counter()
    subprocess.run(
        [_python(env), "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def site_packages(env: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(subprocess.run([_python(env), "-c", code], check=True, capture_output=True, text=True).stdout.strip())


def distributions(site: Path) -> list[tuple[float, str, list[str]]]:
    """(MB installed, name, the distributions that require it) for every distribution in ``site``."""
    required_by: dict[str, list[str]] = defaultdict(list)
    found = list(metadata.distributions(path=[str(site)]))
    for dist in found:
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                name = re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0]
                required_by[_normal(name)].append(dist.metadata["Name"])
    rows = []
    for dist in found:
        size = sum((site / f).stat().st_size for f in dist.files or [] if (site / f).is_file())
        rows.append((size / 1e6, dist.metadata["Name"], sorted(required_by[_normal(dist.metadata["Name"])])))
    return sorted(rows, reverse=True)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def du_mb(path: Path) -> float:
    out = subprocess.run(["du", "-sk", path], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0]) / 1024


def import_seconds(python: Path, module: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-c", f"import {module}"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, help="measure this environment instead of installing a fresh one")
    parser.add_argument("--modules", nargs="*", default=list(MODULES), help="the modules whose import is timed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="digest-footprint-") as tmp:
        env = args.venv or Path(tmp) / "venv"
        install = None if args.venv else build_and_install(env)
        site = site_packages(env)
        rows = distributions(site)
        ours = [row for row in rows if _normal(row[1]) not in BUNDLED]
        print(f"{'MB':>7}  distribution (required by)")
        for size, name, by in rows:
            note = " (the venv's own)" if _normal(name) in BUNDLED else f" ({', '.join(by)})" if by else ""
            print(f"{size:7.1f}  {name}{note}")
        baseline = import_seconds(_python(env), "sys")
        print(f"\nimport time, best of 3 fresh interpreters, less the interpreter's own start ({baseline:.2f} s):")
        for module in args.modules:
            print(f"{import_seconds(_python(env), module) - baseline:7.2f} s  {module}")
        total = sum(size for size, _, _ in ours)
        timed = "" if install is None else f"install_s={install:.1f} "
        print(f"{timed}site_packages_mb={du_mb(site):.0f} distributions={len(ours)} dependencies_mb={total:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build an installable wheel from a folder written by `spacy package --build none`.

    python scripts/build_wheel.py packages/xx_hau_xproj_ner-0.0.1 packages/dist

`spacy package --build wheel` needs the `build` or `wheel` package; this helper uses pip instead:
without build isolation when the running interpreter has setuptools >= 70.1 (which builds wheels by
itself, so it works offline), else with pip's normal isolated build (fetches setuptools from PyPI).
Prints the path of the wheel.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _setuptools_builds_wheels() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    parts = []
    for piece in setuptools.__version__.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts) >= (70, 1)


def main(package_dir: str, dist_dir: str) -> Path:
    pkg, dist = Path(package_dir), Path(dist_dir)
    if not (pkg / "setup.py").exists():
        raise SystemExit(f"error: {pkg} is not a package folder from `spacy package` (no setup.py)")
    dist.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "wheel", str(pkg), "--no-deps", "-w", str(dist), "-q"]
    if _setuptools_builds_wheels():
        cmd.append("--no-build-isolation")
    subprocess.run(cmd, check=True)
    name = pkg.name.rsplit("-", 1)[0]
    wheels = sorted(dist.glob(f"{name}-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise SystemExit(f"error: no wheel for {name} in {dist}")
    print(f"Wheel: {wheels[-1].resolve()}")
    return wheels[-1]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python scripts/build_wheel.py PACKAGE_DIR DIST_DIR")
    main(sys.argv[1], sys.argv[2])

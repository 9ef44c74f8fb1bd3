"""Fetch the project's assets from a local mirror folder, or from the network with weasel.

    python scripts/fetch_assets.py [--extra] [--only PREFIX ...]

Mirror: the environment variable ``XPROJ_ASSETS_MIRROR`` names a folder laid out like the asset
destinations below ``assets/`` (``<mirror>/europarl_ner/en-europarl.test.conll02``,
``<mirror>/masakhaner2/hau/test.txt``, ...): exactly the layout of ``../shared/data``.
- unset: use the data folder of spacy-xproj (``XPROJ_DATA_DIR``, default ``../shared/data``) when it
  exists, else the network;
- a folder: copy from there (a missing file is an error — a mirror is never silently bypassed);
- ``network`` (or ``none``/``0``/empty): always download with ``weasel``'s ``project assets`` logic.

Every copied file is verified against the MD5 ``checksum`` of its asset in ``project.yml`` (weasel's
own checksum function) before it is put in place, atomically; a mismatch stops with an error naming
the file. Files already present with the right checksum are skipped (weasel does the same), so the
step is cheap to re-run. A mirror file ``X.gz`` is decompressed when ``X`` itself is absent (the
shared data keeps large files gzipped). Assets without a URL (CoNLL-2003 English, which cannot be
redistributed) are copied from the mirror when it has them; otherwise a message says where to put
them, and the command fails only if a workflow needs them (``--only``).
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

MIRROR_ENV = "XPROJ_ASSETS_MIRROR"
NETWORK = {"network", "none", "0", ""}


def resolve_mirror() -> Optional[Path]:
    """The mirror folder to use, or None for the network (see the module docstring)."""
    value = os.environ.get(MIRROR_ENV)
    if value is not None:
        if value.strip().lower() in NETWORK:
            return None
        path = Path(value).expanduser()
        if not path.is_dir():
            raise SystemExit(f"error: {MIRROR_ENV}={value!r} is not a folder (unset it or use 'network')")
        return path
    try:
        from spacy_xproj.settings import data_dir

        default = data_dir()
    except ImportError:  # the script does not strictly need the package
        default = Path(os.environ.get("XPROJ_DATA_DIR", "../shared/data"))
    return default if default.is_dir() else None


def _mirror_source(mirror: Path, dest: str) -> Optional[Path]:
    rel = Path(dest)
    if rel.parts and rel.parts[0] == "assets":
        rel = Path(*rel.parts[1:])
    for candidate in (mirror / rel, mirror / (str(rel) + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def copy_verified(src: Path, dest: Path, checksum: Optional[str]) -> None:
    from weasel.util import get_checksum

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name, suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            opener = gzip.open if src.suffix == ".gz" and not dest.name.endswith(".gz") else open
            with opener(src, "rb") as fh:
                shutil.copyfileobj(fh, out)
        if checksum and get_checksum(tmp) != checksum:
            raise SystemExit(
                f"error: checksum mismatch for {src} (expected MD5 {checksum}, got {get_checksum(tmp)}); "
                f"the mirror does not hold the published file"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def fetch(project_dir: Path, extra: bool = False, only: Optional[List[str]] = None) -> int:
    from weasel.cli.assets import check_private_asset, fetch_asset
    from weasel.util import get_checksum, load_project_config

    config = load_project_config(project_dir)
    assets = [a for a in config.get("assets", []) if extra or not a.get("extra", False)]
    if only:
        assets = [a for a in assets if any(a["dest"].startswith(p) for p in only)]
    mirror = resolve_mirror()
    print(f"Fetching {len(assets)} asset(s) from {mirror if mirror else 'the network'}")
    missing = []
    for asset in assets:
        dest = (project_dir / asset["dest"]).resolve()
        checksum = asset.get("checksum")
        if dest.is_file() and (not checksum or get_checksum(dest) == checksum):
            print(f"  ok (present): {asset['dest']}")
            continue
        if mirror is not None:
            src = _mirror_source(mirror, asset["dest"])
            if src is None:
                if asset.get("url"):
                    raise SystemExit(f"error: {asset['dest']} is not in the mirror {mirror}")
                missing.append(asset)
                continue
            copy_verified(src, dest, checksum)
            print(f"  copied: {src} -> {asset['dest']}")
        elif asset.get("url"):
            fetch_asset(project_dir, asset["url"], dest, checksum)
        else:
            check_private_asset(dest, checksum)
            if not dest.exists():
                missing.append(asset)
    for asset in missing:
        print(f"  MISSING (no public URL): {asset['dest']} — {asset.get('description', '')}")
    return 1 if (missing and only) else 0


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Fetch project assets (mirror-aware, checksummed).")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("--extra", action="store_true", help="also fetch assets marked extra")
    parser.add_argument("--only", nargs="*", default=None, help="only assets whose dest starts with one of these")
    args = parser.parse_args(argv)
    sys.exit(fetch(args.project_dir, extra=args.extra, only=args.only))


if __name__ == "__main__":
    main()

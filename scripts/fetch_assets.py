"""Fetch the project's assets from a local mirror folder, or from the network with weasel.

    python scripts/fetch_assets.py [--extra] [--only PREFIX ...] [--vars.NAME VALUE ...]

``project.yml`` names its MasakhaNER 2.0 and MAFAND-MT assets with ``${vars.lang}`` in their paths,
so only the chosen language's files are fetched; pass the same ``--vars.lang X`` overrides as to
``spacy project run``. A MAFAND-MT file is kept under its target language
(``assets/mafand_mt/wol/train.jsonl``) and fetched from its upstream pair (``fr-wol``): the pair's
first language is ``--vars.src_lang``, and ``auto`` (the default) takes the one pair of the language
in the table (en, or fr for bam bbj ewe fon mos wol). ``--vars.parallel_split`` names the MAFAND-MT
split(s) used as parallel text: one split, several joined by ``+`` (``train+dev``), ``all`` (every
split the pair has upstream) or ``auto`` (train, or dev for pairs without train); several splits are
each fetched and checked into ``assets/mafand_mt/<lang>/parts/`` and concatenated, in that order,
into the asset file. Their MD5 sums (and the pinned upstream URLs
of every language) are in ``configs/assets.tsv`` (written by ``scripts/make_asset_table.py``); an
asset that is not in that table (a language or MAFAND pair that does not exist upstream) stops
the run before any work, naming the pairs that do exist.

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
from typing import Dict, List, Optional, Tuple

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


TABLE = Path("configs") / "assets.tsv"
TABLE_PREFIXES = ("assets/masakhaner2/", "assets/mafand_mt/")
AUTO = "auto"  # src_lang: the first language of the MAFAND-MT pair of `lang` (en or fr)
MAFAND = "assets/mafand_mt/"


def mafand_pairs(lang: str, table: Dict[str, Tuple[str, Optional[str]]]) -> List[str]:
    """The first languages of the MAFAND-MT pairs of ``lang`` in the table (``["fr"]`` for wol)."""
    out = set()
    for dest in table:
        if dest.startswith(MAFAND):
            first, _, second = Path(dest).parts[2].partition("-")
            if second == lang:
                out.add(first)
    return sorted(out)


def resolve_src_lang(lang: str, src_lang: str, table: Dict[str, Tuple[str, Optional[str]]]) -> str:
    """``src_lang``, or for ``auto`` the first language of the MAFAND-MT pair of ``lang``
    (every MasakhaNER 2.0 language has exactly one: en, or fr for bam bbj ewe fon mos wol)."""
    if src_lang != AUTO:
        return src_lang
    found = mafand_pairs(lang, table)
    if len(found) == 1:
        return found[0]
    if not found:
        raise SystemExit(
            f"error: src_lang auto: no MAFAND-MT pair has {lang!r} (configs/assets.tsv); "
            "set --vars.src_lang to the source language"
        )
    raise SystemExit(f"error: src_lang auto: MAFAND-MT pairs {lang!r} with {', '.join(found)}; set --vars.src_lang")


ALL = "all"  # parallel_split: every split of the pair
SPLIT_ORDER = ("train", "dev", "test")


def resolve_parallel_split(lang: str, src_lang: str, split: str, table: Dict[str, Tuple[str, Optional[str]]]) -> str:
    """The MAFAND-MT split(s) used as parallel text, ``+``-joined: ``split`` as given, or for
    ``auto`` ``train`` (``dev`` for the pairs without a train split: en-kin, en-nya, en-sna,
    en-xho), or for ``all`` every split the pair has in the table (``train+dev+test``)."""
    if split == AUTO:
        return "train" if f"{MAFAND}{src_lang}-{lang}/train.jsonl" in table else "dev"
    if split == ALL:
        found = [s for s in SPLIT_ORDER if f"{MAFAND}{src_lang}-{lang}/{s}.jsonl" in table]
        if not found:
            raise SystemExit(f"error: parallel_split all: MAFAND-MT has no pair {src_lang}-{lang} (configs/assets.tsv)")
        return "+".join(found)
    parts = split_parts(split)
    if len(set(parts)) != len(parts):
        raise SystemExit(f"error: parallel_split {split!r} names a split twice")
    return split


def split_parts(split: str) -> List[str]:
    """``train+dev`` -> ``["train", "dev"]``; an empty part is an error."""
    parts = [p.strip() for p in split.split("+")]
    if not all(parts):
        raise SystemExit(f"error: parallel_split {split!r}: empty split name (use e.g. train, train+dev or all)")
    return parts


def table_key(dest: str, src_lang: str, split: Optional[str] = None) -> str:
    """The asset table's name of a destination: a MAFAND-MT file is kept under its language
    (``assets/mafand_mt/wol/train.jsonl``) and listed under its upstream pair (``fr-wol``); the file
    named ``auto.jsonl`` (``parallel_split`` auto) is the upstream file of the resolved ``split``.
    For several splits use :func:`part_keys`."""
    parts = Path(dest).parts
    if dest.startswith(MAFAND) and len(parts) == 4 and "-" not in parts[2]:
        name = f"{split}.jsonl" if split and parts[3] in (f"{AUTO}.jsonl", f"{ALL}.jsonl") else parts[3]
        return f"{MAFAND}{src_lang}-{parts[2]}/{name}"
    return dest


def part_keys(dest: str, src_lang: str, split: Optional[str]) -> List[Tuple[str, str]]:
    """``(table key, part destination)`` of each upstream file a MAFAND-MT asset of several splits
    (``train+dev+test``) is made of, in order; an empty list for every other asset."""
    parts = Path(dest).parts
    if not (dest.startswith(MAFAND) and len(parts) == 4 and "-" not in parts[2]):
        return []
    name = Path(parts[3]).stem
    resolved = split if split and name in (AUTO, ALL) else name
    pieces = split_parts(resolved)
    if len(pieces) < 2:
        return []
    lang = parts[2]
    return [(f"{MAFAND}{src_lang}-{lang}/{p}.jsonl", f"{MAFAND}{lang}/parts/{src_lang}-{p}.jsonl") for p in pieces]


def load_table(project_dir: Path) -> Dict[str, Tuple[str, Optional[str]]]:
    """``dest -> (url, md5 or None)`` from configs/assets.tsv (empty when the file is absent)."""
    path = project_dir / TABLE
    table: Dict[str, Tuple[str, Optional[str]]] = {}
    if not path.is_file():
        return table
    for lineno, line in enumerate(path.read_text(encoding="utf8").splitlines(), start=1):
        if lineno == 1 or not line.strip():
            continue
        dest, url, md5 = line.split("\t")
        table[dest] = (url, None if md5 == "-" else md5)
    return table


def check_in_table(dest: str, table: Dict[str, Tuple[str, Optional[str]]]) -> None:
    """Stop with a clear message when a language asset does not exist upstream."""
    if not table or not dest.startswith(TABLE_PREFIXES) or dest in table:
        return
    parts = Path(dest).parts  # assets/<dataset>/<lang or pair>/<split>.<ext>
    dataset, name, split = parts[1], parts[2], Path(parts[3]).stem
    lang = name.split("-")[-1]
    same_lang = sorted({Path(d).parts[2] for d in table if Path(d).parts[1] == dataset and Path(d).parts[2].split("-")[-1] == lang})
    if dataset == "mafand_mt" and same_lang:
        splits = sorted(Path(d).stem for d in table if Path(d).parts[2] in same_lang)
        hint = (
            f"MAFAND-MT has {', '.join(same_lang)} (splits: {', '.join(sorted(set(splits)))}); "
            f"set --vars.src_lang to its first language"
            + ("" if split in splits else f", or --vars.parallel_split to a split that exists")
        )
    elif dataset == "masakhaner2":
        langs = sorted({Path(d).parts[2] for d in table if Path(d).parts[1] == "masakhaner2"})
        hint = f"MasakhaNER 2.0 languages: {' '.join(langs)}"
    else:
        hint = "no MAFAND-MT pair has this language"
    raise SystemExit(f"error: {dest} does not exist upstream ({dataset} {name} {split}). {hint}")


def fetch(
    project_dir: Path, extra: bool = False, only: Optional[List[str]] = None, overrides: Optional[Dict[str, str]] = None
) -> int:
    from weasel.cli.assets import check_private_asset, fetch_asset
    from weasel.util import get_checksum, load_project_config

    overrides = dict(overrides or {})
    config = load_project_config(project_dir, overrides=overrides)
    table = load_table(project_dir)
    # the command-line values: load_project_config substitutes them but leaves config["vars"] as written
    variables = {**config.get("vars", {}), **{k[len("vars."):]: v for k, v in overrides.items() if k.startswith("vars.")}}
    src_lang = str(variables.get("src_lang", ""))
    wanted = [a["dest"] for a in config.get("assets", []) if not only or any(a["dest"].startswith(p) for p in only)]
    if src_lang == AUTO and any(d.startswith(MAFAND) for d in wanted):
        src_lang = resolve_src_lang(str(variables.get("lang")), AUTO, table)
        print(f"src_lang auto: {src_lang} (the MAFAND-MT pair of {variables.get('lang')})")
        overrides["vars.src_lang"] = src_lang  # the upstream URL names the pair
        config = load_project_config(project_dir, overrides=overrides)
    split = str(variables.get("parallel_split", ""))
    if any(d.startswith(MAFAND) for d in wanted):  # explicit values are checked too (no split twice)
        given = split
        split = resolve_parallel_split(str(variables.get("lang")), src_lang, given, table)
        if given in (AUTO, ALL):
            print(f"parallel_split {given}: {split} (kept as assets/mafand_mt/{variables.get('lang')}/{given}.jsonl)")
    assets = [a for a in config.get("assets", []) if extra or not a.get("extra", False)]
    if only:
        assets = [a for a in assets if any(a["dest"].startswith(p) for p in only)]
    # an asset of several MAFAND-MT splits: each split is an asset of its own (checked, cached under
    # parts/), and the asset itself is their concatenation
    composite: Dict[str, List[str]] = {}
    expanded = []
    for asset in assets:
        pieces = part_keys(asset["dest"], src_lang, split)
        if not pieces:
            expanded.append(asset)
            continue
        composite[asset["dest"]] = [part_dest for _, part_dest in pieces]
        for key, part_dest in pieces:
            check_in_table(key, table)
            expanded.append({"dest": part_dest, "source": key, "url": table[key][0], "checksum": table[key][1]})
    assets = expanded
    for asset in assets:
        if "source" in asset:
            continue
        key = table_key(asset["dest"], src_lang, split)
        asset["source"] = key
        check_in_table(key, table)
        if not asset.get("checksum") and key in table:
            asset["checksum"] = table[key][1]
        if key in table and key != asset["dest"]:
            asset["url"] = table[key][0]
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
            src = _mirror_source(mirror, asset["source"])
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
    for dest_name, part_dests in composite.items():
        concatenate([project_dir / p for p in part_dests], project_dir / dest_name)
        print(f"  joined: {' + '.join(part_dests)} -> {dest_name}")
    for asset in missing:
        print(f"  MISSING (no public URL): {asset['dest']} — {asset.get('description', '')}")
    return 1 if (missing and only) else 0


def concatenate(parts: List[Path], dest: Path) -> None:
    """Write the files ``parts`` one after the other into ``dest`` (atomically), with a newline
    between two parts when one does not end with it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name, suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                data = part.read_bytes()
                out.write(data)
                if data and not data.endswith(b"\n"):
                    out.write(b"\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Fetch project assets (mirror-aware, checksummed).")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("--extra", action="store_true", help="also fetch assets marked extra")
    parser.add_argument("--only", nargs="*", default=None, help="only assets whose dest starts with one of these")
    args, rest = parser.parse_known_args(argv)
    overrides: Dict[str, str] = {}
    it = iter(rest)
    for key in it:
        if not key.startswith("--vars."):
            parser.error(f"unknown argument {key!r}")
        name, sep, value = key.partition("=")
        overrides[name[2:]] = value if sep else next(it, "")
    sys.exit(fetch(args.project_dir, extra=args.extra, only=args.only, overrides=overrides))


if __name__ == "__main__":
    main()

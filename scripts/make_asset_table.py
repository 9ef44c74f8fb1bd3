"""Write configs/assets.tsv, the pinned upstream URL and MD5 of every MasakhaNER 2.0 and MAFAND-MT file.

    python scripts/make_asset_table.py UPSTREAM_MANIFEST.tsv [configs/assets.tsv]

The input is the manifest of the spacy-xproj data folder (``upstream_manifest.tsv``: dataset,
language_or_pair, split, repository, commit, path, md5, bytes). The output has one row per asset:
``dest`` (the path below the project), ``url`` (raw GitHub URL at the pinned commit) and ``md5``
(``-`` where the manifest has none). ``project.yml`` lists its assets with ``${vars.lang}`` in
their paths, so only the chosen language's files are fetched; ``scripts/fetch_assets.py`` checks
each file against this table.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

DEST = {
    "masakhaner2": "assets/masakhaner2/{pair}/{split}.txt",
    "mafand_mt": "assets/mafand_mt/{pair}/{split}.jsonl",
}


def main(manifest: str, out: str = "configs/assets.tsv") -> None:
    rows = []
    with open(manifest, encoding="utf8") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            template = DEST.get(rec["dataset"])
            if template is None:
                continue
            dest = template.format(pair=rec["language_or_pair"], split=rec["split"])
            url = f"https://raw.githubusercontent.com/{rec['repository']}/{rec['commit']}/{rec['path']}"
            md5 = rec["md5"] if len(rec["md5"]) == 32 else "-"
            rows.append((dest, url, md5))
    rows.sort()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf8") as fh:
        fh.write("dest\turl\tmd5\n")
        for row in rows:
            fh.write("\t".join(row) + "\n")
    print(f"wrote {out}: {len(rows)} assets")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: python scripts/make_asset_table.py UPSTREAM_MANIFEST.tsv [OUT.tsv]")
    main(*sys.argv[1:])

"""Keep a resumable output only if it was made from the same inputs and settings; else start afresh.

    python scripts/fresh_or_resume.py OUT.jsonl --inputs IN.jsonl --settings "--method candidates ..."

The long `xproj` commands resume an existing output by pair id. Inside a weasel workflow that is
right after an interruption, but wrong when a step re-runs *because* its inputs or settings changed:
the old records would be kept. This helper stores a stamp (`OUT.stamp`: MD5 of every input file plus
the settings string) and deletes OUT when the stamp differs, so a changed step recomputes everything
while an interrupted one resumes. Run it right before the command that writes OUT.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
from typing import List, Optional


def stamp_for(inputs: List[Path], settings: str) -> dict:
    """MD5 of each input: a file's bytes; a folder's file names, sizes and mtimes (model folders);
    for a name that is not on disk (a Hugging Face model id), the name itself."""
    digests = {}
    for path in inputs:
        md5 = hashlib.md5()
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        if not path.exists():
            md5.update(str(path).encode("utf8"))
            files = []
        for file in files:
            if path.is_dir():  # a model folder can be gigabytes: names, sizes and mtimes suffice
                st = file.stat()
                md5.update(f"{file.relative_to(path)}\t{st.st_size}\t{st.st_mtime_ns}\n".encode("utf8"))
                continue
            with open(file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    md5.update(block)
        digests[str(path)] = md5.hexdigest()
    return {"inputs": digests, "settings": settings}


def fresh_or_resume(out: Path, inputs: List[Path], settings: str) -> str:
    """Return "resume", "fresh" or "new" and leave OUT and its stamp in the matching state."""
    stamp_path = out.with_name(out.name + ".stamp")
    wanted = stamp_for(inputs, settings)
    old = None
    if stamp_path.exists():
        try:
            old = json.loads(stamp_path.read_text(encoding="utf8"))
        except json.JSONDecodeError:
            old = None
    if out.exists() and old == wanted:
        state = "resume"
    elif out.exists():
        out.unlink()
        state = "fresh"
    else:
        state = "new"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = stamp_path.with_name(stamp_path.name + ".tmp")
    tmp.write_text(json.dumps(wanted, indent=1) + "\n", encoding="utf8")
    os.replace(tmp, stamp_path)
    return state


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outputs", nargs="+", type=Path)
    parser.add_argument("--inputs", nargs="*", type=Path, default=[])
    parser.add_argument("--settings", default="")
    args = parser.parse_args(argv)
    for out in args.outputs:
        state = fresh_or_resume(out, args.inputs, args.settings)
        message = {"resume": "same inputs and settings: resuming", "fresh": "inputs or settings changed: starting afresh",
                   "new": "new output"}[state]
        print(f"{out}: {message}")


if __name__ == "__main__":
    main()

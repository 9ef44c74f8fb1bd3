"""NMTScore (direct, normalised, symmetric) with tiny local seq2seq models."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import spacy_xproj  # noqa: F401
from spacy_xproj.projection.matching import ProjectionInput
from spacy_xproj.translate.nmtscore import NMTScorer, make_nmtscore, mean_logprobs
from spacy_xproj.types import Alignment, Entity

from tiny_seq2seq import build_all

torch.set_num_threads(1)

A = ["Abuja", "the president", "Muhammadu Buhari"]
B = ["Abuja", "shugaban kasa", "Buhari", "ranar Litinin"]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return build_all(tmp_path_factory.getbasetemp() / "tiny_models")


@pytest.mark.parametrize("kind", ["nllb", "m2m100", "marian"])
def test_identity_and_symmetry(tiny, kind):
    s = make_nmtscore(str(tiny[kind]), "en", "hau", batch_size=3)
    same = s.similarity_matrix(A, A, "en", "en")
    assert np.allclose(np.diag(same), 1.0, atol=1e-6)  # sim(A, A) = 1
    ab = s.similarity_matrix(A, B, "en", "hau")
    ba = s.similarity_matrix(B, A, "hau", "en")
    assert ab.shape == (3, 4) and np.allclose(ab, ba.T, atol=1e-9)  # sim(A,B) = sim(B,A)
    assert (ab > 0).all() and np.isfinite(ab).all()
    assert len(np.unique(np.round(ab, 6))) > 1  # the score depends on the texts


def test_formula_against_explicit_log_probs(tiny):
    s = make_nmtscore(str(tiny["nllb"]), "en", "hau")
    lm = s.lm
    a, b = "the president", "shugaban kasa"

    def p(x, y, lx, ly):  # P(x | y)
        return math.exp(mean_logprobs(lm, [y], [x], ly, lx, 16)[0])

    expected = 0.5 * (p(a, b, "en", "hau") / p(a, a, "en", "en") + p(b, a, "hau", "en") / p(b, b, "hau", "hau"))
    assert s.similarity(a, b, "en", "hau") == pytest.approx(expected, rel=1e-5)


def test_mean_logprob_is_batch_independent_and_uses_the_target(tiny):
    s = make_nmtscore(str(tiny["m2m100"]), "en", "hau")
    lm = s.lm
    srcs = ["the president", "Abuja", "Muhammadu Buhari visited Abuja on Monday"]
    tgts = ["shugaban kasa", "Abuja", "Buhari"]
    together = mean_logprobs(lm, srcs, tgts, "en", "hau", batch_size=3)
    alone = np.array([mean_logprobs(lm, [x], [y], "en", "hau", batch_size=1)[0] for x, y in zip(srcs, tgts)])
    assert np.allclose(together, alone, atol=1e-5)
    assert (together < 0).all()
    other = mean_logprobs(lm, srcs, ["ranar Litinin"] * 3, "en", "hau", batch_size=16)
    assert not np.allclose(together, other)


def test_scorer_on_projection_input_with_threshold_and_cache(tiny, tmp_path):
    cache = tmp_path / "nmt.sqlite"
    s = make_nmtscore(str(tiny["nllb"]), "en", None, threshold=0.1, cache=str(cache))
    inp = ProjectionInput(
        src_words=["President", "Muhammadu", "Buhari", "visited", "Abuja", "."],
        src_ents=[Entity(1, 3, "PER"), Entity(4, 5, "LOC")],
        tgt_words=["Shugaba", "Muhammadu", "Buhari", "ya", "ziyarci", "Abuja", "."],
        alignment=Alignment([(1, 1), (2, 2), (4, 5)]),
        src_lang="en",
        tgt_lang="hau",
    )
    cands = [(1, 3), (5, 6), (0, 1), (2, 3)]
    m = s(inp, cands)
    raw = s.similarity_matrix(["Muhammadu Buhari", "Abuja"], ["Muhammadu Buhari", "Abuja", "Shugaba", "Buhari"], "en", "hau")
    assert m.shape == (2, 4)
    assert np.allclose(m, np.where(raw <= 0.1, 0.0, raw))
    strict = make_nmtscore(str(tiny["nllb"]), "en", "hau", threshold=float(np.median(raw)))(inp, cands)
    assert (strict == 0).any() and (strict[strict > 0] > np.median(raw)).all()
    # a score equal to the threshold is dropped: the paper keeps c > thr, strictly
    assert m[0, 0] > 0
    at = make_nmtscore(str(tiny["nllb"]), "en", "hau", threshold=float(m[0, 0]), cache=str(cache))(inp, cands)
    assert at[0, 0] == 0.0 and np.allclose(at, np.where(m <= m[0, 0], 0.0, m))
    assert s(inp, []).shape == (2, 0)
    # A fresh scorer on the same cache file computes nothing new.
    s2 = make_nmtscore(str(tiny["nllb"]), "en", None, cache=str(cache))
    assert np.allclose(s2(inp, cands), m)
    assert s2.misses == 0 and s2.hits > 0


def test_registered_scorer():
    from spacy_xproj.registry import scorers

    make = scorers.get("spacy-xproj.NMTScore.v1")
    s = make(model="facebook/nllb-200-distilled-600M", tgt_lang="hau")  # nothing loads yet
    assert isinstance(s, NMTScorer) and s.threshold == 0.1 and s.src_lang == "en"
    with pytest.raises(spacy_xproj.errors.ConfigError):
        make(tgt_lang="hausa_")

"""SimAlign and AWESoME backends end to end with tiny random encoders (built locally, loaded with
``from_pretrained(path)``) on real Europarl-NER en/de sentences and synthetic pairs."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from conftest import require_module

require_module("transformers")
torch = require_module("torch")

from spacy.util import registry  # noqa: E402

from spacy_xproj.align.awesome import make_awesome, softmax_links  # noqa: E402
from spacy_xproj.align.simalign_backend import make_simalign  # noqa: E402
from spacy_xproj.errors import ConfigError  # noqa: E402
from spacy_xproj.types import Alignment  # noqa: E402

from tiny_bert import make_tiny_bert  # noqa: E402

torch.set_num_threads(1)
LAYER = 2  # the tiny models have 2 layers; the paper's layer 8 needs a 12-layer model


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


@pytest.fixture(scope="session")
def tiny_bert_64(tmp_path_factory) -> Path:
    """At most 64 positions: long sentences must be embedded in windows."""
    return make_tiny_bert(tmp_path_factory.mktemp("tiny_bert_64"), max_position_embeddings=64)


@pytest.fixture(scope="session")
def tiny_xlmr_64(tmp_path_factory) -> Path:
    """XLM-R-style (position ids offset by the padding index), 64 usable positions."""
    return make_tiny_bert(
        tmp_path_factory.mktemp("tiny_xlmr_64"), model_type="xlm-roberta", max_position_embeddings=64
    )


def _read_conll_words(path: Path, n: int) -> List[List[str]]:
    sents: List[List[str]] = []
    words: List[str] = []
    with path.open(encoding="utf8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if words:
                    sents.append(words)
                    words = []
                    if len(sents) == n:
                        break
                continue
            words.append(line.split("\t")[0])
    if words and len(sents) < n:
        sents.append(words)
    return sents


@pytest.fixture(scope="session")
def europarl_pairs(europarl_dir) -> Tuple[List[List[str]], List[List[str]]]:
    """The first 8 sentence pairs of Europarl-NER en/de (k-th en sentence <-> k-th de)."""
    en = _read_conll_words(europarl_dir / "en-europarl.test.conll02", 8)
    de = _read_conll_words(europarl_dir / "de-europarl.test.conll02", 8)
    assert len(en) == len(de) == 8
    return en, de


@pytest.fixture(scope="session")
def short_pairs(europarl_pairs) -> Tuple[List[List[str]], List[List[str]]]:
    """Those of the 8 pairs with at most 15 words a side (networkx 'match' is slow on long ones)."""
    keep = [k for k, (s, t) in enumerate(zip(*europarl_pairs)) if max(len(s), len(t)) <= 15]
    assert len(keep) >= 3
    return [europarl_pairs[0][k] for k in keep], [europarl_pairs[1][k] for k in keep]


def _backends(path: Path, **kw):
    return [
        make_simalign(model=str(path), method="itermax", layer=LAYER, **kw),
        make_simalign(model=str(path), method="argmax", layer=LAYER, **kw),
        make_simalign(model=str(path), method="match", layer=LAYER, **kw),
        make_awesome(model=str(path), layer=LAYER, **kw),
    ]


def _assert_in_bounds(alignments, src, tgt):
    assert len(alignments) == len(src)
    for a, s, t in zip(alignments, src, tgt):
        assert isinstance(a, Alignment)
        a.validate(len(s), len(t))
        assert a.scores is not None and len(a.scores) == len(a.links)


def test_registered_and_resolvable_from_config(tiny_bert):
    cfg = {
        "sim": {"@xproj_aligners": "spacy-xproj.SimAlign.v1", "model": str(tiny_bert), "layer": 2},
        "awe": {"@xproj_aligners": "spacy-xproj.Awesome.v1", "model": str(tiny_bert), "layer": 1},
    }
    resolved = registry.resolve(cfg)
    sim, awe = resolved["sim"], resolved["awe"]
    assert callable(sim) and callable(awe)
    assert sim.name == f"simalign:{tiny_bert}:itermax:layer2"
    assert awe.name == f"awesome:{tiny_bert}:softmax0.001:layer1"
    # defaults are the paper's settings
    assert registry.xproj_aligners.get("spacy-xproj.SimAlign.v1").__defaults__[:3] == (
        "bert-base-multilingual-cased", "itermax", 8
    )
    assert registry.xproj_aligners.get("spacy-xproj.Awesome.v1").__defaults__[:3] == (
        "bert-base-multilingual-cased", 8, 0.001
    )


def test_europarl_all_methods(tiny_bert, europarl_pairs, short_pairs):
    for aligner, twin in zip(_backends(tiny_bert), _backends(tiny_bert)):
        en, de = short_pairs if "match" in aligner.name else europarl_pairs
        out = aligner(en, de)
        _assert_in_bounds(out, en, de)
        assert all(len(a) > 0 for a in out), aligner.name
        # deterministic: a second, independent instance gives the same result
        assert [a.links for a in twin(en, de)] == [a.links for a in out]


def test_methods_relate_as_in_simalign(tiny_bert, short_pairs):
    en, de = short_pairs
    itermax, argmax, match, _ = _backends(tiny_bert)
    tok = itermax.encoder.tokenizer
    for a_arg, a_iter, a_match, s, t in zip(argmax(en, de), itermax(en, de), match(en, de), en, de):
        # IterMax starts from the argmax intersection and only adds links
        assert set(a_arg.links) <= set(a_iter.links)
        # a maximum-cardinality matching links min(#src subwords, #tgt subwords) subword pairs,
        # so it has at most that many word links
        n_sub = min(len(tok(s, is_split_into_words=True, add_special_tokens=False)["input_ids"]),
                    len(tok(t, is_split_into_words=True, add_special_tokens=False)["input_ids"]))
        assert 0 < len(a_match.links) <= n_sub


def test_equals_simalign_package(tiny_bert, short_pairs):
    """For inputs simalign can handle, the batched backend gives simalign's own result."""
    simalign = require_module("simalign")
    en, de = short_pairs
    reference = simalign.SentenceAligner(
        model=str(tiny_bert), token_type="bpe", matching_methods="mai", layer=LAYER
    )
    ours = {
        "inter": make_simalign(model=str(tiny_bert), method="argmax", layer=LAYER, batch_size=5),
        "itermax": make_simalign(model=str(tiny_bert), method="itermax", layer=LAYER, batch_size=5),
        "mwmf": make_simalign(model=str(tiny_bert), method="match", layer=LAYER, batch_size=5),
    }
    results = {key: aligner(en, de) for key, aligner in ours.items()}
    for k in range(len(en)):
        expected = reference.get_word_aligns(en[k], de[k])
        for key in ours:
            assert results[key][k].links == [tuple(x) for x in expected[key]], (key, k)


def test_identical_words_align_under_argmax(tiny_bert):
    aligner = make_simalign(model=str(tiny_bert), method="argmax", layer=LAYER)
    # with a random model, only the same word at the same position is a robust link
    out = aligner([["Paris", "is", "nice", "."]], [["Paris", "ist", "schön", "."]])
    assert (0, 0) in out[0].links
    # identical sentences: every word links to itself under argmax, for every method but AWESoME
    sent = ["The", "Commission", "met", "in", "Brussels", "on", "Monday", "."]
    for a in _backends(tiny_bert)[:3]:
        links = a([sent], [sent])[0].links
        assert all((i, i) in links for i in range(len(sent))), a.name


def test_empty_sentences_give_no_links(tiny_bert):
    src = [[], ["Paris", "is", "nice"], [], ["Ein", "Haus"]]
    tgt = [["Paris", "ist", "schön"], [], [], ["A", "house"]]
    for aligner in _backends(tiny_bert):
        out = aligner(src, tgt)
        assert [len(a) for a in out[:3]] == [0, 0, 0], aligner.name
        assert len(out[3]) > 0
        assert aligner([], []) == []
        # a word that yields no subword (here the empty string) gets no link
        out = aligner([["", "Paris"]], [["Paris", ""]])[0]
        out.validate(2, 2)
        assert all(i == 1 and j == 0 for i, j in out.links)


def test_batched_equals_one_by_one(tiny_bert, europarl_pairs, short_pairs):
    for batched, single in zip(_backends(tiny_bert, batch_size=3), _backends(tiny_bert, batch_size=1)):
        en, de = short_pairs if "match" in batched.name else europarl_pairs
        src = en + [["Paris", "is", "nice"], []]
        tgt = de + [["Paris", "ist", "schön"], ["leer"]]
        together = batched(src, tgt)
        alone = [single([s], [t])[0] for s, t in zip(src, tgt)]
        assert [a.links for a in together] == [a.links for a in alone], batched.name
        for a, b in zip(together, alone):
            assert a.scores == pytest.approx(b.scores, abs=1e-4)


@pytest.mark.parametrize("fixture", ["tiny_bert_64", "tiny_xlmr_64"])
def test_long_input_is_embedded_in_windows(fixture, request, caplog, europarl_pairs):
    path = request.getfixturevalue(fixture)
    en, de = europarl_pairs
    long_en = [w for s in en[:4] for w in s]  # ~100 words, far more than 64 subwords
    long_de = [w for s in de[:4] for w in s]
    assert len(long_en) > 64 and len(long_de) > 64
    # (not 'match': networkx's max-weight matching is cubic and slow on long inputs)
    for aligner in [b for b in _backends(path, batch_size=4) if "match" not in b.name]:
        assert aligner.encoder.max_length == 64
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="spacy_xproj.align.encoder"):
            out = aligner([long_en, ["kurz"]], [long_de, ["short"]])
        _assert_in_bounds(out, [long_en, ["kurz"]], [long_de, ["short"]])
        assert any("embedded in windows" in r.getMessage() for r in caplog.records)
        assert aligner.encoder.stats["windowed"] == 2  # both long sides; the short pair is not
        # words far beyond position 64 are aligned too
        assert max(i for i, _ in out[0].links) > len(long_en) // 2
        assert max(j for _, j in out[0].links) > len(long_de) // 2
    # identical long sentences: windows are cut the same way, so argmax links each word to itself
    argmax = make_simalign(model=str(path), method="argmax", layer=LAYER)
    links = argmax([long_en], [long_en])[0].links
    assert all((i, i) in links for i in range(len(long_en)))


def test_max_length_caps_below_the_model(tiny_bert):
    # distinct words: identical windows elsewhere in the sentence would tie with the diagonal
    sent = ("the house of Paris is nice and children from Berlin go to school every day while "
            "Merkel Obama Schulz Buhari Musa Aisha visit Kano Lagos Abuja London Strasbourg").split()
    capped = make_simalign(model=str(tiny_bert), method="argmax", layer=LAYER, max_length=10)
    assert capped.encoder.max_length == 10
    links = capped([sent], [sent])[0].links
    assert capped.encoder.stats["windowed"] == 2
    assert all((i, i) in links for i in range(len(sent)))
    assert make_simalign(model=str(tiny_bert), layer=LAYER, max_length=10**6).encoder.max_length == 512


def test_word_token_type(tiny_bert, europarl_pairs):
    en, de = europarl_pairs
    aligner = make_simalign(model=str(tiny_bert), method="argmax", layer=LAYER, token_type="word")
    assert aligner.name.endswith(":word")
    out = aligner(en, de)
    _assert_in_bounds(out, en, de)
    sent = ["Wiederaufnahme", "der", "Sitzungsperiode"]  # multi-subword words pooled per word
    assert aligner([sent], [sent])[0].links == [(0, 0), (1, 1), (2, 2)]


def test_distortion_changes_scores_not_bounds(tiny_bert, europarl_pairs):
    en, de = europarl_pairs
    plain = make_simalign(model=str(tiny_bert), method="itermax", layer=LAYER)
    dist = make_simalign(model=str(tiny_bert), method="itermax", layer=LAYER, distortion=0.5)
    assert "distortion0.5" in dist.name
    a, b = plain(en[:3], de[:3]), dist(en[:3], de[:3])
    _assert_in_bounds(b, en[:3], de[:3])
    assert [x.scores for x in a] != [x.scores for x in b]


def test_awesome_threshold_is_monotone(tiny_bert, europarl_pairs):
    en, de = europarl_pairs
    low = make_awesome(model=str(tiny_bert), layer=LAYER, threshold=0.001)(en, de)
    high = make_awesome(model=str(tiny_bert), layer=LAYER, threshold=0.2)(en, de)
    assert all(set(h.links) <= set(lo.links) for h, lo in zip(high, low))
    assert sum(len(h) for h in high) < sum(len(lo) for lo in low)
    for a in high:
        assert all(s > 0.2 for s in a.scores)


def test_softmax_links_hand_worked():
    import numpy as np  # a core dependency
    src = np.array([[5.0, 0.0], [0.0, 5.0]])
    tgt = np.array([[5.0, 0.0], [0.0, 5.0], [3.0, 3.0]])
    # S = [[25, 0, 15], [0, 25, 15]]: rows -> softmax over targets, columns -> over sources
    mask, scores = softmax_links(src, tgt, 0.001)
    # (0,2): p_fwd = e^15/(e^25+1+e^15) ~ 4.5e-5 < 0.001 -> no link although p_bwd = 0.5
    assert mask.tolist() == [[True, False, False], [False, True, False]]
    assert scores[0, 2] == pytest.approx((0.5 + 4.54e-5) / 2, rel=1e-2)
    mask, _ = softmax_links(src, tgt, 0.0)
    assert mask.all()


def test_config_errors_before_work(tiny_bert, tmp_path):
    with pytest.raises(ConfigError, match="layer=3 .* 2 layers"):
        make_simalign(model=str(tiny_bert), layer=3)
    with pytest.raises(ConfigError, match="layer=8"):
        make_awesome(model=str(tiny_bert))  # the paper's layer 8 on a 2-layer model
    with pytest.raises(ConfigError, match="layer"):
        make_simalign(model=str(tiny_bert), layer=-1)
    with pytest.raises(ConfigError, match="unknown method"):
        make_simalign(model=str(tiny_bert), method="best", layer=LAYER)
    with pytest.raises(ConfigError, match="token_type"):
        make_simalign(model=str(tiny_bert), token_type="char", layer=LAYER)
    with pytest.raises(ConfigError, match="distortion"):
        make_simalign(model=str(tiny_bert), distortion=2, layer=LAYER)
    with pytest.raises(ConfigError, match="threshold"):
        make_awesome(model=str(tiny_bert), threshold=1.5, layer=LAYER)
    with pytest.raises(ConfigError, match="max_length"):
        make_awesome(model=str(tiny_bert), max_length=2, layer=LAYER)
    with pytest.raises(ConfigError, match="batch_size"):
        make_awesome(model=str(tiny_bert), batch_size=0, layer=LAYER)
    with pytest.raises(ConfigError, match="could not load the model"):
        make_simalign(model=str(tmp_path / "no-such-model"), layer=LAYER)
    with pytest.raises(ConfigError, match="unknown device"):
        make_simalign(model=str(tiny_bert), layer=LAYER, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            make_awesome(model=str(tiny_bert), layer=LAYER, device="cuda")
        assert make_awesome(model=str(tiny_bert), layer=LAYER, device="auto").encoder.device == "cpu"


def test_mismatched_batch(tiny_bert):
    aligner = make_simalign(model=str(tiny_bert), layer=LAYER)
    with pytest.raises(ValueError, match="2 source but 1 target"):
        aligner([["a"], ["b"]], [["c"]])


def test_model_loaded_lazily_once_and_threads_untouched(tiny_bert):
    aligner = make_awesome(model=str(tiny_bert), layer=LAYER)
    assert aligner.encoder._model is None  # construction only checks config and tokenizer
    threads = torch.get_num_threads()
    aligner([["Paris"]], [["Paris"]])
    model = aligner.encoder.model
    assert not model.training
    aligner([["Berlin"]], [["Berlin"]])
    assert aligner.encoder.model is model
    assert torch.get_num_threads() == threads


def test_import_does_not_load_transformers():
    code = (
        "import sys, spacy_xproj, spacy_xproj.align.simalign_backend, spacy_xproj.align.awesome; "
        "print(sorted(m for m in ('transformers', 'simalign') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_tiny_bert_builder(tmp_path, tiny_bert):
    from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_bert)
    assert tok.tokenize("Wiederaufnahme der Sitzungsperiode") == [
        "Wiederaufnahme", "der", "Sitzungsperiode"
    ]
    assert "[UNK]" not in tok.tokenize("Gwamnatin Najeriya xyzzy")  # letter pieces cover words
    # seeded: a second build gives identical weights; another seed does not
    again = make_tiny_bert(tmp_path / "again")
    other = make_tiny_bert(tmp_path / "other", seed=1)
    w0 = AutoModel.from_pretrained(tiny_bert).embeddings.word_embeddings.weight
    assert torch.equal(w0, AutoModel.from_pretrained(again).embeddings.word_embeddings.weight)
    assert not torch.equal(w0, AutoModel.from_pretrained(other).embeddings.word_embeddings.weight)
    tagger = make_tiny_bert(tmp_path / "tagger", num_labels=7)
    model = AutoModelForTokenClassification.from_pretrained(tagger)
    assert model.config.id2label == {
        0: "O", 1: "B-PER", 2: "I-PER", 3: "B-ORG", 4: "I-ORG", 5: "B-LOC", 6: "I-LOC"
    }
    xlmr = make_tiny_bert(tmp_path / "xlmr", model_type="xlm-roberta", labels=["O", "B-X", "I-X"])
    model = AutoModelForTokenClassification.from_pretrained(xlmr)
    assert model.config.model_type == "xlm-roberta" and model.config.num_labels == 3


def test_coverage_score_projects_over_neural_alignments(tiny_bert, europarl_pairs):
    """The default projection score reads SimAlign/AWESoME link scores (similarities, not vote
    shares) as relative weights: every source entity still gets a projection."""
    from spacy_xproj.projection.component import DEFAULT_PROJECTOR
    from spacy_xproj.projection.matching import ProjectionInput
    from spacy_xproj.types import Entity

    projector = registry.resolve({"p": DEFAULT_PROJECTOR})["p"]
    en, de = europarl_pairs
    for aligner in (_backends(tiny_bert)[0], _backends(tiny_bert)[3]):
        for al, s, t in zip(aligner(en[:4], de[:4]), en[:4], de[:4]):
            ents = [Entity(0, 1, "X")]
            found = projector(ProjectionInput(list(s), ents, list(t), al))
            linked = any(i == 0 for i, _ in al.links)
            assert len(found) == (1 if linked else len(found))
            for ent, score in found:
                assert 0 < score <= 1.0 + 1e-9 and 0 <= ent.start < ent.end <= len(t)

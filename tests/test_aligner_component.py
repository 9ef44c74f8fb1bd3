"""The xproj_aligner component: pipe, errors, initialize from examples/corpus, save and load."""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest

from conftest import require_module
import spacy
from spacy.training import Example

require_module("eflomal")

from spacy_xproj.doc import pair_to_doc  # noqa: E402
from spacy_xproj.types import Alignment, Pair, Side  # noqa: E402


def _conll_words(path: Path) -> List[List[str]]:
    sents, words = [], []
    for line in path.read_text(encoding="utf8").splitlines():
        if not line.strip():
            if words:
                sents.append(words)
                words = []
            continue
        words.append(line.split("\t")[0])
    if words:
        sents.append(words)
    return sents


@pytest.fixture(scope="module")
def pairs(europarl_dir: Path) -> List[Pair]:
    en = _conll_words(europarl_dir / "en-europarl.test.conll02")[:150]
    de = _conll_words(europarl_dir / "de-europarl.test.conll02")[:150]
    return [Pair(f"ep/{k}", Side("en", s), Side("de", t)) for k, (s, t) in enumerate(zip(en, de))]


def _nlp(**cfg):
    nlp = spacy.blank("de")
    nlp.add_pipe("xproj_aligner", config={"aligner": {"@xproj_aligners": "spacy-xproj.Eflomal.v1", **cfg}})
    return nlp


def test_pipe_aligns_whole_batch_like_the_backend(pairs):
    from spacy_xproj.align.eflomal_backend import create_eflomal_aligner

    nlp = _nlp()
    docs = [pair_to_doc(p, "tgt") for p in pairs[:60]]
    out = list(nlp.pipe(docs, batch_size=60))
    expected = create_eflomal_aligner()([p.tgt.words for p in pairs[:60]], [p.src.words for p in pairs[:60]])
    assert [d._.xproj_alignment for d in out] == expected
    for d in out:
        d._.xproj_alignment.validate(len(d), len(d._.xproj_translation))


def test_missing_translation_is_a_clear_error():
    nlp = _nlp()
    with pytest.raises(ValueError, match="no doc._.xproj_translation"):
        nlp("Ein Satz ohne Übersetzung")


def test_initialize_from_examples_save_load_same_output(tmp_path: Path, pairs):
    nlp = _nlp(seed=5)
    examples = [Example(pair_to_doc(p, "src"), pair_to_doc(p, "src")) for p in pairs]
    nlp.initialize(lambda: examples)
    aligner = nlp.get_pipe("xproj_aligner").aligner
    assert aligner.is_initialized and aligner.priors.n_pairs == len(pairs)
    new = Pair("new", Side("en", pairs[3].src.words), Side("de", pairs[3].tgt.words))
    before = nlp(pair_to_doc(new, "src"))._.xproj_alignment
    assert len(before) > 0.5 * len(new.src.words)
    nlp.to_disk(tmp_path / "pipeline")
    assert (tmp_path / "pipeline" / "xproj_aligner" / "aligner.bin").stat().st_size > 1000
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe("xproj_aligner").aligner.is_initialized
    after = loaded(pair_to_doc(new, "src"))._.xproj_alignment
    assert after == before
    # bytes round trip too
    again = _nlp(seed=5)
    again.get_pipe("xproj_aligner").from_bytes(nlp.get_pipe("xproj_aligner").to_bytes())
    assert again(pair_to_doc(new, "src"))._.xproj_alignment == before


def test_initialize_from_corpus_config(tmp_path: Path, pairs):
    from spacy_xproj.corpus.jsonl import write_pairs

    corpus = tmp_path / "pairs.jsonl"
    write_pairs(corpus, pairs[:40])
    nlp = _nlp()
    nlp.config["initialize"]["components"]["xproj_aligner"] = {
        "corpus": {"@readers": "spacy-xproj.ParallelCorpus.v1", "path": str(corpus)},
        "corpus_doc_side": "tgt",
    }
    nlp.initialize()
    priors = nlp.get_pipe("xproj_aligner").aligner.priors
    assert priors.n_pairs == 40
    # docs are German (the tgt side): priors are oriented doc -> translation, so their source
    # words are German (cut to the default prefix_len=5) and English "the" is not among them
    assert any(s == "europ" for s, _ in priors.lex)
    assert not any(s == "the" for s, _ in priors.lex)


def test_initialize_without_pairs_is_an_error():
    nlp = _nlp()
    docs = [spacy.blank("de")("kein Paar")]
    with pytest.raises(ValueError, match="no sentence pairs"):
        nlp.initialize(lambda: [Example(d, d) for d in docs])


def test_scorer_against_gold_links():
    from spacy_xproj.align.component import score_alignments

    nlp = spacy.blank("en")
    pred, gold = nlp("a b"), nlp("a b")
    pred._.xproj_alignment = Alignment([(0, 0), (1, 0)])
    gold._.xproj_alignment = Alignment([(0, 0), (1, 1)])
    scores = score_alignments([Example(pred, gold)])
    assert scores["align_p"] == 0.5 and scores["align_r"] == 0.5 and scores["align_aer"] == 0.5
    assert score_alignments([Example(nlp("a"), nlp("a"))])["align_f"] is None


@pytest.mark.slow
def test_voted_eflomal_runs_travel_with_the_doc(europarl_dir: Path):
    """The default aligner keeps each run's directional links on the doc (as `xproj align` keeps
    them in the pair meta), oriented like the alignment, so the projector's block agreement sees
    them in pipelines too; a new alignment clears them."""
    from spacy_xproj.corpus.europarl import read_europarl
    from spacy_xproj.doc import doc_to_pair
    from spacy_xproj.projection.component import DEFAULT_PROJECTOR, project_pairs
    from spacy_xproj.projection.scores import RUNS_KEY

    pairs = read_europarl(europarl_dir, "en", "es")[:120]
    nlp = spacy.blank("es")
    nlp.add_pipe("xproj_aligner")  # Eflomal.v2: 4 runs, both directions, voted
    nlp.add_pipe("xproj_projector", config={"projector": DEFAULT_PROJECTOR})
    docs = list(nlp.pipe([pair_to_doc(Pair(p.id, p.src, p.tgt), "tgt") for p in pairs], batch_size=120))
    for doc in docs:
        runs = doc._.xproj_alignment_runs
        assert runs is not None and len(runs) == 4
        for fwd, rev in runs:  # forward (doc -> translation model): at most one link per translation
            # word; backward: at most one per doc word
            assert len({j for _, j in fwd}) == len(fwd) and len({i for i, _ in rev}) == len(rev)
    # as pairs (English -> Spanish) the runs are inverted: forward is the English -> Spanish model,
    # at most one link per Spanish word, as `xproj align` writes them
    back = [doc_to_pair(d, "tgt") for d in docs]
    for p in back:
        for fwd, rev in p.meta[RUNS_KEY]:
            assert len({j for _, j in fwd}) == len(fwd) and len({i for i, _ in rev}) == len(rev)
    # the component projected exactly what the pair path projects with the same links and runs
    gold = {p.id: p for p in pairs}
    with_src = [Pair(p.id, gold[p.id].src, p.tgt, p.alignment, p.meta) for p in back]
    expected = project_pairs(with_src, nlp.get_pipe("xproj_projector").projector)
    assert [d.ents and [(e.start, e.end, e.label_) for e in d.ents] or [] for d in docs] == [
        [(e.start, e.end, e.label) for e in p.tgt.ents] for p in expected
    ]
    without = project_pairs([Pair(p.id, p.src, p.tgt, p.alignment) for p in with_src],
                            nlp.get_pipe("xproj_projector").projector)
    assert without != expected  # the runs change some projections (block agreement)
    docs[0]._.xproj_alignment = Alignment([])
    assert docs[0]._.xproj_alignment_runs is None

"""Training data for the candidate tagger: a registered reader over NER files.

``spacy-xproj.CandidateCorpus.v1`` reads either

* token-per-line NER text in any layout of :mod:`spacy_xproj.corpus.conll` (CoNLL-2003 with
  ``-DOCSTART-`` lines, MasakhaNER ``TOKEN TAG``, Europarl-NER ``TOKEN<TAB>TAG``, WikiNEuRal
  ``INDEX<TAB>TOKEN<TAB>TAG``), read by that module with its tag rule (conlleval: a stray ``I-``
  opens an entity) and its errors naming file and line, or
* a ``.spacy`` DocBin (file or folder, e.g. from ``python -m spacy convert``),

and yields one ``Example`` per sentence whose predicted doc has the gold tokenisation (the tagger is
used on pre-tokenised words) and whose reference has every entity, label set to ``CAND``, both in
``.ents`` and in ``.spans[spans_key]``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, List, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Corpus, Example
from spacy.util import registry

from ..corpus import conll
from .iob import SpanT
from ..doc import CANDIDATES_KEY
from .scoring import reference_spans

Sentence = Tuple[List[str], List[Tuple[int, int, str]]]  # words, (start, end, label) entities


def read_conll_sentences(path: Union[str, Path]) -> Iterator[Sentence]:
    """``(words, [(start, end, label), ...])`` per sentence of a token-per-line NER file.

    A view of :func:`spacy_xproj.corpus.conll.read_conll_sentences` (the package's reader: layouts,
    ``-DOCSTART-``, the conlleval tag rule and :class:`InputError` naming the file and line).
    """
    for sent in conll.read_conll_sentences(path):
        yield sent.words, [(e.start, e.end, e.label) for e in conll.tags_to_entities(sent.tags)]


def make_example(nlp: Language, words: List[str], spans: List[SpanT], spans_key: str, label: str) -> Example:
    """An Example whose predicted doc has ``words`` and whose reference has ``spans`` (labelled
    ``label``) in ``.ents`` and in ``.spans[spans_key]``."""
    spaces = [True] * len(words)
    predicted = Doc(nlp.vocab, words=words, spaces=spaces)
    reference = Doc(nlp.vocab, words=words, spaces=spaces)
    ref_spans = [Span(reference, s, e, label=label) for s, e in spans]
    reference.ents = ref_spans
    reference.spans[spans_key] = ref_spans
    return Example(predicted, reference)


def is_docbin(path: Path) -> bool:
    return path.suffix == ".spacy" or path.is_dir()


@registry.readers("spacy-xproj.CandidateCorpus.v1")
def create_candidate_corpus(
    path: str,
    limit: int = 0,
    max_length: int = 0,
    spans_key: str = CANDIDATES_KEY,
    label: str = "CAND",
    ignore_labels: Sequence[str] = (),
) -> Callable[[Language], Iterator[Example]]:
    """Candidate-tagger training/dev data from an NER file (see the module doc).

    path: a token-per-line NER file, or a ``.spacy`` DocBin file or folder.
    limit: stop after this many sentences (0 = all).
    max_length: skip sentences longer than this many tokens (0 = no limit; use for training only).
    spans_key: the span key the gold candidates are written to (the tagger's ``spans_key``).
    label: the single label every entity gets.
    ignore_labels: entity labels of token-per-line files to drop (read as ``O``), e.g. ``["DATE"]``
        for MasakhaNER, as the paper scores it.
    """
    if path is None:
        raise ValueError("spacy-xproj.CandidateCorpus.v1: path is null (set --paths.train / --paths.dev)")
    src = Path(path)
    ignored = set(ignore_labels)
    if not src.exists():
        raise FileNotFoundError(f"spacy-xproj.CandidateCorpus.v1: {src} does not exist")

    def sentences(nlp: Language) -> Iterator[Tuple[List[str], List[SpanT]]]:
        if is_docbin(src):
            for eg in Corpus(src, gold_preproc=False)(nlp):
                ref = eg.reference
                spans = [s for s in reference_spans(ref, spans_key) if s.label_ not in ignored]
                yield [t.text for t in ref], [(s.start, s.end) for s in spans]
        else:
            for words, ents in read_conll_sentences(src):
                yield words, [(s, e) for s, e, lab in ents if lab not in ignored]

    def read(nlp: Language) -> Iterator[Example]:
        n = 0
        for words, spans in sentences(nlp):
            if max_length and len(words) > max_length:
                continue
            yield make_example(nlp, words, spans, spans_key, label)
            n += 1
            if limit and n >= limit:
                break

    return read

"""Training data for the candidate tagger: a registered reader over NER files.

``spacy-xproj.CandidateCorpus.v1`` reads either

* token-per-line NER text (CoNLL-2003 ``TOKEN TAG`` with ``-DOCSTART-`` lines, MasakhaNER
  ``TOKEN TAG``, Europarl-NER ``TOKEN<TAB>TAG``, WikiNEuRal ``INDEX<TAB>TOKEN<TAB>TAG``), IOB2 with
  the conlleval rule for stray ``I-`` tags, or
* a ``.spacy`` DocBin (file or folder, e.g. from ``python -m spacy convert``),

and yields one ``Example`` per sentence whose predicted doc has the gold tokenisation (the tagger is
used on pre-tokenised words) and whose reference has every entity, label set to ``CAND``, both in
``.ents`` and in ``.spans[spans_key]``.

The CoNLL reading here is deliberately minimal and local to this package (see
:func:`read_conll_sentences`); it is a candidate for consolidation with ``spacy_xproj.corpus.conll``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, List, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Corpus, Example
from spacy.util import registry

from ..errors import InputError
from .iob import SpanT
from .scoring import DEFAULT_SPANS_KEY, reference_spans

Sentence = Tuple[List[str], List[Tuple[int, int, str]]]  # words, (start, end, label) entities


def iob_to_entities(tags: List[str], source: str = "<tags>", line: int = 0) -> List[Tuple[int, int, str]]:
    """IOB/IOB2 tags to ``(start, end, label)``. ``B-X`` opens an entity; ``I-X`` continues an
    entity of type X and opens one after ``O`` or another type (conlleval/seqeval rule)."""
    ents: List[Tuple[int, int, str]] = []
    start, label = None, None
    for i, tag in enumerate(tags + ["O"]):
        if tag == "O":
            kind, typ = "O", None
        elif len(tag) > 2 and tag[:2] in ("B-", "I-"):
            kind, typ = tag[0], tag[2:]
        else:
            raise InputError(f"unknown tag {tag!r} (expected O, B-X or I-X)", source, line + i)
        if start is not None and (kind != "I" or typ != label):
            ents.append((start, i, label))  # type: ignore[arg-type]
            start, label = None, None
        if kind == "B" or (kind == "I" and start is None):
            start, label = i, typ
    return ents


def read_conll_sentences(path: Union[str, Path]) -> Iterator[Sentence]:
    """Sentences of a token-per-line NER file (see the module doc for the accepted layouts).

    Blank lines separate sentences; ``-DOCSTART-`` lines are document markers and are skipped.
    A line with another column count, or an empty token, stops with an :class:`InputError`
    naming the file and line.
    """
    path = Path(path)
    words: List[str] = []
    tags: List[str] = []
    first_line = 0
    with path.open(encoding="utf8") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                if words:
                    yield words, iob_to_entities(tags, str(path), first_line)
                words, tags = [], []
                continue
            cols = line.split("\t") if "\t" in line else line.split()
            if cols[0] == "-DOCSTART-":
                continue
            if len(cols) == 3 and cols[0].isdigit():
                cols = cols[1:]
            if len(cols) != 2:
                raise InputError(f"expected 'TOKEN TAG' (or 'INDEX TOKEN TAG'), got {len(cols)} columns", str(path), lineno)
            token, tag = cols[0].strip(), cols[1].strip()
            if not token:
                raise InputError("empty token", str(path), lineno)
            if not words:
                first_line = lineno
            words.append(token)
            tags.append(tag)
    if words:
        yield words, iob_to_entities(tags, str(path), first_line)


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
    spans_key: str = DEFAULT_SPANS_KEY,
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

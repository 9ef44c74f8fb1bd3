"""The ``xproj_aligner`` component: word alignment between a doc and ``doc._.xproj_translation``.

The component is a thin shell around an aligner backend (a registered function in
``@xproj_aligners``; eflomal by default). It fills ``doc._.xproj_alignment`` with links
``(doc index, translation index)``. ``pipe`` aligns each batch *together*, which matters for
corpus-level aligners such as eflomal.

Trainable state (issue 9). A backend with ``initialize(pairs)`` / ``to_bytes()`` /
``from_bytes()`` (eflomal) learns statistics in ``nlp.initialize()``: from the training examples
(each ``Example.reference`` doc with its ``._.xproj_translation``) or from a parallel corpus named in the
config::

    [initialize.components.xproj_aligner.corpus]
    @readers = "spacy-xproj.ParallelCorpus.v1"
    path = "assets/mafand/en-swa/train.jsonl.gz"
    src_lang = "en"
    tgt_lang = "swa"

The learned statistics are saved with the pipeline (``to_disk`` writes ``aligner.bin``), so
``spacy.load`` restores an aligner that aligns a single new pair with them, without the corpus.
"""


from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import minibatch, registry as spacy_registry

from ..errors import ConfigError
from ..types import Alignment

DEFAULT_CONFIG = {
    "aligner": {"@xproj_aligners": "spacy-xproj.Eflomal.v2"},
    "batch_size": 1000,
    "scorer": {"@scorers": "spacy-xproj.alignment_scorer.v1"},
}
STATE_FILE = "aligner.bin"


def score_alignments(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Optional[float]]:
    """Link precision / recall / F1 and alignment error rate against gold ``reference._.xproj_alignment``.

    With one set of gold links (no sure/possible distinction) AER = 1 - F1. Examples whose
    reference has no alignment are skipped; with none left the scores are ``None``.
    """
    tp = n_pred = n_gold = 0
    for eg in examples:
        gold = eg.reference._.xproj_alignment
        pred = eg.predicted._.xproj_alignment
        if gold is None:
            continue
        g = set(gold.links)
        p = set(pred.links) if pred is not None else set()
        tp += len(g & p)
        n_pred += len(p)
        n_gold += len(g)
    if n_gold == 0 and n_pred == 0:
        return {"align_p": None, "align_r": None, "align_f": None, "align_aer": None}
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"align_p": p, "align_r": r, "align_f": f, "align_aer": 1.0 - f}


@spacy_registry.scorers("spacy-xproj.alignment_scorer.v1")
def make_alignment_scorer() -> Callable[..., Dict[str, Optional[float]]]:
    return score_alignments


def read_parallel_examples(
    nlp: Language,
    path: Union[str, Path],
    src_lang: Optional[str] = None,
    tgt_lang: Optional[str] = None,
    doc_side: str = "src",
    limit: int = 0,
) -> Iterator[Example]:
    """Stream training/dev ``Example``s for the aligner from a parallel corpus (see
    :func:`~spacy_xproj.align.eflomal_backend.read_parallel` for the formats).

    Each example's predicted and reference docs are the ``doc_side`` sentence (``"src"``: the first
    language; ``"tgt"``: the second) in ``nlp``'s vocab, with the other sentence in
    ``._.xproj_translation``. A pair JSONL record that carries an alignment gives the reference its gold
    ``._.xproj_alignment`` (oriented doc -> translation), which the aligner's scorer compares against.
    """
    from ..corpus.jsonl import read_pairs
    from ..doc import install_extensions, vocab_for
    from .eflomal_backend import _open_text, read_parallel

    install_extensions()
    if doc_side not in ("src", "tgt"):
        raise ConfigError("ParallelExamples: doc_side must be 'src' or 'tgt'")
    path = Path(path)
    pairs = False
    if path.exists():
        with _open_text(path) as fh:
            first = next((line for line in fh if line.strip()), "")
        pairs = first.lstrip().startswith("{") and '"translation"' not in first
    if pairs:  # pair JSONL: languages and gold alignments from the records
        stream: Iterator[Tuple[List[str], List[str], str, str, Optional[Alignment]]] = (
            (list(p.src.words), list(p.tgt.words), p.src.lang, p.tgt.lang, p.alignment) for p in read_pairs(path)
        )
    else:
        stream = (
            (s, t, src_lang or "xx", tgt_lang or "xx", None) for s, t in read_parallel(path, src_lang, tgt_lang)
        )
    n = 0
    for s, t, s_lang, t_lang, gold in stream:
        if limit and n >= limit:
            return
        words, other, other_lang = (s, t, t_lang) if doc_side == "src" else (t, s, s_lang)
        if gold is not None and doc_side == "tgt":
            gold = gold.inverse()
        docs = []
        for _ in range(2):  # predicted and reference
            doc = Doc(nlp.vocab, words=words)
            doc._.xproj_translation = Doc(vocab_for(other_lang), words=other)
            docs.append(doc)
        docs[1]._.xproj_alignment = gold
        yield Example(docs[0], docs[1])
        n += 1


@spacy_registry.readers("spacy-xproj.ParallelExamples.v1")
def create_parallel_examples(
    path: str,
    src_lang: Optional[str] = None,
    tgt_lang: Optional[str] = None,
    doc_side: str = "src",
    limit: int = 0,
) -> Callable[[Language], Iterator[Example]]:
    """Examples with ``._.xproj_translation`` (and gold ``._.xproj_alignment`` where a pair record has one)
    from a parallel corpus, for ``spacy train`` with the ``xproj_aligner`` (configs/aligner.cfg).
    Streaming: nothing is read before the examples are asked for."""

    def reader(nlp: Language) -> Iterator[Example]:
        return read_parallel_examples(nlp, path, src_lang, tgt_lang, doc_side, limit)

    return reader


class XprojAligner:
    """Fill ``doc._.xproj_alignment`` for a doc and its translation (see module docs)."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        aligner: Callable[[List[List[str]], List[List[str]]], List[Alignment]],
        batch_size: int,
        scorer: Optional[Callable[..., Dict[str, Any]]],
    ) -> None:
        if batch_size < 1:
            raise ConfigError("xproj_aligner: batch_size must be at least 1")
        self.name = name
        self.aligner = aligner
        self.batch_size = batch_size
        self.scorer = scorer

    @property
    def learns_statistics(self) -> bool:
        """Whether the backend learns from a corpus in ``initialize`` (eflomal). Not spaCy's
        ``is_trainable``: spaCy reads that as "has a thinc model to update" and would call
        ``finish_update`` on it in the training loop; this component has no weights."""
        return hasattr(self.aligner, "initialize")

    # -- processing -----------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        self._align([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: Optional[int] = None) -> Iterator[Doc]:
        """Align docs in batches; each batch is aligned together (one corpus for eflomal)."""
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            self._align(batch)
            yield from batch

    def _align(self, docs: Sequence[Doc]) -> None:
        for k, doc in enumerate(docs):
            if doc._.xproj_translation is None:
                raise ValueError(
                    f"{self.name}: doc {k} of the batch ({doc.text[:40]!r}) has no doc._.xproj_translation; "
                    "add a translation first (the xproj_translator component, or pair_to_doc)"
                )
        src = [[t.text for t in doc] for doc in docs]
        tgt = [[t.text for t in doc._.xproj_translation] for doc in docs]
        alignments = self.aligner(src, tgt)
        if len(alignments) != len(docs):
            raise RuntimeError(f"{self.name}: the aligner returned {len(alignments)} alignments for {len(docs)} docs")
        # eflomal's voted alignment keeps each run's directional links: they travel with the doc
        # for the coverage score's block agreement (as `xproj align` keeps them in the pair meta)
        runs = getattr(self.aligner, "last_runs", None) or [None] * len(docs)
        for doc, al, s, t, r in zip(docs, alignments, src, tgt, runs):
            al.validate(len(s), len(t), where=f"{self.name} ({getattr(self.aligner, 'name', 'aligner')})")
            doc._.xproj_alignment = al  # clears runs of an earlier alignment
            if r:
                doc._.xproj_alignment_runs = r

    # -- training -------------------------------------------------------------------------
    def initialize(
        self,
        get_examples: Optional[Callable[[], Iterable[Example]]] = None,
        *,
        nlp: Optional[Language] = None,
        corpus: Optional[Callable[[], Iterable[Any]]] = None,
        corpus_doc_side: str = "src",
    ) -> None:
        """Learn the aligner's statistics (no-op for aligners without ``initialize``).

        ``corpus`` (a reader such as ``spacy-xproj.ParallelCorpus.v1``) takes precedence over the
        examples. ``corpus_doc_side`` says which side of the corpus pairs corresponds to the docs
        this component will see ("src": first element; "tgt": the pairs are swapped).
        """
        if not self.learns_statistics:
            return
        if corpus_doc_side not in ("src", "tgt"):
            raise ConfigError("xproj_aligner: corpus_doc_side must be 'src' or 'tgt'")
        if corpus is not None:
            pairs: List[Tuple[List[str], List[str]]] = []
            for s, t in corpus():
                pairs.append((list(s), list(t)) if corpus_doc_side == "src" else (list(t), list(s)))
            source = "the initialize corpus"
        elif get_examples is not None:
            pairs = []
            for eg in get_examples():
                doc = eg.reference if eg.reference._.xproj_translation is not None else eg.predicted
                if doc._.xproj_translation is None:
                    continue
                pairs.append(([t.text for t in doc], [t.text for t in doc._.xproj_translation]))
            source = "the training examples"
        else:
            return
        if not pairs:
            raise ValueError(
                f"{self.name}: {source} contain no sentence pairs (examples need doc._.xproj_translation); "
                "give a parallel corpus in [initialize.components.xproj_aligner.corpus]"
            )
        self.aligner.initialize(pairs)  # type: ignore[attr-defined]

    def score(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
        return self.scorer(examples, **kwargs) if self.scorer is not None else {}

    # -- serialisation --------------------------------------------------------------------
    def _state(self) -> bytes:
        return self.aligner.to_bytes() if hasattr(self.aligner, "to_bytes") else b""  # type: ignore[attr-defined]

    def _load_state(self, data: bytes) -> None:
        if hasattr(self.aligner, "from_bytes"):
            self.aligner.from_bytes(data)  # type: ignore[attr-defined]

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        return srsly.msgpack_dumps({"aligner": self._state()})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "XprojAligner":
        self._load_state(srsly.msgpack_loads(bytes_data)["aligner"])
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / STATE_FILE).write_bytes(self._state())

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "XprojAligner":
        state = Path(path) / STATE_FILE
        if state.exists():
            self._load_state(state.read_bytes())
        return self


@Language.factory(
    "xproj_aligner",
    assigns=["doc._.xproj_alignment"],
    requires=["doc._.xproj_translation"],
    default_config=DEFAULT_CONFIG,
)
def make_aligner(
    nlp: Language,
    name: str,
    aligner: Callable[[List[List[str]], List[List[str]]], List[Alignment]],
    batch_size: int,
    scorer: Optional[Callable[..., Dict[str, Any]]],
) -> XprojAligner:
    """Create the ``xproj_aligner`` component (default backend: ``spacy-xproj.Eflomal.v2``)."""
    return XprojAligner(nlp, name, aligner, batch_size=batch_size, scorer=scorer)

"""The ``xproj_labeller`` component and the pair-level labelling step of ``xproj label``.

The component runs a registered labeller (``@xproj_labellers``) on ``doc._.xproj_translation``
(``target="translation"``: translate-test, the English translation is labelled) or on the doc
itself (``target="doc"``), and sets on that Doc:

* ``.ents`` — the labeller's entities (``set_ents``);
* ``doc._.xproj_probs`` — per-word class probabilities when the labeller has them (``set_probs``);
* ``doc.spans["xproj_candidates"]`` — every predicted span with its label discarded (the
  NER-model candidates of candidate matching; ``set_candidates``).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch
from thinc.api import Config

from ..doc import CANDIDATES_KEY, install_extensions
from ..types import Pair
from .hf import LabelResult

TARGETS = ("translation", "doc")

# Only the backend is named: its settings take the registered function's defaults
# (``spacy-xproj.HFTokenClassifier.v1``), which spaCy fills into ``nlp.config``.
DEFAULT_CONFIG_STR = """
[labeller]
@xproj_labellers = "spacy-xproj.HFTokenClassifier.v1"
"""
DEFAULT_CONFIG = Config().from_str(DEFAULT_CONFIG_STR)

Labeller = Callable[[Sequence[Sequence[str]]], List[LabelResult]]


def apply_result(doc: Doc, result: LabelResult, set_ents: bool, set_probs: bool, set_candidates: bool) -> None:
    """Write one labeller result onto ``doc`` (see the module docstring)."""
    if set_ents:
        doc.ents = [Span(doc, e.start, e.end, label=e.label) for e in result.ents]
    if set_probs and result.probs is not None:
        doc._.xproj_probs = result.probs
    if set_candidates:
        doc.spans[CANDIDATES_KEY] = [Span(doc, s, e) for s, e in result.spans]


class XprojLabeller:
    """Labels a doc or its translation with a registered labeller (see the module docstring)."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        labeller: Labeller,
        *,
        target: str,
        set_ents: bool,
        set_probs: bool,
        set_candidates: bool,
        batch_size: int,
    ) -> None:
        install_extensions()
        if target not in TARGETS:
            raise ValueError(f"{name}: target must be one of {', '.join(TARGETS)}, got {target!r}")
        self.name = name
        self.labeller = labeller
        self.target = target
        self.set_ents = set_ents
        self.set_probs = set_probs
        self.set_candidates = set_candidates
        self.batch_size = batch_size

    def target_doc(self, doc: Doc) -> Doc:
        if self.target == "doc":
            return doc
        if doc._.xproj_translation is None:
            raise ValueError(
                f"{self.name}: doc._.xproj_translation is not set (add xproj_translator before "
                f"xproj_labeller, or use target='doc')"
            )
        return doc._.xproj_translation

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, stream: Iterable[Doc], batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            targets = [self.target_doc(d) for d in batch]
            results = self.labeller([[t.text for t in d] for d in targets])
            if len(results) != len(targets):
                raise ValueError(f"{self.name}: the labeller returned {len(results)} results for {len(targets)}")
            for d, r in zip(targets, results):
                apply_result(d, r, self.set_ents, self.set_probs, self.set_candidates)
            yield from batch

    # Stateless: the labeller is rebuilt from the config.
    def to_bytes(self, *, exclude: Sequence[str] = tuple()) -> bytes:
        return b""

    def from_bytes(self, bytes_data: bytes, *, exclude: Sequence[str] = tuple()) -> "XprojLabeller":
        return self

    def to_disk(self, path: Any, *, exclude: Sequence[str] = tuple()) -> None:
        return None

    def from_disk(self, path: Any, *, exclude: Sequence[str] = tuple()) -> "XprojLabeller":
        return self


@Language.factory(
    "xproj_labeller",
    assigns=["doc.ents", "doc.spans", "doc._.xproj_probs", "doc._.xproj_translation"],
    default_config={
        "labeller": DEFAULT_CONFIG["labeller"],
        "target": "translation",
        "set_ents": True,
        "set_probs": True,
        "set_candidates": True,
        "batch_size": 64,
    },
)
def make_labeller(
    nlp: Language,
    name: str,
    labeller: Labeller,
    target: str,
    set_ents: bool,
    set_probs: bool,
    set_candidates: bool,
    batch_size: int,
) -> XprojLabeller:
    """Label ``doc._.xproj_translation`` (``target="translation"``) or the doc (``"doc"``) with a
    registered labeller (``@xproj_labellers``)."""
    return XprojLabeller(
        nlp, name, labeller, target=target, set_ents=set_ents, set_probs=set_probs,
        set_candidates=set_candidates, batch_size=batch_size,
    )


def label_pairs(
    pairs: Sequence[Pair],
    labeller: Labeller,
    side: str = "src",
    probs: bool = True,
    candidates: bool = False,
    set_ents: Optional[bool] = None,
) -> List[Pair]:
    """Label one side of each pair (the ``xproj label`` step).

    * ``side="src"``: the labeller's entities replace ``src.ents`` (the source entities that are
      projected); probabilities go to ``src.probs`` when ``probs``;
    * ``side="tgt"``: ``tgt.probs`` (when ``probs``) and, with ``candidates``,
      ``meta["tgt_candidates"] = [[s, e], ...]``; ``tgt.ents`` (often gold) are left alone unless
      ``set_ents=True`` (model transfer).
    """
    if side not in ("src", "tgt"):
        raise ValueError(f"side must be 'src' or 'tgt', got {side!r}")
    if set_ents is None:
        set_ents = side == "src"
    results = labeller([getattr(p, side).words for p in pairs])
    if len(results) != len(pairs):
        raise ValueError(f"the labeller returned {len(results)} results for {len(pairs)} sentences")
    out: List[Pair] = []
    for pair, r in zip(pairs, results):
        s = getattr(pair, side)
        new_side = type(s)(
            s.lang,
            list(s.words),
            list(r.ents) if set_ents else list(s.ents),
            r.probs if (probs and r.probs is not None) else s.probs,
        )
        meta = dict(pair.meta)
        if candidates and side == "tgt":
            meta["tgt_candidates"] = [[a, b] for a, b in r.spans]
        src, tgt = (new_side, pair.tgt) if side == "src" else (pair.src, new_side)
        out.append(Pair(pair.id, src, tgt, pair.alignment, meta))
    return out

"""Projectors (registered), pair/Doc glue, and the ``xproj_projector`` pipeline component.

A *projector* is a callable ``(inp: ProjectionInput) -> List[(Entity, score)]`` (target entities,
half-open, sorted by start). Two are registered in ``@xproj_projectors``:

* ``spacy-xproj.HeuristicProjector.v1(merge_distance=1, top_k=None, only_i=False,
  length_ratio_threshold=0.8)`` — PAPER 3.3 (defaults: the paper's);
* ``spacy-xproj.CandidateProjector.v1(extractor, scorer, solver, constraint="<=", n_proj=1)`` —
  candidate matching (PAPER 3.4-3.6): candidates x scores x solver.

Glue: ``projection_input_from_pair`` / ``projection_input_from_doc`` build the input,
``project_pair`` projects one pair record, and ``make_projector`` is the spaCy factory.
"""
from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import minibatch
from thinc.api import Config

from ..doc import CANDIDATES_KEY, RUNS_META_KEY, SPAN_KEY, install_extensions
from ..errors import ConfigError, InputError
from ..registry import projectors
from ..types import Alignment, Entity, Pair
from .heuristic import heuristic_matches
from .labels import LabelRule
from .span_rules import SpanRule
from .matching import CONSTRAINT_OPS, MatchingProblem, ProjectionInput, Span as SpanTuple

Projection = Tuple[Entity, float]
Projector = Callable[[ProjectionInput], List[Projection]]

PAIR_CANDIDATES_KEY = "tgt_candidates"  # pair meta key of the same, as [[s, e], ...]
FUSION_FILE = "fusion.json"  # the learned scorer's weights in a saved pipeline
PAIR_SCORES_KEY = "xproj_scores"  # pair meta key: scores parallel to tgt.ents after projection
# Guard rail: at most this many candidates per sentence (unbounded n-grams on a 1,000-word
# sentence are 500,500 spans, and an overlap matrix over them would need 233 GiB). At the cap the
# greedy solver's dense overlap matrix takes 400 MB; sentences under ~200 words never reach it.
DEFAULT_MAX_CANDIDATES = 20_000


class CandidateCapWarning(UserWarning):
    """A sentence had more than ``max_candidates`` candidates; only the shortest were kept.

    ``xproj project`` counts these as ``candidates_capped`` in its run summary."""


def cap_candidates(cands: Sequence[SpanTuple], max_candidates: int) -> List[SpanTuple]:
    """The ``max_candidates`` shortest candidates (ties: leftmost first), sorted by ``(start, end)``."""
    kept = sorted(cands, key=lambda c: (c[1] - c[0], c[0], c[1]))[:max_candidates]
    return sorted(kept)


# --------------------------------------------------------------------------------------------
# projectors


def labelled(
    inp: ProjectionInput,
    matches: Iterable[Tuple[Entity, SpanTuple, float]],
    label_rule: Optional[LabelRule],
    span_rule: Optional[SpanRule] = None,
) -> List[Projection]:
    """Projections sorted by start from ``(source entity, target span, score)`` matches, after
    ``span_rule`` (if any) adjusted their spans: each takes its source entity's label, or the one
    ``label_rule`` gives (``None`` from the rule drops it)."""
    matches = list(matches)
    if span_rule is not None:
        matches = span_rule(inp, matches)
    out = []
    for ent, (start, end), score in matches:
        label = ent.label if label_rule is None else label_rule(inp, ent, (start, end))
        if label is not None:
            out.append((Entity(start, end, label), score))
    return sorted(out, key=lambda x: (x[0].start, x[0].end))


class HeuristicProjector:
    """Heuristic alignment-based projection with the four switches of PAPER 3.3."""

    def __init__(
        self,
        merge_distance: int,
        top_k: Optional[int],
        only_i: bool,
        length_ratio_threshold: Optional[float],
        label_rule: Optional[LabelRule],
        span_rule: Optional[SpanRule],
    ) -> None:
        if merge_distance < 0:
            raise ConfigError(f"merge_distance must be >= 0, got {merge_distance}")
        if top_k is not None and top_k < 1:
            raise ConfigError(f"top_k must be >= 1 or null (no limit), got {top_k}")
        self.merge_distance = merge_distance
        self.top_k = top_k
        self.only_i = only_i
        self.length_ratio_threshold = length_ratio_threshold
        self.label_rule = label_rule
        self.span_rule = span_rule

    def __call__(self, inp: ProjectionInput) -> List[Projection]:
        try:
            found = heuristic_matches(
                inp.src_ents,
                inp.alignment,
                len(inp.tgt_words),
                merge_distance=self.merge_distance,
                top_k=self.top_k,
                only_i=self.only_i,
                length_ratio_threshold=self.length_ratio_threshold,
                n_src=len(inp.src_words),
            )
        except InputError:
            raise
        except ValueError as err:
            raise InputError(str(err), record=inp.extra.get("id")) from None
        return labelled(inp, found, self.label_rule, self.span_rule)


class CandidateProjector:
    """Candidate matching: ``extractor`` proposes target spans, ``scorer`` scores them against
    the source entities, ``solver`` picks a non-overlapping matching under ``constraint n_proj``."""

    def __init__(
        self,
        extractor: Callable[[ProjectionInput], List[SpanTuple]],
        scorer: Callable[[ProjectionInput, Sequence[SpanTuple]], Any],
        solver: Callable[[MatchingProblem], List[Tuple[int, int]]],
        constraint: str,
        n_proj: int,
        max_candidates: Optional[int],
        label_rule: Optional[LabelRule],
        span_rule: Optional[SpanRule],
    ) -> None:
        if max_candidates is not None and max_candidates < 1:
            raise ConfigError(f"max_candidates must be >= 1 or null (no cap), got {max_candidates}")
        self.max_candidates = max_candidates
        if constraint not in CONSTRAINT_OPS:
            raise ConfigError(f"unknown constraint {constraint!r}; use one of {', '.join(CONSTRAINT_OPS)}")
        if n_proj < 0:
            raise ConfigError(f"n_proj must be >= 0, got {n_proj}")
        self.extractor = extractor
        self.scorer = scorer
        self.solver = solver
        self.constraint = constraint
        self.n_proj = n_proj
        self.label_rule = label_rule
        self.span_rule = span_rule

    def __call__(self, inp: ProjectionInput) -> List[Projection]:
        try:
            inp.alignment.validate(len(inp.src_words), len(inp.tgt_words))
            for e in inp.src_ents:
                if not (0 <= e.start < e.end <= len(inp.src_words)):
                    raise ValueError(
                        f"source entity {e.to_json()} is outside the sentence ({len(inp.src_words)} words)"
                    )
        except ValueError as err:
            raise InputError(str(err), record=inp.extra.get("id")) from None
        if not inp.src_ents or not inp.tgt_words:
            return []
        cands = list(self.extractor(inp))
        if not cands:
            return []
        if self.max_candidates is not None and len(cands) > self.max_candidates:
            warnings.warn(
                f"record {inp.extra.get('id')!r}: {len(cands)} candidates for {len(inp.tgt_words)} target "
                f"words; kept the {self.max_candidates} shortest (max_candidates)",
                CandidateCapWarning,
                stacklevel=2,
            )
            cands = cap_candidates(cands, self.max_candidates)
        scores = self.scorer(inp, cands)
        problem = MatchingProblem(scores, cands, self.constraint, self.n_proj)
        chosen = self.solver(problem)
        matches = [(inp.src_ents[p], cands[t], float(problem.scores[p, t])) for p, t in chosen]
        return labelled(inp, matches, self.label_rule, self.span_rule)


@projectors("spacy-xproj.HeuristicProjector.v1")
def make_heuristic_projector(
    merge_distance: int = 1,
    top_k: Optional[int] = None,
    only_i: bool = False,
    length_ratio_threshold: Optional[float] = 0.8,
    label_rule: Optional[LabelRule] = None,
    span_rule: Optional[SpanRule] = None,
) -> Projector:
    """Heuristic projection; the defaults are the paper's (d=1, k=None, only_i=False, thr=0.8).
    ``label_rule`` (registry ``@xproj_label_rules``) and ``span_rule`` (``@xproj_span_rules``) as
    in candidate matching; none by default, as in the paper."""
    return HeuristicProjector(merge_distance, top_k, only_i, length_ratio_threshold, label_rule, span_rule)


@projectors("spacy-xproj.CandidateProjector.v1")
def make_candidate_projector(
    extractor: Callable[[ProjectionInput], List[SpanTuple]],
    scorer: Callable[[ProjectionInput, Sequence[SpanTuple]], Any],
    solver: Callable[[MatchingProblem], List[Tuple[int, int]]],
    constraint: str = "<=",
    n_proj: int = 1,
    max_candidates: Optional[int] = DEFAULT_MAX_CANDIDATES,
    label_rule: Optional[LabelRule] = None,
    span_rule: Optional[SpanRule] = None,
) -> Projector:
    """Candidate matching with any registered extractor, scorer and solver.

    ``span_rule`` (registry ``@xproj_span_rules``) adjusts the chosen spans (e.g. continues names
    over adjacent capitalised words); ``label_rule`` (registry ``@xproj_label_rules``) then chooses
    the target label of each (or drops it). Without them, the chosen candidates are projected
    as they are, with the source label.

    ``max_candidates`` caps the candidates of one sentence (the shortest are kept, with a
    ``CandidateCapWarning``; ``null`` = no cap), so that a very long sentence with unbounded n-grams
    cannot exhaust memory. Sentences under the cap are unaffected.
    """
    return CandidateProjector(extractor, scorer, solver, constraint, n_proj, max_candidates, label_rule, span_rule)


def project_many(projector: Projector, inputs: Sequence[ProjectionInput]) -> List[List[Projection]]:
    """Project several inputs; a projector with a ``batch`` method gets them all at once."""
    batch = getattr(projector, "batch", None)
    if callable(batch):
        return list(batch(list(inputs)))
    return [projector(inp) for inp in inputs]


# --------------------------------------------------------------------------------------------
# pairs


def projection_input_from_pair(pair: Pair) -> ProjectionInput:
    """The projection input of a pair record (src -> tgt).

    Uses ``pair.alignment`` (required), ``pair.tgt.probs`` and ``pair.meta["tgt_candidates"]``
    (``[[s, e], ...]`` target spans from an NER model, for ``NerCandidates``).
    """
    if pair.alignment is None:
        raise InputError("the pair has no alignment (run `xproj align` first)", record=pair.id)
    spans: Optional[List[SpanTuple]] = None
    raw = pair.meta.get(PAIR_CANDIDATES_KEY) if pair.meta else None
    if raw is not None:
        try:
            spans = [(int(s), int(e)) for s, e in raw]
        except (TypeError, ValueError):
            raise InputError(f"meta['{PAIR_CANDIDATES_KEY}'] must be a list of [start, end]", record=pair.id) from None
    return ProjectionInput(
        src_words=list(pair.src.words),
        src_ents=list(pair.src.ents),
        tgt_words=list(pair.tgt.words),
        alignment=pair.alignment,
        src_lang=pair.src.lang,
        tgt_lang=pair.tgt.lang,
        tgt_probs=pair.tgt.probs,
        tgt_ner_spans=spans,
        extra=_extra(pair),
    )


def _extra(pair: Pair) -> Dict[str, Any]:
    from .scores import RUNS_KEY
    extra: Dict[str, Any] = {"id": pair.id}
    if pair.meta and pair.meta.get(RUNS_KEY):
        extra[RUNS_KEY] = pair.meta[RUNS_KEY]
    return extra


def project_pair(pair: Pair, projector: Projector) -> Pair:
    """A copy of ``pair`` whose ``tgt.ents`` are the projections of ``src.ents`` (replacing any
    previous target entities); their scores go to ``meta["xproj_scores"]`` in the same order."""
    return _with_projections(pair, projector(projection_input_from_pair(pair)))


def project_pairs(pairs: Sequence[Pair], projector: Projector) -> List[Pair]:
    """``project_pair`` over a batch (uses the projector's ``batch`` method if it has one)."""
    inputs = [projection_input_from_pair(p) for p in pairs]
    return [_with_projections(p, r) for p, r in zip(pairs, project_many(projector, inputs))]


def _with_projections(pair: Pair, found: List[Projection]) -> Pair:
    out = copy.deepcopy(pair)
    out.tgt.ents = [e for e, _ in found]
    out.meta = dict(out.meta or {})
    out.meta[PAIR_SCORES_KEY] = [round(float(s), 6) for _, s in found]
    return out


# --------------------------------------------------------------------------------------------
# Docs


def _source_and_target(doc: Doc, source: str) -> Tuple[Doc, Doc]:
    if source not in ("translation", "doc"):
        raise ConfigError(f"source must be 'translation' (translate-test) or 'doc' (translate-train), got {source!r}")
    record = doc.user_data.get("xproj_id")
    if doc._.xproj_translation is None:
        raise InputError(
            "doc._.xproj_translation is not set: add an xproj_translator before the projector, or build the "
            "Doc with spacy_xproj.doc.pair_to_doc",
            record=record,
        )
    if doc._.xproj_alignment is None:
        raise InputError(
            "doc._.xproj_alignment is not set: add an xproj_aligner before the projector", record=record
        )
    return (doc._.xproj_translation, doc) if source == "translation" else (doc, doc._.xproj_translation)


def projection_input_from_doc(doc: Doc, source: str = "translation") -> ProjectionInput:
    """The projection input of a Doc and its translation.

    ``source="translation"`` (translate-test): entities of ``doc._.xproj_translation`` are projected onto
    ``doc``; ``source="doc"`` (translate-train): entities of ``doc`` onto ``doc._.xproj_translation``.
    ``doc._.xproj_alignment`` is oriented doc -> translation and is inverted as needed. Target candidates
    come from the target Doc's ``spans["xproj_candidates"]`` and probabilities from its
    ``_.xproj_probs``.
    """
    src_doc, tgt_doc = _source_and_target(doc, source)
    alignment = doc._.xproj_alignment.inverse() if source == "translation" else doc._.xproj_alignment
    extra: Dict[str, Any] = {"id": doc.user_data.get("xproj_id")}
    runs = doc._.xproj_alignment_runs  # the aligner's directional runs, when it kept them
    if runs:
        extra[RUNS_META_KEY] = Alignment.invert_runs(runs) if source == "translation" else runs
    spans = None
    if CANDIDATES_KEY in tgt_doc.spans:
        spans = sorted({(s.start, s.end) for s in tgt_doc.spans[CANDIDATES_KEY]})
    return ProjectionInput(
        src_words=[t.text for t in src_doc],
        src_ents=[Entity(e.start, e.end, e.label_) for e in src_doc.ents],
        tgt_words=[t.text for t in tgt_doc],
        alignment=alignment,
        src_lang=src_doc.lang_,
        tgt_lang=tgt_doc.lang_,
        tgt_probs=tgt_doc._.xproj_probs,
        tgt_ner_spans=spans,
        extra=extra,
    )


def write_projections(doc: Doc, found: List[Projection], span_key: str = SPAN_KEY) -> None:
    """Write projections onto ``doc``: all of them (with scores) into ``doc.spans[span_key]``,
    and a non-overlapping subset (highest score first, then leftmost) into ``doc.ents``
    (replacing the previous entities)."""
    spans = [Span(doc, e.start, e.end, label=e.label) for e, _ in found]
    scores = [float(s) for _, s in found]
    doc.spans[span_key] = SpanGroup(doc, name=span_key, attrs={"scores": scores}, spans=spans)
    order = sorted(range(len(found)), key=lambda k: (-scores[k], spans[k].start, spans[k].end))
    taken: List[Span] = []
    for k in order:
        if all(spans[k].end <= t.start or t.end <= spans[k].start for t in taken):
            taken.append(spans[k])
    doc.ents = sorted(taken, key=lambda s: s.start)


class ProjectorComponent:
    """The ``xproj_projector`` pipe: projects entities across ``doc._.xproj_translation``."""

    def __init__(self, nlp: Language, name: str, projector: Projector, source: str, span_key: str) -> None:
        if source not in ("translation", "doc"):
            raise ConfigError(
                f"source must be 'translation' (translate-test) or 'doc' (translate-train), got {source!r}"
            )
        install_extensions()
        self.name = name
        self.projector = projector
        self.source = source
        self.span_key = span_key

    def _target(self, doc: Doc) -> Doc:
        return doc if self.source == "translation" else doc._.xproj_translation

    def __call__(self, doc: Doc) -> Doc:
        inp = projection_input_from_doc(doc, self.source)
        write_projections(self._target(doc), self.projector(inp), self.span_key)
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for docs in minibatch(stream, size=batch_size):
            inputs = [projection_input_from_doc(doc, self.source) for doc in docs]
            for doc, found in zip(docs, project_many(self.projector, inputs)):
                write_projections(self._target(doc), found, self.span_key)
                yield doc

    # -- learned scores -------------------------------------------------------------------
    def _learned_scorer(self) -> Any:
        """The projector's scorer when it can be fitted (``spacy-xproj.LearnedScore.v1``), else None."""
        scorer = getattr(self.projector, "scorer", None)
        return scorer if callable(getattr(scorer, "fit", None)) and hasattr(scorer, "model") else None

    def gold_examples(self, examples: Iterable[Any]) -> List[Tuple[ProjectionInput, List[Entity]]]:
        """``(projection input, gold target entities)`` of spaCy Examples: the input is read from
        the predicted Doc (translation, alignment and source entities), the gold target entities
        from the reference Doc (``source="translation"``: its ``.ents``; ``source="doc"``: the
        ``.ents`` of its translation, else of the predicted Doc's translation). Examples without a
        translation and an alignment are skipped."""
        out: List[Tuple[ProjectionInput, List[Entity]]] = []
        for eg in examples:
            doc = eg.predicted if eg.predicted._.xproj_translation is not None else eg.reference
            if doc._.xproj_translation is None or doc._.xproj_alignment is None:
                continue  # e.g. the placeholder example of a bare nlp.initialize()
            inp = projection_input_from_doc(doc, self.source)
            if self.source == "translation":
                target = eg.reference
            else:
                target = eg.reference._.xproj_translation or doc._.xproj_translation
            out.append((inp, [Entity(e.start, e.end, e.label_) for e in target.ents]))
        return out

    def initialize(
        self,
        get_examples: Optional[Callable[[], Iterable[Any]]] = None,
        *,
        nlp: Optional[Language] = None,
        l2: float = 1.0,
    ) -> None:
        """Fit a learned scorer (``spacy-xproj.LearnedScore.v1``) on gold examples; other projectors
        have nothing to learn and ignore the call.

        Each Example's predicted Doc carries the source side (``doc._.xproj_translation`` with
        entities, ``doc._.xproj_alignment``) and its reference Doc the gold target entities. The
        fitted weights are saved with the pipeline (``to_disk`` writes ``fusion.json``). Without
        such examples (a bare ``nlp.initialize()``) the current weights are kept.
        """
        scorer = self._learned_scorer()
        if scorer is None or get_examples is None:
            return
        pairs = self.gold_examples(get_examples())
        if not pairs:
            return  # nothing to fit on (a bare nlp.initialize()): keep the current weights
        scorer.fit(pairs, getattr(self.projector, "extractor", None), l2=l2,
                   meta={"fitted_on": f"{len(pairs)} examples given to nlp.initialize"})

    # -- serialisation --------------------------------------------------------------------
    def _state(self) -> bytes:
        scorer = self._learned_scorer()
        return scorer.model.to_bytes() if scorer is not None else b""

    def _load_state(self, data: bytes) -> None:
        scorer = self._learned_scorer()
        if scorer is not None and data:
            from .learned import FusionModel

            scorer.model = FusionModel.from_bytes(data)

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        import srsly

        return srsly.msgpack_dumps({"fusion": self._state()})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "ProjectorComponent":
        import srsly

        self._load_state(srsly.msgpack_loads(bytes_data).get("fusion", b""))
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = self._state()
        if state:
            (path / FUSION_FILE).write_bytes(state)

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "ProjectorComponent":
        state = Path(path) / FUSION_FILE
        if state.exists():
            self._load_state(state.read_bytes())
        return self


# The best offline configuration measured on Europarl-NER en->de and en->es together
# (docs/projection-quality.md): n-gram candidates (longer ones for long source entities), soft-link
# coverage over alignment link scores and surface similarity (borders at function words
# discounted), greedy matching; names continued over adjacent unlinked capitalised words
# (`Reino` -> `Reino Unido`); one-word lower-case projections of capitalised names (derived
# forms: `Europe` -> `europäischen`) are labelled MISC.
# Only the parts are named: every setting (constraint "<=", n_proj 1, max_len 10, ...) takes the
# registered functions' defaults, which spaCy fills into ``nlp.config``.
DEFAULT_PROJECTOR_CONFIG = """
[projector]
@xproj_projectors = "spacy-xproj.CandidateProjector.v1"

[projector.extractor]
@xproj_candidates = "spacy-xproj.NgramCandidates.v2"

[projector.scorer]
@xproj_scorers = "spacy-xproj.CoverageScore.v2"

[projector.solver]
@xproj_solvers = "spacy-xproj.GreedySolver.v1"

[projector.span_rule]
@xproj_span_rules = "spacy-xproj.NameContinuation.v1"

[projector.label_rule]
@xproj_label_rules = "spacy-xproj.DerivedFormLabel.v2"
"""
DEFAULT_PROJECTOR = Config().from_str(DEFAULT_PROJECTOR_CONFIG)["projector"]


@Language.factory(
    "xproj_projector",
    default_config={"projector": DEFAULT_PROJECTOR, "source": "translation", "span_key": SPAN_KEY},
    assigns=["doc.ents", "doc.spans"],
)
def make_projector(
    nlp: Language, name: str, projector: Projector, source: str, span_key: str
) -> ProjectorComponent:
    """Project entities between a Doc and ``doc._.xproj_translation`` using ``doc._.xproj_alignment``.

    ``source = "translation"`` (translate-test): from the translation onto the doc;
    ``source = "doc"`` (translate-train): from the doc onto its translation. The target Doc gets
    non-overlapping ``.ents`` and every projection with its score in ``spans[span_key]``
    (scores in ``.attrs["scores"]``).
    """
    return ProjectorComponent(nlp, name, projector, source, span_key)

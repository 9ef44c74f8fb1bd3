"""The package's own catalogue registries.

They are added to ``spacy.registry`` (the spacy-llm pattern), so configs refer to them as
``@xproj_aligners = "spacy-xproj.Eflomal.v1"`` and other packages can add backends through the
entry-point groups ``thinc_xproj_<name>`` (e.g. ``thinc_xproj_aligners``).

Registered names are versioned: a ``.v1`` never changes behaviour; a ``.v2`` is added instead.
"""
from __future__ import annotations

from spacy.util import registry

REGISTRY_NAMES = (
    "xproj_translators",  # text -> text backends (HF seq2seq, ...)
    "xproj_labellers",  # source NER backends (HF token classification, spaCy pipelines)
    "xproj_aligners",  # word aligners (SimAlign, AWESoME-style, eflomal, ...)
    "xproj_candidates",  # candidate extractors for candidate matching
    "xproj_scorers",  # matching scores c[p, t]
    "xproj_solvers",  # matching solvers (greedy, MILP, fast exact)
    "xproj_projectors",  # projection methods (heuristic, candidate matching)
    "xproj_filters",  # pair / sentence filters and partial annotation of projected training data
    "xproj_label_rules",  # the label a projection gets on the target side (derived forms of names)
    "xproj_span_rules",  # adjustments of the chosen target spans (names continued over capitalised words)
)

for _name in REGISTRY_NAMES:
    if not hasattr(registry, _name):
        registry.create(_name, entry_points=True)

translators = registry.xproj_translators  # type: ignore[attr-defined]
labellers = registry.xproj_labellers  # type: ignore[attr-defined]
aligners = registry.xproj_aligners  # type: ignore[attr-defined]
candidates = registry.xproj_candidates  # type: ignore[attr-defined]
scorers = registry.xproj_scorers  # type: ignore[attr-defined]
solvers = registry.xproj_solvers  # type: ignore[attr-defined]
projectors = registry.xproj_projectors  # type: ignore[attr-defined]
filters = registry.xproj_filters  # type: ignore[attr-defined]
label_rules = registry.xproj_label_rules  # type: ignore[attr-defined]
span_rules = registry.xproj_span_rules  # type: ignore[attr-defined]

"""Each default lives in one place: the registered function (or a component factory's
``default_config``). Classes and the pure functions behind a registered function take those
settings as required arguments; components' default configs name backends without re-listing their
settings; command-line options default to "not given" (None) and the command resolves a config
through the registry. These checks read signatures, so a default copied anywhere else fails them."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest
import typer
from spacy.util import registry

import spacy_xproj  # noqa: F401  (registers everything)
from spacy_xproj.align.awesome import AwesomeAligner
from spacy_xproj.align.component import XprojAligner
from spacy_xproj.align.eflomal_backend import EflomalAligner
from spacy_xproj.align.simalign_backend import SimAlignAligner
from spacy_xproj.candidate_tagger.component import CandidateTagger
from spacy_xproj.label.component import XprojLabeller
from spacy_xproj.label.hf import HFTokenClassifier
from spacy_xproj.label.spacy_pipeline import SpacyLabeller
from spacy_xproj.projection import candidates, exact, heuristic, scores, solvers, span_rules
from spacy_xproj.projection.component import CandidateProjector, HeuristicProjector
from spacy_xproj.translate.component import XprojTranslator
from spacy_xproj.translate.hf import HFTranslator
from spacy_xproj.translate.nmtscore import NMTScorer, mean_logprobs

# (implementation, registry, registered name): the implementation must not default any setting
# that the registered function has, and must expose every setting through it
IMPLEMENTATIONS = [
    (EflomalAligner, "xproj_aligners", "spacy-xproj.Eflomal.v2"),
    (SimAlignAligner, "xproj_aligners", "spacy-xproj.SimAlign.v1"),
    (AwesomeAligner, "xproj_aligners", "spacy-xproj.Awesome.v1"),
    (HFTranslator, "xproj_translators", "spacy-xproj.HFTranslator.v1"),
    (HFTokenClassifier, "xproj_labellers", "spacy-xproj.HFTokenClassifier.v1"),
    (SpacyLabeller, "xproj_labellers", "spacy-xproj.SpacyLabeller.v2"),
    (NMTScorer, "xproj_scorers", "spacy-xproj.NMTScore.v1"),
    (HeuristicProjector, "xproj_projectors", "spacy-xproj.HeuristicProjector.v1"),
    (CandidateProjector, "xproj_projectors", "spacy-xproj.CandidateProjector.v1"),
    (exact.ExactSolver, "xproj_solvers", "spacy-xproj.ExactSolver.v1"),
]
# pure functions a registered function delegates to: no default for a setting it shares
DELEGATES = [
    (heuristic.project_heuristic, "xproj_projectors", "spacy-xproj.HeuristicProjector.v1"),
    (heuristic.heuristic_ranges, "xproj_projectors", "spacy-xproj.HeuristicProjector.v1"),
    (candidates.ngrams, "xproj_candidates", "spacy-xproj.NgramCandidates.v1"),
    (candidates.ngram_limit, "xproj_candidates", "spacy-xproj.NgramCandidates.v2"),
    (span_rules.continue_names, "xproj_span_rules", "spacy-xproj.NameContinuation.v1"),
    (scores.evidence_matrix, "xproj_scorers", "spacy-xproj.CoverageScore.v1"),
    (scores.coverage_scores, "xproj_scorers", "spacy-xproj.CoverageScore.v1"),
    (scores.ner_class_scores, "xproj_scorers", "spacy-xproj.NerScore.v1"),
    (scores.ner_class_scores, "xproj_scorers", "spacy-xproj.NerSpansScore.v1"),
    (solvers.solve_milp, "xproj_solvers", "spacy-xproj.MilpSolver.v1"),
    (exact.solve_exact, "xproj_solvers", "spacy-xproj.ExactSolver.v1"),
    (mean_logprobs, "xproj_scorers", "spacy-xproj.NMTScore.v1"),
]
# settings a class takes in another form than its registered function
RENAMED = {"priors_from"}  # eflomal: the function takes a corpus path and languages instead


def _params(func: Callable[..., Any]) -> Dict[str, inspect.Parameter]:
    target = func.__init__ if inspect.isclass(func) else func  # type: ignore[misc]
    params = dict(inspect.signature(target).parameters)
    params.pop("self", None)
    return params


def _registered(registry_name: str, name: str) -> Callable[..., Any]:
    return getattr(registry, registry_name).get(name)


def _defaulted(params: Dict[str, inspect.Parameter]) -> Dict[str, Any]:
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("impl, reg, name", IMPLEMENTATIONS, ids=[i[0].__name__ for i in IMPLEMENTATIONS])
def test_class_has_no_defaults_registered_function_has_them(impl, reg, name) -> None:
    fn_params = _params(_registered(reg, name))
    params = _params(impl)
    shared = set(params) & set(fn_params)
    assert shared, f"{impl.__name__} shares no setting with {name}: wrong pairing"
    repeated = sorted(k for k in _defaulted(params) if k in fn_params)
    assert not repeated, f"{impl.__name__} repeats defaults of {name}: {repeated}"
    for p in params.values():
        if p.default is inspect.Parameter.empty and p.name not in RENAMED:
            assert p.name in fn_params, f"{name} does not expose {p.name!r} of {impl.__name__}"


@pytest.mark.parametrize("func, reg, name", DELEGATES, ids=[f"{d[0].__name__}-{d[2]}" for d in DELEGATES])
def test_pure_functions_take_the_registered_settings_as_arguments(func, reg, name) -> None:
    fn_params = _params(_registered(reg, name))
    params = _params(func)
    repeated = sorted(k for k in _defaulted(params) if k in fn_params)
    assert not repeated, f"{func.__name__} repeats defaults of {name}: {repeated}"


def _block_names(block: Any) -> Iterator[Tuple[str, Dict[str, Any]]]:
    if isinstance(block, dict):
        ref = next((str(v) for k, v in block.items() if str(k).startswith("@")), None)
        if ref is not None:
            yield ref, block
        for v in block.values():
            yield from _block_names(v)


@pytest.mark.parametrize(
    "factory", ["xproj_translator", "xproj_labeller", "xproj_aligner", "xproj_projector", "xproj_candidate_tagger"]
)
def test_component_default_configs_name_backends_without_their_settings(factory) -> None:
    """A backend block in a factory's default_config names the registered function and sets
    nothing that function already defaults (spaCy fills those in)."""
    from spacy.language import Language

    config = Language.get_factory_meta(factory).default_config
    for ref, block in _block_names(config):
        at = next(k for k in block if str(k).startswith("@"))
        reg = str(at)[1:]
        if not reg.startswith("xproj_"):
            continue  # spaCy's own registries (architectures, scorers)
        fn_defaults = _defaulted(_params(_registered(reg, ref)))
        repeated = sorted(k for k, v in block.items() if k in fn_defaults and not isinstance(v, dict))
        assert not repeated, f"{factory}: the {ref} block repeats its registered defaults {repeated}"


@pytest.mark.parametrize(
    "cls, factory",
    [(XprojTranslator, "xproj_translator"), (XprojLabeller, "xproj_labeller"), (XprojAligner, "xproj_aligner"),
     (CandidateTagger, "xproj_candidate_tagger")],
)
def test_component_classes_take_the_factory_settings_as_arguments(cls, factory) -> None:
    from spacy.language import Language

    config = Language.get_factory_meta(factory).default_config
    repeated = sorted(k for k in _defaulted(_params(cls)) if k in config)
    assert not repeated, f"{cls.__name__} repeats the defaults of the {factory} factory: {repeated}"


def _command(name: str) -> Callable[..., Any]:
    from spacy_xproj.cli.app import app

    for info in app.registered_commands:
        if info.name == name:
            return info.callback
    raise AssertionError(f"no command {name}")


def _options(command: Callable[..., Any]) -> Dict[str, Any]:
    out = {}
    for p in inspect.signature(command).parameters.values():
        if isinstance(p.default, typer.models.OptionInfo):
            out[p.name] = p.default.default
    return out


CLI_SETTINGS = {
    # command: (registered functions whose settings the command's options stand for)
    "project": [("xproj_projectors", "spacy-xproj.HeuristicProjector.v1"),
                ("xproj_projectors", "spacy-xproj.CandidateProjector.v1"),
                ("xproj_candidates", "spacy-xproj.NgramCandidates.v1")],
    "label": [("xproj_labellers", "spacy-xproj.HFTokenClassifier.v1"),
              ("xproj_labellers", "spacy-xproj.SpacyLabeller.v2")],
    "translate": [("xproj_translators", "spacy-xproj.HFTranslator.v1")],
    "align": [("xproj_aligners", "spacy-xproj.Eflomal.v2")],
}


@pytest.mark.parametrize("command", sorted(CLI_SETTINGS))
def test_cli_options_for_registered_settings_default_to_not_given(command) -> None:
    settings = set()
    for reg, name in CLI_SETTINGS[command]:
        settings |= set(_params(_registered(reg, name)))
    options = _options(_command(command))
    shared = sorted(set(options) & settings)
    assert shared, f"xproj {command}: no option matches a registered setting (renamed?)"
    defaulted = {k: options[k] for k in shared if options[k] is not None and options[k] is not ...}
    assert not defaulted, f"xproj {command} repeats registered defaults in its options: {defaulted}"


def test_cli_builds_the_config_the_registry_resolves() -> None:
    """No option given: the command's projector is the component's default projector, built
    from the same config; a given option appears in the config, nothing else does."""
    from spacy_xproj.cli.project import build_projector_config
    from spacy_xproj.projection.component import DEFAULT_PROJECTOR

    assert build_projector_config() == dict(DEFAULT_PROJECTOR)
    heuristic_cfg = build_projector_config("heuristic", merge_distance=2, length_ratio_threshold=None)
    assert heuristic_cfg == {
        "@xproj_projectors": "spacy-xproj.HeuristicProjector.v1", "merge_distance": 2, "length_ratio_threshold": None,
    }
    resolved = registry.resolve({"p": heuristic_cfg})["p"]
    fn_defaults = _defaulted(_params(_registered("xproj_projectors", "spacy-xproj.HeuristicProjector.v1")))
    assert resolved.top_k == fn_defaults["top_k"] and resolved.only_i == fn_defaults["only_i"]
    assert resolved.merge_distance == 2 and resolved.length_ratio_threshold is None

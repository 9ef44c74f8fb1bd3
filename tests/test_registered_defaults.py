"""Registered functions repeat their class's keyword defaults (the spaCy pattern: the registered
function is what configs see, the class is what Python users call). They must not drift apart."""
from __future__ import annotations

import inspect

import pytest

from spacy_xproj.align.awesome import AwesomeAligner, make_awesome
from spacy_xproj.align.eflomal_backend import EflomalAligner, create_eflomal_aligner
from spacy_xproj.align.simalign_backend import SimAlignAligner, make_simalign
from spacy_xproj.translate.hf import HFTranslator, make_hf_translator


def _defaults(func) -> dict:
    return {
        name: p.default
        for name, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


@pytest.mark.parametrize(
    "registered, cls",
    [
        (create_eflomal_aligner, EflomalAligner),
        (make_simalign, SimAlignAligner),
        (make_awesome, AwesomeAligner),
        (make_hf_translator, HFTranslator),
    ],
)
def test_registered_function_and_class_share_defaults(registered, cls) -> None:
    fn, klass = _defaults(registered), _defaults(cls.__init__)
    shared = set(fn) & set(klass)
    assert len(shared) >= 3, f"{registered.__name__} and {cls.__name__} share too few parameters to compare"
    drift = {k: (fn[k], klass[k]) for k in shared if fn[k] != klass[k]}
    assert not drift, f"{registered.__name__} vs {cls.__name__}: differing defaults {drift}"

"""A backend's defaults live in its registered function only: the classes take every setting as a
required argument, so a default cannot drift between the two."""
from __future__ import annotations

import inspect

import pytest

from spacy_xproj.align.awesome import AwesomeAligner
from spacy_xproj.align.eflomal_backend import EflomalAligner
from spacy_xproj.align.simalign_backend import SimAlignAligner
from spacy_xproj.registry import aligners, translators
from spacy_xproj.translate.hf import HFTranslator


@pytest.mark.parametrize(
    "cls, registered",
    [
        (EflomalAligner, ("aligners", "spacy-xproj.Eflomal.v2")),  # the default eflomal backend
        (SimAlignAligner, ("aligners", "spacy-xproj.SimAlign.v1")),
        (AwesomeAligner, ("aligners", "spacy-xproj.Awesome.v1")),
        (HFTranslator, ("translators", "spacy-xproj.HFTranslator.v1")),
    ],
    ids=["eflomal", "simalign", "awesome", "hf-translator"],
)
def test_class_has_no_defaults_registered_function_has_them(cls, registered) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    with_defaults = [p.name for p in params if p.default is not inspect.Parameter.empty]
    assert not with_defaults, f"{cls.__name__} repeats defaults of its registered function: {with_defaults}"
    registry = {"aligners": aligners, "translators": translators}[registered[0]]
    fn = registry.get(registered[1])
    fn_params = inspect.signature(fn).parameters
    # every setting of the class is configurable through the registered function, with a default
    for p in params:
        if p.name == "priors_from":  # the function takes a corpus path and languages instead
            continue
        assert p.name in fn_params, f"{registered[1]} does not expose {p.name!r}"
    assert all(p.default is not inspect.Parameter.empty for p in fn_params.values())

"""spacy-llm as the translator: its translation task writes a string to ``doc._.translation``;
spacy-xproj tokenises it into ``doc._.xproj_translation`` and aligns, labels and projects as usual.

The LLM is a stub backend registered here (no network): it answers spacy-llm's real prompts from a
small dictionary, so the task object, its prompt template and its response parser are spacy-llm's own.
"""
from __future__ import annotations

from typing import Dict, Iterable, List

import pytest
from conftest import require_module
import spacy
from spacy.tokens import Doc

spacy_llm = require_module("spacy_llm")  # in the test extra
from spacy_llm.registry import registry as llm_registry  # noqa: E402

from spacy_xproj.doc import translation_from_text  # noqa: E402
from spacy_xproj.errors import ConfigError, InputError  # noqa: E402
from spacy_xproj.registry import aligners  # noqa: E402
from spacy_xproj.types import Alignment  # noqa: E402

GERMAN_TO_ENGLISH: Dict[str, str] = {
    "Angela Merkel besuchte gestern Paris .": "Yesterday, Angela Merkel visited Paris.",
    "Die Kommission tagt in Brüssel .": "The Commission meets in Brussels.",
}
PROMPTS: List[str] = []


@llm_registry.llm_models("xproj-test.DictTranslator.v1")
def make_dict_translator():
    def translate(prompts: Iterable[Iterable[str]]) -> Iterable[Iterable[str]]:
        out = []
        for shards in prompts:
            answers = []
            for prompt in shards:
                PROMPTS.append(prompt)
                text = prompt.rsplit("Text:", 1)[1].split("Translation:")[0].strip()
                answers.append(" " + GERMAN_TO_ENGLISH[text] + "\n")
            out.append(answers)
        return out

    return translate


@aligners.register("xproj-test.SameWord.v1")
def make_same_word_aligner():
    """Links words with the same text (enough for names): a stand-in for a real aligner."""

    def align(src: List[List[str]], tgt: List[List[str]]) -> List[Alignment]:
        return [Alignment([(i, j) for i, a in enumerate(s) for j, b in enumerate(t) if a == b]) for s, t in zip(src, tgt)]

    return align


def _llm_pipeline(with_adapter: bool = True) -> spacy.Language:
    nlp = spacy.blank("de")
    nlp.add_pipe(
        "llm",
        config={
            "task": {"@llm_tasks": "spacy.Translation.v1", "source_lang": "German", "target_lang": "English"},
            "model": {"@llm_models": "xproj-test.DictTranslator.v1"},
            "save_io": False,
        },
    )
    if with_adapter:
        nlp.add_pipe("xproj_text_translation", config={"lang": "English"})
    return nlp


def test_llm_task_string_becomes_english_tokens() -> None:
    nlp = _llm_pipeline()
    from spacy_llm.tasks.translation import TranslationTask

    assert isinstance(nlp.get_pipe("llm").task, TranslationTask)  # spacy-llm's own task object
    doc = nlp("Angela Merkel besuchte gestern Paris .")
    assert isinstance(doc._.translation, str)  # what spacy-llm wrote, untouched
    assert "from German to English" in PROMPTS[-1]
    words = [t.text for t in doc._.xproj_translation]
    # the English tokenizer splits the comma and the final full stop off
    assert words == ["Yesterday", ",", "Angela", "Merkel", "visited", "Paris", "."]
    assert doc._.xproj_translation.lang_ == "en"


def test_llm_translation_feeds_labeller_aligner_projector(tmp_path) -> None:
    nlp = _llm_pipeline()
    ruler = spacy.blank("en")
    ruler.add_pipe("entity_ruler").add_patterns(
        [{"label": "PER", "pattern": "Angela Merkel"}, {"label": "LOC", "pattern": "Paris"}]
    )
    ruler.to_disk(tmp_path / "ruler")
    # the source NER labels the English translation; a heuristic aligner links equal words
    nlp.add_pipe("xproj_labeller", config={"target": "translation", "labeller": {
        "@xproj_labellers": "spacy-xproj.SpacyLabeller.v1", "model": str(tmp_path / "ruler")}})
    nlp.add_pipe("xproj_aligner", config={"aligner": {"@xproj_aligners": "xproj-test.SameWord.v1"}})
    nlp.add_pipe("xproj_projector", config={"source": "translation"})
    doc = nlp("Angela Merkel besuchte gestern Paris .")
    assert [(e.text, e.label_) for e in doc._.xproj_translation.ents] == [("Angela Merkel", "PER"), ("Paris", "LOC")]
    assert [(e.text, e.label_) for e in doc.ents] == [("Angela Merkel", "PER"), ("Paris", "LOC")]


def test_string_without_adapter_uses_multilanguage_tokenizer() -> None:
    nlp = _llm_pipeline(with_adapter=False)
    doc = nlp("Die Kommission tagt in Brüssel .")
    assert [t.text for t in doc._.xproj_translation] == ["The", "Commission", "meets", "in", "Brussels", "."]


def test_translation_from_text_clears_alignment_and_checks_types() -> None:
    nlp = spacy.blank("de")
    doc = nlp("Hallo Welt")
    doc._.xproj_alignment = "stale"
    translation_from_text(doc, "Hello world!", "en")
    assert doc._.xproj_alignment is None
    assert [t.text for t in doc._.xproj_translation] == ["Hello", "world", "!"]
    with pytest.raises(TypeError, match="must be a Doc"):
        doc._.xproj_translation = "a string"
    with pytest.raises(ConfigError, match="unknown language"):
        nlp.add_pipe("xproj_text_translation", config={"lang": "Klingonish"})
    adapter = nlp.add_pipe("xproj_text_translation", config={"lang": "en"})
    with pytest.raises(InputError, match="doc._.translation is not set"):
        adapter(nlp("ohne Übersetzung"))
    assert Doc.has_extension("translation")

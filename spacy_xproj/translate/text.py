"""The ``xproj_text_translation`` component: a translation given as a string becomes a Doc.

Translators outside spacy-xproj write plain strings. spacy-llm's translation task
(``spacy.Translation.v1``), for example, stores the LLM's answer in ``doc._.translation``. This
component, placed after such a step, splits the string into words with the tokenizer of the
translation's language and puts the result in ``doc._.xproj_translation``, where the aligner,
labeller and projector read it — so an LLM can serve as the translator::

    nlp.add_pipe("llm", config={"task": {"@llm_tasks": "spacy.Translation.v1", "target_lang": "English"}, ...})
    nlp.add_pipe("xproj_text_translation", config={"lang": "en"})
    nlp.add_pipe("xproj_labeller", config={"target": "translation"})

Without the component, ``doc._.xproj_translation`` still picks up a string in
``doc._.translation``, but tokenises it with the multi-language tokenizer.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from ..doc import ALIGNMENT, LLM_TRANSLATION, TRANSLATION, install_extensions, language_code, translation_from_text
from ..errors import ConfigError, InputError


class TextTranslation:
    """Reads ``doc._.<field>`` (a string) and sets ``doc._.xproj_translation`` (see module doc)."""

    def __init__(self, name: str, *, lang: str, field: str) -> None:
        install_extensions()
        if field in (TRANSLATION, ALIGNMENT):
            raise ConfigError(f"{name}: field must name the extension that holds the text, not {field!r}")
        self.name = name
        self.lang = language_code(lang)  # an unknown language fails here, before any doc
        self.field = field
        if not Doc.has_extension(field):
            Doc.set_extension(field, default=None)

    def __call__(self, doc: Doc) -> Doc:
        text = getattr(doc._, self.field)
        if text is None:
            raise InputError(
                f"{self.name}: doc._.{self.field} is not set for doc {doc.text[:40]!r}; put the step that "
                f"translates (e.g. spacy-llm's spacy.Translation.v1 task) before this component"
            )
        if isinstance(text, Doc):
            text = text.text
        if not isinstance(text, str):
            raise InputError(
                f"{self.name}: doc._.{self.field} must be a string, got {type(text).__name__}"
            )
        translation_from_text(doc, text.strip(), self.lang)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)


@Language.factory(
    "xproj_text_translation",
    default_config={"lang": "en", "field": LLM_TRANSLATION},
    assigns=["doc._.xproj_translation", "doc._.xproj_alignment"],
)
def make_text_translation(nlp: Language, name: str, lang: str, field: str) -> TextTranslation:
    """Tokenise a string translation (``doc._.<field>``, spacy-llm's default ``translation``) in
    language ``lang`` into ``doc._.xproj_translation``."""
    return TextTranslation(name, lang=lang, field=field)

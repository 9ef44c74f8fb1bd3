"""The ``xproj_translator`` component: ``doc._.xproj_translation`` for every doc, batched in ``pipe``.

The translation is a ``Doc`` of the target language (the shared vocab of
``spacy_xproj.doc.vocab_for``); its words come from the target language's tokenizer (per-character
units for scripts without spaces, see :func:`spacy_xproj.translate.languages.split_words`). Any
previous ``doc._.xproj_alignment`` is cleared because it referred to the old translation.

Translate-test chain::

    nlp = spacy.blank("ha")
    nlp.add_pipe("xproj_translator", config={"translator": {"src_lang": "hau", "tgt_lang": "en"}})
    nlp.add_pipe("xproj_labeller", config={"target": "translation"})
    nlp.add_pipe("xproj_aligner")
    nlp.add_pipe("xproj_projector", config={"source": "translation"})
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch
from thinc.api import Config

from ..doc import install_extensions, vocab_for
from . import languages

if TYPE_CHECKING:  # pragma: no cover
    from ..types import Pair

# Only the backend is named: its settings take the registered function's defaults
# (``spacy-xproj.HFTranslator.v1``), which spaCy fills into ``nlp.config``.
DEFAULT_CONFIG_STR = """
[translator]
@xproj_translators = "spacy-xproj.HFTranslator.v1"
"""
DEFAULT_CONFIG = Config().from_str(DEFAULT_CONFIG_STR)


def translation_doc(text: str, lang: str) -> Doc:
    """A ``Doc`` of ``lang`` for a translated text (words from ``split_words``)."""
    words, spaces = languages.split_words(text, lang)
    doc = Doc(vocab_for(languages.spacy_code(lang)), words=words, spaces=spaces)
    doc.user_data["xproj_lang"] = lang
    return doc


class XprojTranslator:
    """Sets ``doc._.xproj_translation`` with a translator ``(texts) -> texts`` (see module docstring)."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        translator: Callable[[List[str]], List[str]],
        *,
        src_lang: Optional[str],
        tgt_lang: Optional[str],
        detokenize: bool,
        overwrite: bool,
        batch_size: int,
    ) -> None:
        install_extensions()
        self.name = name
        self.translator = translator
        self.src_lang = src_lang or getattr(translator, "src_lang", None) or nlp.lang
        self.tgt_lang = tgt_lang or getattr(translator, "tgt_lang", None)
        if not self.tgt_lang:
            raise ValueError(f"{name}: set tgt_lang (the translator does not say its target language)")
        languages.get_language(self.tgt_lang)  # fail early on a bad code
        self.detokenize = detokenize
        self.overwrite = overwrite
        self.batch_size = batch_size

    def text_of(self, doc: Doc) -> str:
        """The text that is translated: the detokenised words (default) or ``doc.text``."""
        if self.detokenize:
            return languages.detokenize([t.text for t in doc if not t.is_space], self.src_lang)
        return doc.text

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, stream: Iterable[Doc], batch_size: Optional[int] = None) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            todo = [d for d in batch if self.overwrite or d._.xproj_translation is None]
            if todo:
                outputs = self._translate([self.text_of(d) for d in todo])
                if len(outputs) != len(todo):
                    raise ValueError(
                        f"{self.name}: the translator returned {len(outputs)} texts for {len(todo)}"
                    )
                for doc, text in zip(todo, outputs):
                    doc._.xproj_translation = translation_doc(text, self.tgt_lang)
                    doc._.xproj_alignment = None
            yield from batch

    def _translate(self, texts: List[str]) -> List[str]:
        if hasattr(self.translator, "translate") and self.src_lang and self.tgt_lang:
            return list(self.translator.translate(texts, self.src_lang, self.tgt_lang))  # type: ignore[attr-defined]
        return list(self.translator(texts))

    # Stateless: the translator is rebuilt from the config; nothing to serialise.
    def to_bytes(self, *, exclude: Sequence[str] = tuple()) -> bytes:
        return b""

    def from_bytes(self, bytes_data: bytes, *, exclude: Sequence[str] = tuple()) -> "XprojTranslator":
        return self

    def to_disk(self, path: Any, *, exclude: Sequence[str] = tuple()) -> None:
        return None

    def from_disk(self, path: Any, *, exclude: Sequence[str] = tuple()) -> "XprojTranslator":
        return self


@Language.factory(
    "xproj_translator",
    assigns=["doc._.xproj_translation", "doc._.xproj_alignment"],
    default_config={
        "translator": DEFAULT_CONFIG["translator"],
        "src_lang": None,
        "tgt_lang": None,
        "detokenize": True,
        "overwrite": True,
        "batch_size": 64,
    },
)
def make_translator(
    nlp: Language,
    name: str,
    translator: Callable[[List[str]], List[str]],
    src_lang: Optional[str],
    tgt_lang: Optional[str],
    detokenize: bool,
    overwrite: bool,
    batch_size: int,
) -> XprojTranslator:
    """Create ``doc._.xproj_translation`` for each doc with a registered translator
    (``@xproj_translators``). ``src_lang``/``tgt_lang`` default to the translator's."""
    return XprojTranslator(
        nlp,
        name,
        translator,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        detokenize=detokenize,
        overwrite=overwrite,
        batch_size=batch_size,
    )


# ------------------------------------------------------------------------- pair-level translation

DIRECTIONS = ("fill-empty", "src2tgt", "tgt2src")


def translate_pairs(
    pairs: Sequence["Pair"],
    translator: Any,
    src_lang: str,
    tgt_lang: str,
    direction: str = "fill-empty",
    warn: Optional[Callable[[str], None]] = None,
) -> List["Pair"]:
    """Translate one side of each pair into the other (the CLI's batch step).

    * ``fill-empty``: a pair with words on one side only gets the other side translated
      (src only -> translate-train; tgt only -> translate-test, i.e. into ``src_lang``);
      pairs with both or no sides filled are returned unchanged (``warn`` is told);
    * ``src2tgt`` / ``tgt2src``: always translate that way, replacing the other side's words
      (its entities, probabilities and the alignment are dropped: they described other words).

    ``translator`` has ``translate(texts, src_lang, tgt_lang)`` (like :class:`HFTranslator`).
    Sentences are detokenised before translation and the output split into words of the target
    language. Returns new pair objects in input order.
    """
    from ..errors import InputError
    from ..types import Side

    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; use one of {', '.join(DIRECTIONS)}")
    want = {"src": languages.nllb_code(src_lang), "tgt": languages.nllb_code(tgt_lang)}
    jobs: Dict[str, List[int]] = {"src2tgt": [], "tgt2src": []}
    for i, pair in enumerate(pairs):
        if direction == "fill-empty":
            has_src, has_tgt = bool(pair.src.words), bool(pair.tgt.words)
            if has_src and not has_tgt:
                jobs["src2tgt"].append(i)
            elif has_tgt and not has_src:
                jobs["tgt2src"].append(i)
            elif warn is not None:
                warn("both sides filled, unchanged" if has_src else "both sides empty, unchanged")
        else:
            jobs[direction].append(i)
    out = list(pairs)
    for job, idx in jobs.items():
        if not idx:
            continue
        from_side, to_side = ("src", "tgt") if job == "src2tgt" else ("tgt", "src")
        from_lang, to_lang = (src_lang, tgt_lang) if job == "src2tgt" else (tgt_lang, src_lang)
        texts = []
        for i in idx:
            side = getattr(pairs[i], from_side)
            try:
                same = languages.nllb_code(side.lang) == want[from_side]
            except Exception:
                same = False
            if not same:
                raise InputError(
                    f"the {from_side} side has language {side.lang!r} but the command was given "
                    f"--{from_side} {src_lang if from_side == 'src' else tgt_lang}",
                    record=pairs[i].id,
                )
            text = pairs[i].meta.get(f"{from_side}_text") if isinstance(pairs[i].meta, dict) else None
            texts.append(text if isinstance(text, str) else languages.detokenize(side.words, from_lang))
        outputs = translator.translate(texts, from_lang, to_lang)
        for i, text in zip(idx, outputs):
            pair = pairs[i]
            words = languages.split_words(text, to_lang)[0]
            new_side = Side(to_lang, words)
            meta = dict(pair.meta)
            meta["translator"] = getattr(translator, "model_name", type(translator).__name__)
            meta["translated"] = job
            src, tgt = (pair.src, new_side) if job == "src2tgt" else (new_side, pair.tgt)
            out[i] = type(pair)(pair.id, src, tgt, None, meta)
    return out

"""MAFAND-MT (Adelani et al., 2022): sentence-aligned news text, JSON Lines, no labels.

Each line is ``{"translation": {"en": "...", "hau": "..."}}`` (``.jsonl`` or gzipped
``.jsonl.gz``). :func:`read_mafand` tokenises both sentences with the language's spaCy tokenizer
(``spacy_xproj.doc.blank(lang)``, the multi-language tokenizer for codes spaCy does not know) after
collapsing whitespace runs (some strings contain runs of spaces and embedded newlines), and yields
pairs without entities.
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, Dict, Iterator, List, Optional, Tuple, Union

from ..doc import blank
from ..errors import InputError
from ..textio import iter_lines, parse_json_line
from ..types import Pair, Side

PathLike = Union[str, Path]


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf8")
    return path.open("r", encoding="utf8")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def read_mafand_lines(
    path: PathLike, src_lang: str = "en", tgt_lang: Optional[str] = None
) -> Iterator[Tuple[int, str, str, str]]:
    """Stream ``(line, src_text, tgt_text, tgt_lang)`` from a MAFAND-MT JSONL file, validated."""
    path = Path(path)
    # iter_lines: errors (missing file, bad UTF-8, damaged .gz) name the file and line
    for lineno, line in iter_lines(path):
        value = parse_json_line(line, path, lineno, "one sentence pair")
        tr = value.get("translation") if isinstance(value, dict) else None
        if not isinstance(tr, dict):
            raise InputError('expected an object {"translation": {"<lang>": "...", ...}}', path, lineno)
        lang = tgt_lang
        if lang is None:
            others = [k for k in tr if k != src_lang]
            if len(others) != 1:
                raise InputError(
                    f"cannot tell the target language from keys {sorted(tr)} (give tgt_lang)", path, lineno
                )
            lang = others[0]
        texts = []
        for code in (src_lang, lang):
            text = tr.get(code)
            if not isinstance(text, str):
                raise InputError(f"no {code!r} sentence (keys: {sorted(tr)})", path, lineno)
            if not text.strip():
                raise InputError(f"the {code!r} sentence is empty", path, lineno)
            texts.append(" ".join(text.split()))
        yield lineno, texts[0], texts[1], lang


def mafand_source_language(path: PathLike, tgt_lang: str) -> str:
    """The source language of a MAFAND-MT file for target ``tgt_lang``: the other key of its first
    line's ``"translation"`` (``fr`` for an ``fr-wol`` file and ``wol``)."""
    path = Path(path)
    for lineno, line in iter_lines(path):
        value = parse_json_line(line, path, lineno, "one sentence pair")
        tr = value.get("translation") if isinstance(value, dict) else None
        keys = sorted(tr) if isinstance(tr, dict) else []
        others = [k for k in keys if k != tgt_lang]
        if tgt_lang not in keys or len(others) != 1:
            raise InputError(
                f"cannot tell the source language for target {tgt_lang!r} from keys {keys} (give --src-lang)",
                path, lineno,
            )
        return others[0]
    raise InputError("the file is empty: no sentence pair to tell the languages from", path)


def read_mafand(
    path: PathLike,
    src_lang: str = "en",
    tgt_lang: Optional[str] = None,
    id_prefix: Optional[str] = None,
    batch_size: int = 256,
) -> Iterator[Pair]:
    """Stream MAFAND-MT sentence pairs as pairs with tokenised words and no entities.

    ``src_lang`` / ``tgt_lang`` choose which key of ``"translation"`` is which side (swap them to
    make the African language the source); ``tgt_lang=None`` takes the key that is not ``src_lang``.
    Ids are ``<id_prefix>/<k>`` (default ``mafand/<src>-<tgt>/<split>``), ``k`` the 0-based line.
    """
    path = Path(path)
    tokenizers: Dict[str, object] = {}

    def words_of(lang: str, texts: List[str]) -> List[List[str]]:
        if lang not in tokenizers:
            tokenizers[lang] = blank(lang).tokenizer
        tok = tokenizers[lang]
        return [[t.text for t in doc if not t.is_space] for doc in tok.pipe(texts)]  # type: ignore[attr-defined]

    def flush(batch: List[Tuple[int, str, str, str]]) -> Iterator[Pair]:
        tgt_codes = {b[3] for b in batch}
        for code in sorted(tgt_codes):
            part = [b for b in batch if b[3] == code]
            src_words = words_of(src_lang, [b[1] for b in part])
            tgt_words = words_of(code, [b[2] for b in part])
            for (lineno, _, _, lang), sw, tw in zip(part, src_words, tgt_words):
                prefix = id_prefix if id_prefix is not None else f"mafand/{src_lang}-{lang}/{_stem(path)}"
                yield lineno, Pair(f"{prefix}/{lineno - 1}", Side(src_lang, sw), Side(lang, tw), None, {})

    batch: List[Tuple[int, str, str, str]] = []
    for item in read_mafand_lines(path, src_lang, tgt_lang):
        batch.append(item)
        if len(batch) >= batch_size:
            yield from (p for _, p in sorted(flush(batch), key=lambda x: x[0]))
            batch = []
    if batch:
        yield from (p for _, p in sorted(flush(batch), key=lambda x: x[0]))

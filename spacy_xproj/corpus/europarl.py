"""Europarl-NER (Agerri et al., 2018): sentence-parallel CoNLL files, ``TOKEN\\tTAG``, IOB2.

The folder holds ``<lang>-europarl.test.conll02`` per language; the k-th sentence of one language
is the translation of the k-th sentence of every other. :func:`read_europarl` pairs them by
position, with the gold entities on both sides (the intrinsic projection benchmark: project the
``src`` entities, score against the ``tgt`` gold).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Union

from ..errors import InputError
from ..types import Pair, Side
from .conll import read_conll_file

PathLike = Union[str, Path]


def europarl_file(folder: PathLike, lang: str) -> Path:
    """The Europarl-NER file of ``lang`` inside ``folder``."""
    return Path(folder) / f"{lang}-europarl.test.conll02"


def read_europarl(folder: PathLike, src: str = "en", tgt: str = "de") -> List[Pair]:
    """Read the ``src`` and ``tgt`` files of a Europarl-NER folder as sentence pairs.

    Ids are ``europarl-ner/<src>-<tgt>/<k>``; ``meta["conll"]`` keeps each side's CoNLL layout so
    either side can be written back. A clear error is raised when a file is missing or the two files
    do not have the same number of sentences (nothing is dropped or re-paired).
    """
    sides = {}
    for lang in (src, tgt):
        path = europarl_file(folder, lang)
        if not path.exists():
            raise InputError(f"Europarl-NER file for language {lang!r} not found", path)
        sides[lang] = (path, read_conll_file(path))
    (src_path, src_sents), (tgt_path, tgt_sents) = sides[src], sides[tgt]
    if len(src_sents) != len(tgt_sents):
        raise InputError(
            f"the files are not sentence-parallel: {src_path.name} has {len(src_sents)} sentences, "
            f"{tgt_path.name} has {len(tgt_sents)}",
            Path(folder),
        )
    pairs = []
    for k, (s, t) in enumerate(zip(src_sents, tgt_sents)):
        pairs.append(
            Pair(
                f"europarl-ner/{src}-{tgt}/{k}",
                Side(src, s.words, s.entities),
                Side(tgt, t.words, t.entities),
                None,
                {"conll": {"src": s.meta(), "tgt": t.meta()}},
            )
        )
    return pairs

"""DocBin (``.spacy``) files for ``spacy train``: one side of each pair as a ``Doc``.

Each doc carries the side's words (a space after every word) and its entities in ``doc.ents``;
the pair id is kept in ``doc.user_data["xproj_id"]``. A side whose entities overlap (raw
projections) cannot be represented in ``doc.ents``: the first non-overlapping entities by start go
to ``doc.ents`` and all of them to ``doc.spans["xproj_ents"]`` (read back losslessly); the writer
counts such docs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

from spacy.tokens import DocBin

from ..atomic import atomic_open
from ..doc import side_to_doc, vocab_for
from ..errors import InputError
from ..types import Entity, Pair, Side

PathLike = Union[str, Path]


def write_docbin(path: PathLike, pairs: Iterable[Pair], side: str = "tgt", stats: Optional[dict] = None) -> int:
    """Write the ``side`` of every pair to a ``.spacy`` DocBin atomically; returns the doc count.

    ``stats`` (optional dict) receives ``overlapping`` (docs whose entities overlap) and ``empty``
    (docs without words; written as they are, so counts in equal counts out).
    """
    if side not in ("src", "tgt"):
        raise ValueError(f"side must be 'src' or 'tgt', got {side!r}")
    path = Path(path)
    db = DocBin(store_user_data=True)
    n = 0
    stats = stats if stats is not None else {}
    stats.setdefault("overlapping", 0)
    stats.setdefault("empty", 0)
    for pair in pairs:
        s: Side = getattr(pair, side)
        try:
            doc = side_to_doc(Side(s.lang, s.words, s.ents), vocab_for(s.lang))
        except (ValueError, IndexError) as err:
            raise InputError(f"{side} side cannot be a Doc: {err}", record=pair.id) from None
        if "xproj_ents" in doc.spans:
            stats["overlapping"] += 1
        missing = pair.meta.get("xproj_missing") if side == "tgt" else None
        if missing:
            _set_missing(doc, missing, pair.id)
            stats["partial"] = stats.get("partial", 0) + 1
        if not s.words:
            stats["empty"] += 1
        doc.user_data["xproj_id"] = pair.id
        db.add(doc)
        n += 1
    with atomic_open(path, "wb") as fh:
        fh.write(db.to_bytes())
    return n


def _set_missing(doc, ranges, pair_id: str) -> None:
    """Mark the word ranges ``[[start, end), ...]`` (outside entities) as missing: unknown, not ``O``."""
    from spacy.tokens import Span

    in_ents = {i for e in doc.ents for i in range(e.start, e.end)}
    spans = []
    for item in ranges:
        try:
            start, end = int(item[0]), int(item[1])
        except (TypeError, ValueError, IndexError):
            raise InputError(f"meta xproj_missing must be [[start, end], ...], got {item!r}", record=pair_id) from None
        if not 0 <= start < end <= len(doc):
            raise InputError(f"missing range {[start, end]} is outside the sentence ({len(doc)} words)", record=pair_id)
        for i in range(start, end):
            if i not in in_ents:
                spans.append(Span(doc, i, i + 1))
    doc.set_ents([], missing=spans, default="unmodified")


def read_docbin(
    path: PathLike,
    lang: str = "xx",
    side: str = "tgt",
    other_lang: Optional[str] = None,
    id_prefix: Optional[str] = None,
) -> Iterator[Pair]:
    """Read a ``.spacy`` DocBin back as pairs: each doc becomes ``side`` (the other side is empty).

    Ids come from ``doc.user_data["xproj_id"]`` when the file was written by :func:`write_docbin`,
    else ``<id_prefix>/<k>`` (default: the file stem).
    """
    if side not in ("src", "tgt"):
        raise ValueError(f"side must be 'src' or 'tgt', got {side!r}")
    path = Path(path)
    try:
        db = DocBin().from_bytes(path.read_bytes())
    except FileNotFoundError:
        raise
    except Exception as err:  # msgpack / zlib errors
        raise InputError(f"not a spaCy DocBin file ({type(err).__name__}: {err})", path) from None
    prefix = id_prefix if id_prefix is not None else path.stem
    for k, doc in enumerate(db.get_docs(vocab_for(lang))):
        if "xproj_ents" in doc.spans:
            ents = [Entity(sp.start, sp.end, sp.label_) for sp in doc.spans["xproj_ents"]]
        else:
            ents = [Entity(e.start, e.end, e.label_) for e in doc.ents]
        this = Side(lang, [t.text for t in doc], ents)
        other = Side(other_lang or "xx", [], [])
        src, tgt = (this, other) if side == "src" else (other, this)
        pid = str(doc.user_data.get("xproj_id", f"{prefix}/{k}"))
        yield Pair(pid, src, tgt, None, {})

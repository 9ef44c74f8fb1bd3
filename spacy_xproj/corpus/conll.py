"""CoNLL / IOB token-per-line files: MasakhaNER 2.0, CoNLL-2003, Europarl-NER, WikiNEuRal.

Format: one token per line, columns separated by a single space or a single tab, the token in the
first column and the tag in the last; a blank line between sentences. Supported layouts:

* ``TOKEN TAG`` (MasakhaNER 2.0, CoNLL-2003 copies with two columns; space separated);
* ``TOKEN\\tTAG`` (Europarl-NER);
* ``TOKEN POS CHUNK TAG`` (original CoNLL-2003: middle columns are kept verbatim);
* ``INDEX\\tTOKEN\\tTAG`` (WikiNEuRal; ``INDEX`` is the 0-based word position and is checked).

Lines whose first column is ``-DOCSTART-`` are document boundaries, not sentences.

**Tags -> entities (one rule for IOB2, IOB1 and stray ``I-`` starts)** — the conlleval rule that
seqeval uses in its default mode: ``B-X`` always opens a new entity; ``I-X`` continues the open
entity when it has type ``X`` and otherwise opens a new one (after ``O``, at the start of a
sentence, or after another type); ``O`` closes. Tags other than ``O``, ``B-X`` and ``I-X`` (for
example ``X-PER``, ``B-``, ``E-PER``) are an error.

**Lossless round trip.** Everything needed to write a file back byte for byte is kept in the pair's
``meta["conll"][side]`` (``side`` is the pair side the sentence became):

* ``sep`` — the column separator (``" "`` or ``"\\t"``);
* ``tags`` — the original tags, only when they are not the canonical IOB2 encoding of the entities
  (IOB1, stray ``I-`` starts). The writer uses them only while they still decode to the side's
  entities; once the entities change, the canonical IOB2 tags are written;
* ``index`` — ``true`` for the ``INDEX TOKEN TAG`` layout; ``cols`` — middle columns per word;
* ``before`` — the raw lines between the previous sentence and this one when they are not the usual
  single blank line (``-DOCSTART-`` lines, extra blank lines); ``after`` / ``eol`` — the lines after
  the last sentence and whether the file ends with a newline, when not the usual ``"\\n\\n"`` ending.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from ..atomic import atomic_open
from ..errors import InputError
from ..iob import tags_to_spans
from ..types import Entity, Pair, Side

PathLike = Union[str, Path]
DOCSTART = "-DOCSTART-"
SEPARATORS = {"space": " ", "tab": "\t"}


# ----------------------------------------------------------------------------- tags <-> entities
def parse_tag(tag: str) -> Tuple[str, str]:
    """Split an IOB tag into ``(prefix, label)``: ``"O" -> ("O", "")``, ``"B-PER" -> ("B", "PER")``.

    Raises ``ValueError`` for anything else (``X-PER``, ``B-``, ``E-PER``, ``PER``, whitespace).
    """
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BI":
        label = tag[2:]
        if label.strip() == label and not any(c.isspace() for c in label):
            return tag[0], label
    raise ValueError(f"unknown tag form {tag!r} (expected O, B-<label> or I-<label>)")


def tags_to_entities(tags: Sequence[str]) -> List[Entity]:
    """Decode tags into entities with the package's one tag decoder,
    :func:`spacy_xproj.iob.tags_to_spans` (the conlleval rule, equal to seqeval's default mode).

    ``B-X`` opens; ``I-X`` continues an open ``X`` entity, else opens one; ``O`` closes; IOBES
    (``S-X``, ``E-X``) tags decode as seqeval decodes them.
    """
    return [Entity(s, e, label) for s, e, label in tags_to_spans(tags)]


def entities_to_tags(n_words: int, ents: Iterable[Entity]) -> List[str]:
    """Canonical IOB2 tags for non-overlapping entities (``ValueError`` on overlap / out of range)."""
    tags = ["O"] * n_words
    for e in sorted(ents):
        if not (0 <= e.start < e.end <= n_words):
            raise ValueError(f"entity {e.to_json()} is outside the sentence ({n_words} words)")
        if any(t != "O" for t in tags[e.start : e.end]):
            raise ValueError(f"entity {e.to_json()} overlaps another entity; IOB tags cannot encode it")
        parse_tag("B-" + e.label)  # label must be writable
        tags[e.start] = "B-" + e.label
        for i in range(e.start + 1, e.end):
            tags[i] = "I-" + e.label
    return tags


# ----------------------------------------------------------------------------- reading
@dataclass
class ConllSentence:
    """One sentence of a CoNLL file with what is needed to write it back byte for byte."""

    words: List[str]
    tags: List[str]
    line: int  # 1-based line number of the first token
    sep: str = " "
    index: bool = False
    cols: Optional[List[List[str]]] = None
    before: Optional[List[str]] = None  # raw gap lines before, when not the default
    after: Optional[List[str]] = None  # raw lines after the last sentence, when not the default
    eol: bool = True  # the file ends with a newline (last sentence only)
    entities: List[Entity] = field(default_factory=list)

    def meta(self) -> Dict[str, Any]:
        """The ``meta["conll"][side]`` record (only non-default items besides ``sep``)."""
        out: Dict[str, Any] = {"sep": self.sep}
        if self.index:
            out["index"] = True
        if self.cols is not None:
            out["cols"] = self.cols
        if self.tags != entities_to_tags(len(self.words), self.entities):
            out["tags"] = list(self.tags)
        if self.before is not None:
            out["before"] = self.before
        if self.after is not None:
            out["after"] = self.after
        if not self.eol:
            out["eol"] = False
        return out


def read_conll_sentences(
    path: PathLike, sep: Optional[str] = None, layout: str = "auto"
) -> Iterator[ConllSentence]:
    """Stream the sentences of a CoNLL/IOB file; errors name the file, line and problem.

    ``sep``: ``" "``, ``"\\t"`` or ``None`` (detected from the first token line: tab if it has one).
    ``layout``: ``"auto"``, ``"token-tag"`` (token first, tag last, middle columns kept) or
    ``"index-token-tag"`` (WikiNEuRal). ``auto`` picks ``index-token-tag`` when a line has 3+ columns
    and the first line's first column is ``0``.
    """
    path = Path(path)
    if layout not in ("auto", "token-tag", "index-token-tag"):
        raise ValueError(f"unknown CoNLL layout {layout!r}")
    with path.open("rb") as fh:
        data = fh.read()
    try:
        text = data.decode("utf8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text ({err.reason})", path, line) from None
    if text.startswith("\ufeff"):
        raise InputError("the file starts with a byte-order mark (save it as UTF-8 without BOM)", path, 1)
    lines = text.split("\n")
    eol = text.endswith("\n")
    if eol:
        lines.pop()  # the empty string after the final newline
    n_cols: Optional[int] = None
    index = layout == "index-token-tag"
    gap: List[str] = []
    current: Optional[ConllSentence] = None
    pending: Optional[ConllSentence] = None  # finished sentence, yielded when we know it is not last
    first = True

    for lineno, raw in enumerate(lines, start=1):
        if "\r" in raw:
            raise InputError("carriage return in line (Windows line endings are not supported)", path, lineno)
        if raw == "" or raw.split(sep or ("\t" if "\t" in raw else " "))[0] == DOCSTART:
            if current is not None:
                pending, current = current, None
            gap.append(raw)
            continue
        if raw.strip() == "":
            raise InputError("whitespace-only line (a sentence break must be an empty line)", path, lineno)
        if sep is None:
            sep = "\t" if "\t" in raw else " "
        cols = raw.split(sep)
        if n_cols is None:
            n_cols = len(cols)
            if n_cols < 2:
                raise InputError(
                    f"expected at least 2 columns (token and tag) separated by {sep!r}, got 1", path, lineno
                )
            if layout == "auto":
                index = n_cols >= 3 and cols[0] == "0"
        elif len(cols) != n_cols:
            raise InputError(
                f"wrong column count: {len(cols)} columns separated by {sep!r}, the file has {n_cols}",
                path,
                lineno,
            )
        if current is None:
            if pending is not None:
                yield pending
                pending = None
            default_gap: List[str] = [] if first else [""]
            current = ConllSentence([], [], lineno, sep=sep, index=index)
            current.before = None if gap == default_gap else gap
            gap, first = [], False
        position = len(current.words)
        if index:
            if cols[0] != str(position):
                raise InputError(
                    f"index column is {cols[0]!r}, expected {position} (the word's position in the sentence)",
                    path,
                    lineno,
                )
            token, middle = cols[1], cols[2:-1]
        else:
            token, middle = cols[0], cols[1:-1]
        if token == "" or any(c.isspace() for c in token):
            # The writer cannot put whitespace inside a token back, so the reader refuses it too.
            raise InputError(f"empty token or token with whitespace: {token!r}", path, lineno)
        tag = cols[-1]
        try:
            parse_tag(tag)
        except ValueError as err:
            raise InputError(str(err), path, lineno) from None
        current.words.append(token)
        current.tags.append(tag)
        if middle:
            if current.cols is None:
                current.cols = []
            current.cols.append(middle)
    if current is not None:
        pending = current
    if pending is not None:
        pending.after = None if gap == [""] else gap
        pending.eol = eol
        yield pending
    elif gap and any(g != "" for g in gap):
        raise InputError("the file has -DOCSTART- lines but no sentence", path)


def _finish(sent: ConllSentence) -> ConllSentence:
    sent.entities = tags_to_entities(sent.tags)
    return sent


def read_conll(
    path: PathLike,
    lang: str,
    *,
    side: str = "tgt",
    other_lang: Optional[str] = None,
    id_prefix: Optional[str] = None,
    sep: Optional[str] = None,
    layout: str = "auto",
) -> Iterator[Pair]:
    """Stream a CoNLL file as pairs: each sentence becomes the ``side`` of one pair.

    The other side is empty (language ``other_lang``, default ``"xx"``). Ids are
    ``f"{id_prefix}/{k}"`` with ``k`` the 0-based sentence number; ``id_prefix`` defaults to
    ``"<folder>/<file stem>"`` (``hau/test/17``). Byte-identity information goes to
    ``meta["conll"][side]`` (see the module docstring).
    """
    if side not in ("src", "tgt"):
        raise ValueError(f"side must be 'src' or 'tgt', got {side!r}")
    path = Path(path)
    prefix = id_prefix if id_prefix is not None else f"{path.parent.name}/{path.stem}"
    for k, sent in enumerate(read_conll_sentences(path, sep=sep, layout=layout)):
        _finish(sent)
        this = Side(lang, sent.words, sent.entities)
        other = Side(other_lang or "xx", [], [])
        src, tgt = (this, other) if side == "src" else (other, this)
        yield Pair(f"{prefix}/{k}", src, tgt, None, {"conll": {side: sent.meta()}})


def read_conll_file(path: PathLike, **kwargs: Any) -> List[ConllSentence]:
    """All sentences of a file with their decoded ``entities`` (convenience for evaluation)."""
    return [_finish(s) for s in read_conll_sentences(path, **kwargs)]


# ----------------------------------------------------------------------------- writing
def _sentence_lines(pair: Pair, side: str, sep: Optional[str], first: bool) -> Tuple[List[str], Dict[str, Any]]:
    s: Side = getattr(pair, side)
    meta: Dict[str, Any] = (pair.meta.get("conll") or {}).get(side) or {}
    use_sep = sep if sep is not None else meta.get("sep", " ")
    n = len(s.words)
    try:
        tags = None
        orig = meta.get("tags")
        if orig is not None and len(orig) == n:
            try:
                if tags_to_entities(orig) == sorted(s.ents):
                    tags = list(orig)
            except ValueError:
                tags = None
        if tags is None:
            tags = entities_to_tags(n, s.ents)
        cols = meta.get("cols")
        if cols is not None and len(cols) != n:
            raise ValueError(f"meta conll cols has {len(cols)} rows for {n} words")
        lines: List[str] = list(meta.get("before", [] if first else [""]))
        for i, (word, tag) in enumerate(zip(s.words, tags)):
            if word == "" or any(c.isspace() for c in word):
                raise ValueError(f"word {i} ({word!r}) is empty or contains whitespace; CoNLL cannot hold it")
            row = ([str(i)] if meta.get("index") else []) + [word] + (list(cols[i]) if cols else []) + [tag]
            lines.append(use_sep.join(row))
    except ValueError as err:
        raise InputError(f"{side} side: {err}", record=pair.id) from None
    return lines, meta


def write_conll(path: PathLike, pairs: Iterable[Pair], side: str = "tgt", sep: Optional[str] = None) -> int:
    """Write one side of pairs as a CoNLL file, atomically; returns the number of sentences.

    ``sep`` overrides the separator kept in ``meta`` (default single space). Tags are the original
    ones from ``meta`` while they still decode to the side's entities, else canonical IOB2.
    """
    if side not in ("src", "tgt"):
        raise ValueError(f"side must be 'src' or 'tgt', got {side!r}")
    n = 0
    last_meta: Optional[Dict[str, Any]] = None
    with atomic_open(path, "w", newline="") as fh:
        for pair in pairs:
            lines, last_meta = _sentence_lines(pair, side, sep, n == 0)
            if n:
                fh.write("\n")
            fh.write("\n".join(lines))
            n += 1
        if n:
            tail = last_meta.get("after", [""]) if last_meta is not None else [""]
            end = "\n" + "\n".join(tail) if tail else ""
            if last_meta is None or last_meta.get("eol", True):
                end += "\n"
            fh.write(end)
    return n

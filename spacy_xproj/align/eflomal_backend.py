"""eflomal backend: corpus-level statistical word alignment whose learned statistics are state.

eflomal (Östling & Tiedemann 2016, GPL-3, the optional ``eflomal`` extra) is a Bayesian
IBM1 -> HMM -> fertility aligner fitted by Gibbs sampling. It needs no model weights, runs on a CPU,
and aligns a whole *corpus* at once: a single sentence pair aligned on its own has no statistics to
go on. This module therefore keeps eflomal's **priors** (Dirichlet pseudo-counts: lexical
translation counts ``LEX``, fertility counts ``FERF``/``FERR`` and jump/distortion counts
``HMMF``/``HMMR``, exactly what ``eflomal-makepriors`` computes) as the aligner's state:

* :meth:`EflomalAligner.initialize` aligns a parallel corpus (both directions) and turns the links
  into priors, kept in memory;
* :meth:`EflomalAligner.__call__` aligns new pairs in both directions with those priors and
  symmetrises the two directions (``symmetrize``, intersection by default), so a single new pair aligns
  with the statistics of the whole corpus; without priors the given batch is its own corpus;
* :meth:`EflomalAligner.to_bytes` / :meth:`EflomalAligner.from_bytes` serialise the priors
  (msgpack, sorted, so equal priors give equal bytes).

Randomness. The eflomal binary has no seed option: every sampler reads 8 bytes of seed from
``/dev/urandom``. For reproducible runs (``deterministic=True``, the default) we use a private
copy of the binary in which that path (the C string ``/dev/urandom``) is replaced by the relative
name ``eflomal.seed`` of the same length; each run happens in its own temporary directory that
holds a seed file derived from ``seed`` (SHA-256 of the seed, first 8 bytes). All samplers of one
run start from that seed, and several samplers combine their counts in a thread-dependent order
(measured: not reproducible), so reproducible runs use one sampler (``n_samplers=1``, enforced). Nothing depends on file locations: inputs, outputs and the seed file live in a fresh private
temporary directory whose path never reaches the binary except as relative names, and the result
is read back before the directory is removed. ``deterministic=False`` runs the unmodified binary.
"""
from __future__ import annotations

import contextlib
import copy
import gzip
import hashlib
import itertools
import json
import math
import os
import stat
import tempfile
import threading
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import srsly

from ..errors import ConfigError, InputError, LongSentenceWarning, MissingExtraError
from ..procs import run_child, scratch_dir
from ..registry import aligners
from ..types import Alignment, Link
from .alignment_ops import SYMMETRIZATION_METHODS
from .alignment_ops import symmetrize as _symmetrize
from spacy.util import registry as spacy_registry

Words = List[str]
WordPair = Tuple[Sequence[str], Sequence[str]]
Links = List[Link]

PRIORS_FORMAT = "spacy-xproj.eflomal-priors.v1"
_SEED_NAME = b"eflomal.seed"  # same length as b"/dev/urandom" (12 bytes)
_URANDOM = b"/dev/urandom"
SYMMETRIZATIONS = tuple(SYMMETRIZATION_METHODS) + ("forward", "reverse", "vote")


def _require_eflomal():
    try:
        import eflomal  # noqa: F401
        from eflomal import cython as eflomal_cython
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingExtraError("eflomal", "eflomal", "The eflomal aligner (GPL-3)") from None
    return eflomal, eflomal_cython


# ---------------------------------------------------------------------------------------------
# Symmetrisation (the shared implementation is alignment_ops.symmetrize; this adds the one-way
# "forward" / "reverse" settings)
# ---------------------------------------------------------------------------------------------


def symmetrize_links(
    fwd: Iterable[Link],
    rev: Iterable[Link],
    method: str = "grow-diag-final-and",
    n_src: Optional[int] = None,
    n_tgt: Optional[int] = None,
) -> Links:
    """Combine eflomal's two directional alignments (both as ``(src, tgt)`` links).

    ``forward`` / ``reverse`` keep one direction; every other method is
    :func:`~spacy_xproj.align.alignment_ops.symmetrize` (Moses ``symal`` semantics). The
    sentence lengths default to the largest linked index + 1, which gives the same result.
    """
    if method not in SYMMETRIZATIONS:
        raise ConfigError(f"unknown symmetrisation {method!r}; choose one of {', '.join(SYMMETRIZATIONS)}")
    f, r = Alignment(sorted(set(map(tuple, fwd)))), Alignment(sorted(set(map(tuple, rev))))
    if method == "vote":
        return vote_links([f.links, r.links]).links
    if method == "forward":
        return f.links
    if method == "reverse":
        return r.links
    if n_src is None:
        n_src = 1 + max((i for i, _ in f.links + r.links), default=-1)
    if n_tgt is None:
        n_tgt = 1 + max((j for _, j in f.links + r.links), default=-1)
    return _symmetrize(f, r, n_src, n_tgt, method).links


def vote_links(voters: Sequence[Iterable[Link]], min_vote: float = 0.0) -> Alignment:
    """Links proposed by several alignments, scored by the share of alignments that propose them.

    A link is kept when its share is above ``min_vote`` (0: the union). eflomal is a Gibbs
    sampler: one run's links move with its seed, the share over directions and runs does much
    less, and it tells a solid link (every run, both directions) from a doubtful one.
    """
    if not voters:
        return Alignment()
    counts = Counter(link for v in voters for link in set(map(tuple, v)))
    share = {link: c / len(voters) for link, c in counts.items() if c / len(voters) > min_vote}
    links = sorted(share)
    return Alignment(links, [round(share[link], 6) for link in links])


# ---------------------------------------------------------------------------------------------
# Priors (the trainable state)
# ---------------------------------------------------------------------------------------------


@dataclass
class EflomalPriors:
    """eflomal's Dirichlet priors as learned counts (see ``eflomal-makepriors``).

    ``lex[(src_word, tgt_word)]``: lexical translation counts; ``ferf[(src_word, n)]`` /
    ``ferr[(tgt_word, n)]``: fertility counts per direction; ``hmmf[jump]`` / ``hmmr[jump]``:
    jump (distortion) counts per direction. Words are stored normalised (lowercased when the
    aligner lowercases). ``n_pairs`` records how many sentence pairs they were learned from.
    """

    lex: Counter = field(default_factory=Counter)
    ferf: Counter = field(default_factory=Counter)
    ferr: Counter = field(default_factory=Counter)
    hmmf: Counter = field(default_factory=Counter)
    hmmr: Counter = field(default_factory=Counter)
    n_pairs: int = 0
    lowercase: bool = True

    def update(self, src: Sequence[Words], tgt: Sequence[Words], fwd: Sequence[Links], rev: Sequence[Links]) -> None:
        """Add the counts of one aligned corpus (the rules of eflomal's ``calculate_priors``)."""
        for s, t, fl, rl in zip(src, tgt, fwd, rev):
            for i, j in fl:
                self.lex[(s[i], t[j])] += 1
            last_i, last_j = -1, -1
            for i, j in sorted(fl, key=lambda x: x[1]):
                if j != last_j:
                    self.hmmf[i - last_i] += 1
                last_i, last_j = i, j
            self.hmmf[len(s) - last_i] += 1
            last_i, last_j = -1, -1
            for i, j in sorted(rl, key=lambda x: x[0]):
                if i != last_i:
                    self.hmmr[j - last_j] += 1
                last_i, last_j = i, j
            self.hmmr[len(t) - last_j] += 1
            for i, n in Counter(i for i, _ in fl).items():
                self.ferf[(s[i], n)] += 1
            for j, n in Counter(j for _, j in rl).items():
                self.ferr[(t[j], n)] += 1
            self.n_pairs += 1

    def to_dict(self) -> Dict[str, object]:
        """A plain, sorted (hence deterministic) representation."""
        return {
            "format": PRIORS_FORMAT,
            "n_pairs": self.n_pairs,
            "lowercase": self.lowercase,
            "lex": [[s, t, c] for (s, t), c in sorted(self.lex.items())],
            "ferf": [[w, n, c] for (w, n), c in sorted(self.ferf.items())],
            "ferr": [[w, n, c] for (w, n), c in sorted(self.ferr.items())],
            "hmmf": [[j, c] for j, c in sorted(self.hmmf.items())],
            "hmmr": [[j, c] for j, c in sorted(self.hmmr.items())],
        }

    @classmethod
    def from_dict(cls, data: Dict[str, object]) -> "EflomalPriors":
        if not isinstance(data, dict) or data.get("format") != PRIORS_FORMAT:
            raise ValueError(f"not eflomal priors of format {PRIORS_FORMAT!r}")
        return cls(
            lex=Counter({(s, t): c for s, t, c in data["lex"]}),  # type: ignore[union-attr]
            ferf=Counter({(w, n): c for w, n, c in data["ferf"]}),  # type: ignore[union-attr]
            ferr=Counter({(w, n): c for w, n, c in data["ferr"]}),  # type: ignore[union-attr]
            hmmf=Counter({j: c for j, c in data["hmmf"]}),  # type: ignore[union-attr]
            hmmr=Counter({j: c for j, c in data["hmmr"]}),  # type: ignore[union-attr]
            n_pairs=int(data["n_pairs"]),  # type: ignore[arg-type]
            lowercase=bool(data["lowercase"]),
        )

    def to_bytes(self) -> bytes:
        return srsly.msgpack_dumps(self.to_dict())

    @classmethod
    def from_bytes(cls, data: bytes) -> "EflomalPriors":
        return cls.from_dict(srsly.msgpack_loads(data))


# ---------------------------------------------------------------------------------------------
# Running the binary
# ---------------------------------------------------------------------------------------------

_BINARY_LOCK = threading.Lock()
_PATCHED: Dict[str, str] = {}


def _binary_path() -> Path:
    eflomal, _ = _require_eflomal()
    path = Path(eflomal.__file__).parent / "bin" / "eflomal"
    if not path.exists():  # pragma: no cover - broken installation
        raise MissingExtraError("eflomal", "eflomal", f"The eflomal aligner (binary not found at {path})")
    return path


def _seeded_binary() -> str:
    """A private copy of the eflomal binary that reads its seed from ``./eflomal.seed``.

    It lives in the per-user cache folder (``<cache>/eflomal-bin/<hash of the original>/eflomal``,
    see :func:`spacy_xproj.procs.user_cache_dir`), not in the system temp folder, which is often
    mounted ``noexec``; it is made once (atomically) and reused by later runs.
    """
    from ..procs import user_cache_dir

    original = _binary_path()
    key = str(original)
    with _BINARY_LOCK:
        cached = _PATCHED.get(key)
        if cached and os.path.exists(cached):
            return cached
        data = original.read_bytes()
        if data.count(_URANDOM + b"\0") != 1:
            raise ConfigError(
                "this eflomal build does not read its seed from /dev/urandom in the expected way, "
                "so runs cannot be made reproducible; use deterministic=False"
            )
        patched = data.replace(_URANDOM + b"\0", _SEED_NAME + b"\0")
        folder = user_cache_dir() / "eflomal-bin" / hashlib.sha256(data).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = folder / "eflomal"
        if not (target.is_file() and not target.is_symlink() and target.read_bytes() == patched):
            fd, tmp = tempfile.mkstemp(prefix=".eflomal.", dir=folder)  # O_EXCL, never a symlink
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(patched)
                os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR | stat.S_IXUSR)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        _PATCHED[key] = str(target)
        return str(target)


def _write_seed_file(folder: str, seed: int) -> None:
    with open(os.path.join(folder, _SEED_NAME.decode()), "wb") as fh:
        fh.write(_seed_bytes(seed))


# eflomal prints this (and seeds from the clock) when it cannot open its seed file.
_SEED_WARNING = b"can not open"
# eflomal's limit: a sentence of this many tokens or more is read as empty (no links at all).
EFLOMAL_MAX_TOKENS = 1024
_PIECE_TOKENS = 1000  # long sides are cut into pieces of at most this many tokens


def split_long_pairs(src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]], limit: int = EFLOMAL_MAX_TOKENS,
                     piece: int = _PIECE_TOKENS) -> Tuple[List[Words], List[Words], List[Tuple[int, int, int]], int]:
    """Cut pairs with a side of ``limit`` tokens or more into ``k`` aligned pieces.

    Both sides of such a pair are cut into the same number of pieces at proportional positions
    (piece ``i`` of the source with piece ``i`` of the target), each at most ``piece`` tokens, so
    the aligner sees only sentences it can read. Returns the pieces, for each piece
    ``(pair index, source offset, target offset)``, and the number of pairs that were cut.
    """
    out_s: List[Words] = []
    out_t: List[Words] = []
    owners: List[Tuple[int, int, int]] = []
    n_split = 0
    for k, (s, t) in enumerate(zip(src, tgt)):
        ls, lt = len(s), len(t)
        if max(ls, lt) < limit:
            out_s.append(list(s))
            out_t.append(list(t))
            owners.append((k, 0, 0))
            continue
        n_split += 1
        n = -(-max(ls, lt) // piece)
        for i in range(n):
            a, b = ls * i // n, ls * (i + 1) // n
            c, d = lt * i // n, lt * (i + 1) // n
            out_s.append(list(s[a:b]))
            out_t.append(list(t[c:d]))
            owners.append((k, a, c))
    return out_s, out_t, owners, n_split


def _seed_bytes(seed: int) -> bytes:
    digest = hashlib.sha256(f"spacy-xproj/eflomal/{int(seed)}".encode()).digest()
    raw = digest[:8]
    return raw if any(raw) else b"\x01" + raw[1:]  # an all-zero xorshift state never moves


def default_iterations(n_sentences: int, model: int = 3, rel_iterations: float = 1.0) -> Tuple[int, int, int]:
    """eflomal's own rule (its Python wrapper): ~5000/sqrt(n) iterations of the last model."""
    iters = max(2, int(round(rel_iterations * 5000 / math.sqrt(max(1, n_sentences)))))
    quarter = max(1, iters // 4)
    if model == 1:
        return (iters, 0, 0)
    if model == 2:
        return (quarter, iters, 0)
    return (quarter, quarter, iters)


def _read_links(path: str, n: int) -> List[Links]:
    out: List[Links] = []
    with open(path, "r", encoding="utf8") as fh:
        for line in fh:
            links = []
            for item in line.split():
                i, j = item.split("-")
                links.append((int(i), int(j)))
            out.append(links)
    if len(out) != n:
        raise RuntimeError(f"eflomal returned {len(out)} alignment lines for {n} sentence pairs")
    return out


# ---------------------------------------------------------------------------------------------
# The aligner
# ---------------------------------------------------------------------------------------------


# Below this many pairs, eflomal without learned statistics aligns poorly: measured on
# Europarl-NER en->de, a corpus of 1 pair gives no link at all, 10 pairs agree on 39% of the links
# that the whole 799-pair file gives, 100 pairs on 67%.
MIN_PAIRS_WITHOUT_PRIORS = 100


class TooFewPairsWarning(UserWarning):
    """An aligner that learns from the sentences it aligns was given too few of them."""


def too_few_pairs_message(n: int, minimum: int = MIN_PAIRS_WITHOUT_PRIORS) -> str:
    return (
        f"eflomal is aligning {n} sentence pair(s) with no learned statistics: it learns from the "
        f"sentences it aligns and needs about {minimum} or more, so these alignments will be poor or "
        f"empty. Learn statistics from a parallel corpus first: nlp.initialize() with parallel text "
        f"(an [initialize.components.xproj_aligner.corpus] block with @readers = "
        f"\"spacy-xproj.ParallelCorpus.v1\", or examples whose docs have a translation), the "
        f"aligner setting priors_from = a parallel corpus file, or "
        f"`xproj align --init CORPUS`"
    )


class EflomalAligner:
    """Both-direction eflomal alignment, symmetrised, with learnable priors (see module docs).

    Without priors (no ``initialize``, no ``priors_from``), aligning fewer than
    ``MIN_PAIRS_WITHOUT_PRIORS`` pairs at once issues a :class:`TooFewPairsWarning` naming the fix.
    """

    name = "eflomal"

    def __init__(
        self,
        *,
        symmetrize: str,
        n_iterations: Optional[Sequence[int]],
        rel_iterations: float,
        n_samplers: int,
        model: int,
        null_prior: float,
        seed: int,
        lowercase: bool,
        deterministic: bool,
        priors_from: Optional[Callable[[], Iterable[WordPair]]],
        prior_weight: float,
        prefix_len: int,
        n_runs: int,
        min_vote: float,
    ) -> None:
        if n_runs < 1:
            raise ConfigError(f"n_runs must be at least 1, got {n_runs}")
        if not 0.0 <= min_vote < 1.0:
            raise ConfigError(f"min_vote must be in [0, 1), got {min_vote}")
        self.n_runs = int(n_runs)
        self.min_vote = float(min_vote)
        if symmetrize not in SYMMETRIZATIONS:
            raise ConfigError(f"unknown symmetrisation {symmetrize!r}; choose one of {', '.join(SYMMETRIZATIONS)}")
        if model not in (1, 2, 3):
            raise ConfigError(f"eflomal model must be 1 (IBM1), 2 (HMM) or 3 (HMM+fertility), got {model!r}")
        if n_iterations is not None and (len(n_iterations) != 3 or any(int(x) < 0 for x in n_iterations)):
            raise ConfigError("n_iterations must be three non-negative numbers (IBM1, HMM, fertility)")
        if n_samplers < 1:
            raise ConfigError("n_samplers must be at least 1")
        if deterministic and n_samplers != 1:
            raise ConfigError(
                "eflomal with several samplers is not reproducible (its threads combine their counts "
                "in a varying order); use n_samplers=1 or set deterministic=False"
            )
        if prior_weight <= 0:
            raise ConfigError("prior_weight must be positive")
        _require_eflomal()
        self.symmetrize = symmetrize
        self.n_iterations = tuple(int(x) for x in n_iterations) if n_iterations is not None else None
        self.rel_iterations = float(rel_iterations)
        self.n_samplers = int(n_samplers)
        self.model = int(model)
        self.null_prior = float(null_prior)
        self.seed = int(seed)
        self.lowercase = bool(lowercase)
        self.deterministic = bool(deterministic)
        self.prior_weight = float(prior_weight)
        if prefix_len < 0:
            raise ConfigError("prefix_len must be >= 0 (0: whole words)")
        self.prefix_len = int(prefix_len)
        self.priors: Optional[EflomalPriors] = None
        self._priors_from = priors_from

    # -- state -----------------------------------------------------------------------------
    @property
    def is_initialized(self) -> bool:
        return self.priors is not None

    def _ensure_priors(self) -> None:
        if self.priors is None and self._priors_from is not None:
            source, self._priors_from = self._priors_from, None
            self.initialize(source())

    def normalize(self, word: str) -> str:
        """The word form eflomal sees: whitespace replaced (it separates tokens), lowercased if set,
        cut to its first ``prefix_len`` characters if set (eflomal's stemming knob for small corpora)."""
        w = "_".join(word.split()) or "_"
        w = w.lower() if self.lowercase else w
        return w[: self.prefix_len] if self.prefix_len else w

    def initialize(self, pairs: Iterable[WordPair]) -> "EflomalAligner":
        """Learn priors from a parallel corpus of word lists (replaces earlier priors)."""
        src, tgt = [], []
        for k, (s, t) in enumerate(pairs):
            src.append(list(s))
            tgt.append(list(t))
        if not src:
            raise InputError("cannot initialise the eflomal aligner from an empty corpus")
        fwd, rev = self._run_split(src, tgt, priors=None)
        priors = EflomalPriors(lowercase=self.lowercase)
        priors.update([[self.normalize(w) for w in s] for s in src], [[self.normalize(w) for w in t] for t in tgt], fwd, rev)
        self.priors = priors
        self._priors_from = None
        return self

    def to_bytes(self) -> bytes:
        """The learned priors (empty bytes when not initialised)."""
        self._ensure_priors()
        return b"" if self.priors is None else self.priors.to_bytes()

    def from_bytes(self, data: bytes) -> "EflomalAligner":
        self._priors_from = None
        if not data:
            self.priors = None
            return self
        priors = EflomalPriors.from_bytes(data)
        if priors.lowercase != self.lowercase:
            raise ConfigError(
                f"these eflomal priors were learned with lowercase={priors.lowercase}, "
                f"but the aligner is configured with lowercase={self.lowercase}"
            )
        self.priors = priors
        return self

    # -- alignment -------------------------------------------------------------------------
    def __call__(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> List[Alignment]:
        """Align each ``src[k]`` with ``tgt[k]``; links are ``(src_index, tgt_index)``.

        With one run and a symmetrisation other than ``"vote"`` the links carry no scores (the plain
        eflomal behaviour). Otherwise every run (``n_runs``, seeds derived from ``seed``) votes: with
        ``symmetrize="vote"`` each direction of each run is one voter, else each symmetrised run is
        one; a link's score is its share of the votes and links with a share above ``min_vote`` are
        kept (see :func:`vote_links`). With ``symmetrize="vote"`` the directional links of every run
        are kept in ``last_runs`` (per pair: ``[[forward, backward], ...]``, both as ``(src, tgt)``
        links), which ``xproj align`` stores in the pair meta for span-level agreement
        (``CoverageScore.v1``'s ``block_weight``).
        """
        self.last_runs: Optional[List[List[List[Links]]]] = None
        if self.n_runs == 1 and self.symmetrize != "vote":
            fwd, rev = self.align_directions(src, tgt)
            return [
                Alignment(symmetrize_links(f, r, self.symmetrize, len(s), len(t)))
                for f, r, s, t in zip(fwd, rev, src, tgt)
            ]
        voters: List[List[Links]] = []
        self.last_runs = [[] for _ in src] if self.symmetrize == "vote" else None
        for run in range(self.n_runs):
            fwd, rev = self._run_copy(run).align_directions(src, tgt)
            if self.symmetrize == "vote":
                voters += [fwd, rev]
                for k, (f, r) in enumerate(zip(fwd, rev)):
                    self.last_runs[k].append([[list(x) for x in f], [list(x) for x in r]])
            else:
                voters.append([symmetrize_links(f, r, self.symmetrize, len(s), len(t))
                               for f, r, s, t in zip(fwd, rev, src, tgt)])
        return [vote_links([v[k] for v in voters], self.min_vote) for k in range(len(src))]

    def _run_copy(self, run: int) -> "EflomalAligner":
        """This aligner (same priors) with the seed of run ``run`` (run 0 keeps ``seed``)."""
        if run == 0:
            return self
        other = copy.copy(self)
        other.seed = self.seed * 1000 + run
        other.n_runs = 1
        return other

    def align_directions(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> Tuple[List[Links], List[Links]]:
        """Forward and reverse links (both as ``(src, tgt)``) using the priors, if any."""
        if len(src) != len(tgt):
            raise InputError(f"eflomal: {len(src)} source sentences but {len(tgt)} target sentences")
        self._ensure_priors()
        if not src:
            return [], []
        if self.priors is None and len(src) < MIN_PAIRS_WITHOUT_PRIORS:
            warnings.warn(too_few_pairs_message(len(src)), TooFewPairsWarning, stacklevel=3)
        return self._run_split([list(s) for s in src], [list(t) for t in tgt], self.priors)

    def _run_split(self, src: List[Words], tgt: List[Words], priors: Optional[EflomalPriors]) -> Tuple[List[Links], List[Links]]:
        """:meth:`_run`, with sides of 1,024+ tokens (which eflomal reads as empty) aligned in
        pieces (see :func:`split_long_pairs`) and a :class:`LongSentenceWarning` saying so."""
        pieces_s, pieces_t, owners, n_split = split_long_pairs(src, tgt)
        if not n_split:
            return self._run(src, tgt, priors)
        warnings.warn(
            f"eflomal: {n_split} sentence pair(s) with a side of {EFLOMAL_MAX_TOKENS} tokens or more "
            f"(eflomal's limit) were aligned in pieces of up to {_PIECE_TOKENS} tokens at proportional "
            "positions; their links are less reliable (split such sentences for better alignments)",
            LongSentenceWarning, stacklevel=3,
        )
        fwd_p, rev_p = self._run(pieces_s, pieces_t, priors)
        fwd: List[Links] = [[] for _ in src]
        rev: List[Links] = [[] for _ in src]
        for (k, a, c), f, r in zip(owners, fwd_p, rev_p):
            fwd[k].extend((i + a, j + c) for i, j in f)
            rev[k].extend((i + a, j + c) for i, j in r)
        return fwd, rev

    def _run(self, src: List[Words], tgt: List[Words], priors: Optional[EflomalPriors]) -> Tuple[List[Links], List[Links]]:
        _, efc = _require_eflomal()
        n = len(src)
        # eflomal cannot align an empty sentence against a non-empty one usefully; it also needs at
        # least one token in the corpus. Align only pairs with words on both sides.
        keep = [k for k in range(n) if src[k] and tgt[k]]
        fwd_all: List[Links] = [[] for _ in range(n)]
        rev_all: List[Links] = [[] for _ in range(n)]
        if not keep:
            return fwd_all, rev_all
        s_lines = [" ".join(self.normalize(w) for w in src[k]) for k in keep]
        t_lines = [" ".join(self.normalize(w) for w in tgt[k]) for k in keep]
        iters = self.n_iterations or default_iterations(len(keep), self.model, self.rel_iterations)
        binary = _seeded_binary() if self.deterministic else str(_binary_path())
        with scratch_dir("eflomal") as tmp_path:
            tmp = str(tmp_path)
            s_sents, s_index = efc.read_text(s_lines, False, 0, 0)
            t_sents, t_index = efc.read_text(t_lines, False, 0, 0)
            with open(os.path.join(tmp, "src.bin"), "wb") as fh:
                efc.write_text(fh, tuple(s_sents), len(s_index))
            with open(os.path.join(tmp, "tgt.bin"), "wb") as fh:
                efc.write_text(fh, tuple(t_sents), len(t_index))
            args = [
                binary, "-m", str(self.model), "-s", "src.bin", "-t", "tgt.bin",
                "-n", str(self.n_samplers), "-N", repr(self.null_prior),
                "-1", str(iters[0]), "-2", str(iters[1]), "-3", str(iters[2]),
                "-f", "fwd.txt", "-r", "rev.txt", "-q",
            ]
            if priors is not None:
                self._write_priors(os.path.join(tmp, "priors.txt"), priors, s_index, t_index)
                args += ["-p", "priors.txt"]
            if self.deterministic:
                _write_seed_file(tmp, self.seed)
            env = dict(os.environ)
            env["OMP_NUM_THREADS"] = str(self.n_samplers)
            try:
                proc = run_child(args, cwd=tmp, env=env)
            except PermissionError:
                raise ConfigError(
                    f"cannot run {binary}: its folder does not allow running programs (mounted noexec?); "
                    "set XPROJ_CACHE_DIR to a folder that does, or use deterministic=False"
                ) from None
            if proc.returncode != 0:
                raise RuntimeError(
                    f"eflomal failed (exit {proc.returncode}): {proc.stderr.decode('utf8', 'replace')[-2000:]}"
                )
            if self.deterministic and _SEED_WARNING in proc.stderr:
                raise RuntimeError(
                    "eflomal could not open its seed file and seeded itself from the clock, so this run "
                    "would not be reproducible: " + proc.stderr.decode("utf8", "replace").strip()[-500:]
                )
            fwd = _read_links(os.path.join(tmp, "fwd.txt"), len(keep))
            rev = _read_links(os.path.join(tmp, "rev.txt"), len(keep))
        for pos, k in enumerate(keep):
            fwd_all[k] = fwd[pos]
            rev_all[k] = rev[pos]
        return fwd_all, rev_all

    def _write_priors(self, path: str, priors: EflomalPriors, s_index: Dict[str, int], t_index: Dict[str, int]) -> None:
        """eflomal's indexed priors file (``to_eflomal_priors_file``), restricted to this batch."""
        w = self.prior_weight
        lex: Dict[Tuple[int, int], float] = {}
        for (s, t), c in priors.lex.items():
            e, f = s_index.get(s), t_index.get(t)
            if e is not None and f is not None:
                lex[(e + 1, f + 1)] = lex.get((e + 1, f + 1), 0.0) + c * w
        ferf = {(s_index[s] + 1, n): c * w for (s, n), c in priors.ferf.items() if s in s_index}
        ferr = {(t_index[t] + 1, n): c * w for (t, n), c in priors.ferr.items() if t in t_index}
        with open(path, "w", encoding="utf8") as fh:
            fh.write(
                f"{len(s_index) + 1} {len(t_index) + 1} {len(lex)} {len(priors.hmmf)} "
                f"{len(priors.hmmr)} {len(ferf)} {len(ferr)}\n"
            )
            for (e, f), a in sorted(lex.items()):
                fh.write(f"{e} {f} {a:g}\n")
            for j, a in sorted(priors.hmmf.items()):
                fh.write(f"{j} {a * w:g}\n")
            for j, a in sorted(priors.hmmr.items()):
                fh.write(f"{j} {a * w:g}\n")
            for (e, n), a in sorted(ferf.items()):
                fh.write(f"{e} {n} {a:g}\n")
            for (f, n), a in sorted(ferr.items()):
                fh.write(f"{f} {n} {a:g}\n")


# ---------------------------------------------------------------------------------------------
# Parallel corpora for priors
# ---------------------------------------------------------------------------------------------


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf8") if path.suffix == ".gz" else path.open("r", encoding="utf8")


def _parallel_format(path: Path) -> str:
    """``"mafand"``, ``"pairs"`` or ``"text"``, from the file's first line."""
    from ..textio import iter_lines

    first = next((line.strip() for _, line in iter_lines(path)), "")
    if not first.startswith("{"):
        return "text"
    try:
        value = json.loads(first)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg}", path, 1) from None
    if isinstance(value, dict) and "translation" in value:
        return "mafand"
    if isinstance(value, dict) and "src" in value and "tgt" in value:
        return "pairs"
    raise InputError("unknown JSON record (expected a pair or a MAFAND record)", path, 1)


def read_parallel(
    path: Union[str, Path],
    src_lang: Optional[str] = None,
    tgt_lang: Optional[str] = None,
    limit: Optional[int] = None,
) -> Iterator[Tuple[Words, Words]]:
    """Stream ``(src_words, tgt_words)`` from a parallel corpus, recognised by its first line.

    * pair JSONL (``{"id", "src": {"words"}, "tgt": {"words"}}`` records): the words as they are,
      read with :func:`spacy_xproj.corpus.jsonl.read_pairs`;
    * MAFAND-MT JSONL (``{"translation": {"en": ..., "swa": ...}}``; ``.gz`` allowed): ``src_lang``
      and ``tgt_lang`` name the keys; read and tokenised by :func:`spacy_xproj.corpus.mafand.read_mafand`;
    * plain text in the fast_align/eflomal joint format ``source words ||| target words``.
    Errors name the file and line.
    """
    from ..corpus.jsonl import read_pairs
    from ..corpus.mafand import read_mafand

    path = Path(path)
    if not path.exists():
        raise InputError("parallel corpus not found", path)
    fmt = _parallel_format(path)
    if fmt == "mafand" and (not src_lang or not tgt_lang):
        raise InputError("a MAFAND-style file needs src_lang and tgt_lang", path, 1)
    if fmt == "mafand":
        pairs: Iterator[Tuple[Words, Words]] = (
            (p.src.words, p.tgt.words) for p in read_mafand(path, src_lang or "", tgt_lang)
        )
    elif fmt == "pairs":
        pairs = ((p.src.words, p.tgt.words) for p in read_pairs(path, validate=False))
    else:
        pairs = _read_joint_text(path)
    yield from (pairs if limit is None else itertools.islice(pairs, limit))


def _read_joint_text(path: Path) -> Iterator[Tuple[Words, Words]]:
    from ..textio import iter_lines

    if True:  # errors (bad UTF-8, damaged .gz) name the file and line
        for lineno, line in iter_lines(path):
            parts = line.rstrip("\n").split(" ||| ")
            if len(parts) != 2:
                raise InputError("expected 'source words ||| target words'", path, lineno)
            yield parts[0].split(), parts[1].split()


@spacy_registry.readers("spacy-xproj.ParallelCorpus.v1")
def create_parallel_corpus(
    path: str, src_lang: Optional[str] = None, tgt_lang: Optional[str] = None, limit: Optional[int] = None
) -> Callable[[], Iterator[Tuple[Words, Words]]]:
    """A reader of ``(src_words, tgt_words)`` pairs for aligner priors (see :func:`read_parallel`)."""

    def reader() -> Iterator[Tuple[Words, Words]]:
        return read_parallel(path, src_lang, tgt_lang, limit)

    return reader


@aligners("spacy-xproj.Eflomal.v1")
def create_eflomal_aligner(
    symmetrize: str = "intersection",
    n_iterations: Optional[List[int]] = None,
    rel_iterations: float = 1.0,
    n_samplers: int = 1,
    model: int = 3,
    null_prior: float = 0.2,
    seed: int = 0,
    lowercase: bool = True,
    deterministic: bool = True,
    priors_from: Optional[str] = None,
    priors_src_lang: Optional[str] = None,
    priors_tgt_lang: Optional[str] = None,
    prior_weight: float = 1.0,
    prefix_len: int = 5,
    priors_limit: Optional[int] = None,
) -> EflomalAligner:
    """eflomal, both directions, symmetrised; seeded; optional priors from a parallel corpus.

    The defaults (``symmetrize="intersection"``, ``prefix_len=5``) are the best offline setting
    measured on Europarl-NER en->de (see docs/benchmarks.md); eflomal's own defaults are
    ``symmetrize="grow-diag-final-and"``, ``prefix_len=0``.

    ``priors_from`` is a parallel corpus (pair JSONL, MAFAND JSONL or ``src ||| tgt`` text, see
    :func:`read_parallel`); it is read lazily, the first time the aligner is used without priors.
    ``priors_limit`` reads only its first N pairs (quicker to learn, for examples and tests).
    """
    if priors_limit is not None and priors_limit < 1:
        raise ConfigError("priors_limit must be at least 1 (or null: the whole corpus)")
    source = (
        create_parallel_corpus(priors_from, priors_src_lang, priors_tgt_lang, priors_limit) if priors_from else None
    )
    return EflomalAligner(
        symmetrize=symmetrize,
        n_iterations=n_iterations,
        rel_iterations=rel_iterations,
        n_samplers=n_samplers,
        model=model,
        null_prior=null_prior,
        seed=seed,
        lowercase=lowercase,
        deterministic=deterministic,
        priors_from=source,
        prior_weight=prior_weight,
        prefix_len=prefix_len,
        n_runs=1,
        min_vote=0.0,
    )


@aligners("spacy-xproj.Eflomal.v2")
def create_eflomal_aligner_v2(
    symmetrize: str = "vote",
    n_runs: int = 4,
    min_vote: float = 0.5,
    n_iterations: Optional[List[int]] = None,
    rel_iterations: float = 1.0,
    n_samplers: int = 1,
    model: int = 3,
    null_prior: float = 0.2,
    seed: int = 0,
    lowercase: bool = True,
    deterministic: bool = True,
    priors_from: Optional[str] = None,
    priors_src_lang: Optional[str] = None,
    priors_tgt_lang: Optional[str] = None,
    prior_weight: float = 1.0,
    prefix_len: int = 5,
) -> EflomalAligner:
    """eflomal with scored links: ``n_runs`` seeded runs, both directions of each, vote.

    Each link's score is the share of the ``2 * n_runs`` directional alignments that contain it;
    links with a share above ``min_vote`` are kept (with 4 runs: at least 5 of the 8 alignments).
    Measured on Europarl-NER en->de and en->es together (docs/projection-quality.md), this is
    steadier across seeds than one run and, read by ``spacy-xproj.CoverageScore.v1``, projects
    better than any single symmetrisation. The other arguments are those of ``Eflomal.v1``.
    """
    source = create_parallel_corpus(priors_from, priors_src_lang, priors_tgt_lang) if priors_from else None
    return EflomalAligner(
        symmetrize=symmetrize,
        n_iterations=n_iterations,
        rel_iterations=rel_iterations,
        n_samplers=n_samplers,
        model=model,
        null_prior=null_prior,
        seed=seed,
        lowercase=lowercase,
        deterministic=deterministic,
        priors_from=source,
        prior_weight=prior_weight,
        prefix_len=prefix_len,
        n_runs=n_runs,
        min_vote=min_vote,
    )

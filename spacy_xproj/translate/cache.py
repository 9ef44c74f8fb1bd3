"""Persistent translation cache (SQLite, WAL mode, no pickles).

Keys are ``(model, src, tgt, settings, text)``: the model fingerprint (name, or path + a hash of its
config for local folders), the model's language codes, the generation settings as canonical JSON,
and the exact input text. Each ``put_*`` call is one transaction (the translator commits once per
batch), so an interrupted run keeps every finished batch and a rerun re-translates nothing twice.

The same file also stores NMTScore log-probabilities (table ``scores``).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    src TEXT NOT NULL,
    tgt TEXT NOT NULL,
    settings TEXT NOT NULL,
    text TEXT NOT NULL,
    output TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    key TEXT PRIMARY KEY,
    value REAL NOT NULL
);
"""


def settings_json(settings: Mapping[str, Any]) -> str:
    """Canonical JSON of generation settings (sorted keys) — part of every key."""
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def make_key(*parts: str) -> str:
    """A stable key: SHA-256 of the JSON list of the parts."""
    blob = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf8")).hexdigest()


class TranslationCache:
    """SQLite-backed cache of translations (and NMTScore values) with hit/miss counters.

    ``path=":memory:"`` gives a throw-away in-memory cache. Safe to share a file between runs; one
    writer at a time (SQLite's locking; WAL lets readers continue).
    """

    def __init__(self, path: Union[str, Path]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=60.0)
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._conn.commit()
        self.hits = 0
        self.misses = 0

    def __getstate__(self) -> Dict[str, Any]:
        # A connection cannot be pickled: a copy (e.g. on a Ray actor) reopens the same file.
        if self.path == ":memory:":
            raise TypeError("an in-memory translation cache cannot be shipped to another process; use a file")
        return {"path": self.path}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"TranslationCache({self.path!r}, hits={self.hits}, misses={self.misses})"

    # -- translations ---------------------------------------------------------------------------
    def get_translations(
        self, model: str, src: str, tgt: str, settings: str, texts: Sequence[str]
    ) -> Dict[str, str]:
        """``text -> output`` for the texts that are cached; counts a hit or miss per text."""
        found: Dict[str, str] = {}
        unique = list(dict.fromkeys(texts))
        keys = {make_key(model, src, tgt, settings, t): t for t in unique}
        key_list = list(keys)
        for start in range(0, len(key_list), 500):
            chunk = key_list[start : start + 500]
            rows = self._conn.execute(
                f"SELECT key, output FROM translations WHERE key IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for key, output in rows:
                found[keys[key]] = output
        for t in texts:
            if t in found:
                self.hits += 1
            else:
                self.misses += 1
        return found

    def put_translations(
        self, model: str, src: str, tgt: str, settings: str, items: Iterable[Tuple[str, str]]
    ) -> None:
        """Store ``(text, output)`` pairs in one transaction (commit per batch)."""
        rows = [
            (make_key(model, src, tgt, settings, text), model, src, tgt, settings, text, output)
            for text, output in items
        ]
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?)", rows
            )

    # -- scores (NMTScore log-probabilities) ----------------------------------------------------
    def get_scores(self, keys: Sequence[str]) -> Dict[str, float]:
        found: Dict[str, float] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._conn.execute(
                f"SELECT key, value FROM scores WHERE key IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update({k: float(v) for k, v in rows})
        return found

    def put_scores(self, items: Iterable[Tuple[str, float]]) -> None:
        with self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?)", list(items))

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0])

    def close(self) -> None:
        self._conn.close()


_OPEN: Dict[str, TranslationCache] = {}


def open_cache(cache: Optional[Union[str, Path, TranslationCache]]) -> Optional[TranslationCache]:
    """``None`` -> no cache; a path -> a shared :class:`TranslationCache` for that file."""
    if cache is None or isinstance(cache, TranslationCache):
        return cache
    path = str(Path(cache).expanduser().resolve()) if str(cache) != ":memory:" else ":memory:"
    if path == ":memory:":
        return TranslationCache(path)
    if path not in _OPEN:
        _OPEN[path] = TranslationCache(path)
    return _OPEN[path]


def model_fingerprint(name_or_path: str) -> str:
    """The model part of a cache key: the hub name as given, or for a local folder its absolute
    path plus a hash of ``config.json`` and the weight files' sizes (a retrained model in the same
    folder does not reuse stale translations)."""
    p = Path(name_or_path).expanduser()
    if not p.is_dir():
        return name_or_path
    h = hashlib.sha256()
    cfg = p / "config.json"
    if cfg.exists():
        h.update(cfg.read_bytes())
    for f in sorted(p.iterdir()):
        if f.suffix in (".bin", ".safetensors", ".model", ".spm", ".json"):
            h.update(f"{f.name}:{f.stat().st_size}".encode())
    return f"{p.resolve()}#{h.hexdigest()[:16]}"


__all__: List[str] = [
    "TranslationCache",
    "open_cache",
    "model_fingerprint",
    "make_key",
    "settings_json",
]

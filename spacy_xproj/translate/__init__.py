"""Translation: language codes, HF seq2seq backend, persistent cache, NMTScore, component."""
from . import cache, component, hf, languages, nmtscore  # noqa: F401

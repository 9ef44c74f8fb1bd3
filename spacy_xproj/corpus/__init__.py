"""Corpus I/O: pair JSONL, CoNLL/IOB, Europarl-NER, MAFAND-MT, DocBin, and spaCy readers."""
from . import conll, docbin, europarl, jsonl, mafand, readers  # noqa: F401

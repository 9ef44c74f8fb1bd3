"""Source labelling: HF token classification and spaCy pipeline backends, component."""
from . import component, hf, spacy_pipeline  # noqa: F401

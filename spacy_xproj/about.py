"""Package metadata: the version lives here and only here."""

__title__ = "spacy-xproj"
__version__ = "0.1.0"

"""Entity-level evaluation (seqeval-equal P/R/F1, projection rate)."""
from . import metrics  # noqa: F401

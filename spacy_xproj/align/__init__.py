"""Word alignment: backends (SimAlign, AWESoME-style, eflomal), helpers, back-translation, component."""
from . import alignment_ops, awesome, backtranslation, component, eflomal_backend, simalign_backend  # noqa: F401

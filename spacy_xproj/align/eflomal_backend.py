"""eflomal backend with priors (trainable state, issue 9).

Placeholder: filled in by issue 4."""

"""Matching scores (align, ner, ner_spans, nmt interface, fused).

Placeholder: filled in by issue 3."""

"""Candidate extractors (n-grams, aligned sub-ranges, NER spans).

Placeholder: filled in by issue 3."""

"""Class-agnostic candidate tagger (issue 9).

Placeholder: filled in by issue 9."""

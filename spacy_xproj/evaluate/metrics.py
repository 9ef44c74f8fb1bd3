"""Entity-level P/R/F1 equal to seqeval; projection rate.

Placeholder: filled in by issue 2."""

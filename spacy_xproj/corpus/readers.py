"""Corpus I/O: readers.

Placeholder: filled in by issue 2."""


def create_pair_corpus(*args, **kwargs):  # entry point target; replaced by the real factory (issue 2)
    raise NotImplementedError("create_pair_corpus is not implemented yet (issue 2)")

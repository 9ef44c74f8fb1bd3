"""The xproj_translator component.

Placeholder: filled in by issue 5."""


def make_translator(*args, **kwargs):  # entry point target; replaced by the real factory (issue 5)
    raise NotImplementedError("make_translator is not implemented yet (issue 5)")

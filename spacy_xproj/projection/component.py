"""The xproj_projector component and projector registered functions.

Placeholder: filled in by issue 3."""


def make_projector(*args, **kwargs):  # entry point target; replaced by the real factory (issue 3)
    raise NotImplementedError("make_projector is not implemented yet (issue 3)")

"""Run a Python module or script with plain output (no colour codes) when it writes to a log.

    python scripts/plain_output.py -m spacy train configs/cnn.cfg --output training/x ...
    python scripts/plain_output.py scripts/some_script.py ARGS...

spaCy and weasel print through wasabi, which colours its output whether or not it goes to a
terminal: a log file of `spacy project run` fills with escape codes such as ``ESC[38;5;2m``.
wasabi leaves the colours out when ``ANSI_COLORS_DISABLED`` is set, its spinners and other
animations when ``WASABI_LOG_FRIENDLY`` is set, and its bold dividers and icons when
``WASABI_NO_PRETTY`` is set. When standard output is not a terminal this wrapper sets all three (unless the environment already sets them) and then runs the module or script
in the same process (no shell, so it works the same on Linux, macOS and Windows). On a terminal
nothing changes.
"""
from __future__ import annotations

import os
import runpy
import sys
from typing import List, MutableMapping, Optional, TextIO

# wasabi 1.1: colours off; animations off; no bold dividers or icons (dividers are bold even
# without colours)
PLAIN_ENV = {"ANSI_COLORS_DISABLED": "1", "WASABI_LOG_FRIENDLY": "1", "WASABI_NO_PRETTY": "1"}


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


def use_plain_output(
    stream: Optional[TextIO] = None, environ: Optional[MutableMapping[str, str]] = None
) -> bool:
    """Set ``PLAIN_ENV`` in ``environ`` (default: this process's environment, inherited by the
    commands it starts) when ``stream`` (default: standard output) is not a terminal. Values
    the environment already has are kept. Returns whether plain output was chosen."""
    stream = sys.stdout if stream is None else stream
    environ = os.environ if environ is None else environ
    if is_terminal(stream):
        return False
    for key, value in PLAIN_ENV.items():
        environ.setdefault(key, value)
    return True


def main(argv: Optional[List[str]] = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0 if args else 2)
    use_plain_output()
    if args[0] == "-m":
        if len(args) < 2:
            raise SystemExit("error: -m needs a module name")
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()

"""Command-line options -> a config of registered functions -> resolved objects.

An option the user did not give is left out of the config, so the registered function's own
default applies: the default of a setting lives in one place (the registered function), never in
a typer option as well. This is how spacy-llm builds its backends: a dict such as
``{"@xproj_projectors": "spacy-xproj.HeuristicProjector.v1", "top_k": 2}`` resolved through
``spacy.registry``.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Iterator, Tuple

from ..errors import ConfigError, InputError


def given(**options: Any) -> Dict[str, Any]:
    """The options that were given (``None`` = not given: use the registered default)."""
    return {k: v for k, v in options.items() if v is not None}


def registered_default(func: Callable[..., Any], param: str) -> Any:
    """The default of ``param`` in a registered function's signature (for help texts)."""
    return inspect.signature(func).parameters[param].default


def _references(block: Any, path: str = "") -> Iterator[Tuple[str, str, str]]:
    """``(path, registry, name)`` of every ``@registry = name`` reference in a config dict."""
    if isinstance(block, dict):
        for key, value in block.items():
            if isinstance(key, str) and key.startswith("@"):
                yield path or "config", key[1:], str(value)
            else:
                yield from _references(value, f"{path}.{key}" if path else str(key))


def check_registered(block: Dict[str, Any]) -> None:
    """Refuse a config that names an unregistered function, with the ones that exist."""
    from spacy.util import registry

    import spacy_xproj  # noqa: F401  (registers the package's functions)

    for where, reg_name, func_name in _references(block):
        reg = getattr(registry, reg_name, None)
        if reg is None:
            raise ConfigError(f"{where}: there is no registry @{reg_name}")
        try:
            reg.get(func_name)
        except Exception:  # catalogue.RegistryError
            available = ", ".join(sorted(reg.get_all())) or "none"
            raise ConfigError(
                f"{where}: '{func_name}' is not registered in @{reg_name} (available: {available}); "
                "is the package that provides it installed?"
            ) from None


def resolve_block(block: Dict[str, Any], what: str) -> Any:
    """The object a config block stands for, resolved through ``spacy.registry`` (unset
    arguments take the registered functions' defaults)."""
    from spacy.util import registry

    check_registered(block)
    try:
        return registry.resolve({what: block})[what]
    except (ConfigError, InputError):
        raise
    except Exception as err:  # confection's validation errors (wrong argument names or types)
        raise ConfigError(f"the {what} config does not resolve: {err}") from None


def fill_block(block: Dict[str, Any], what: str) -> Dict[str, Any]:
    """The block with every unset argument filled in from the registered functions' defaults
    (nothing is built: no model is loaded)."""
    from spacy.util import registry

    check_registered(block)
    try:
        return dict(registry.fill({what: block})[what])
    except Exception as err:
        raise ConfigError(f"the {what} config does not resolve: {err}") from None

"""Loading claim modules: the built-in claims and a user's, by one mechanism.

A *claim module* is any Python module that registers claims in
:data:`proofs_check.engine.registry.REGISTRY` when it is imported. It reaches ``dssl`` in one
of three ways, all ending in :func:`load_claim_module`:

- an installed package declares it in the ``dssl.claims`` entry-point group (this is how the
  toolkit's own :mod:`proofs_check.claims` is loaded)::

      [project.entry-points."dssl.claims"]
      my-paper = "my_package.claims"

- ``dssl check --claims my_claims.py`` (a file), or
- ``dssl check --claims my_package.claims`` (an importable module name).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from .registry import REGISTRY

ENTRY_POINT_GROUP = "dssl.claims"
BUILTIN_MODULE = "proofs_check.claims"


class ClaimLoadError(ValueError):
    """A claim module could not be found or imported (the message names it and the cause)."""


def _is_path(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or "\\" in spec


def load_claim_module(spec: str) -> ModuleType:
    """Import the claim module ``spec``: a path to a ``.py`` file or a dotted module name.

    Loading the same file or module twice is a no-op (it is imported once per process).

    Raises
    ------
    ClaimLoadError
        If ``spec`` is not a string, the file does not exist, or importing it raises (the
        message carries the exception, e.g. a claim ID registered twice).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ClaimLoadError(f"a claim module must be a file path or a module name, got {spec!r}")
    if _is_path(spec):
        path = Path(spec).expanduser().resolve()
        if not path.is_file():
            raise ClaimLoadError(f"claim module {spec!r}: no such file")
        if path.suffix != ".py":
            raise ClaimLoadError(f"claim module {spec!r}: expected a .py file")
        name = f"dssl_claims_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        if name in sys.modules:
            return sys.modules[name]
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        folder = str(path.parent)
        if folder not in sys.path:          # helpers beside the module import as in a script
            sys.path.insert(0, folder)
        state, outer = REGISTRY.checkpoint(), REGISTRY.loading
        REGISTRY.loading = str(path)
        try:
            module_spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            del sys.modules[name]
            REGISTRY.rollback(state)
            raise ClaimLoadError(f"claim module {spec!r}: importing it raised "
                                 f"{type(exc).__name__}: {exc}") from exc
        finally:
            REGISTRY.loading = outer      # a module loaded from another keeps its loader's
        return module
    if spec in sys.modules:
        return sys.modules[spec]
    state, outer = REGISTRY.checkpoint(), REGISTRY.loading
    REGISTRY.loading = spec
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        REGISTRY.rollback(state)
        if exc.name and spec.startswith(exc.name):
            raise ClaimLoadError(f"claim module {spec!r}: no such module (give a .py path or an "
                                 f"importable module name)") from exc
        raise ClaimLoadError(f"claim module {spec!r}: importing it raised "
                             f"{type(exc).__name__}: {exc}") from exc
    except (Exception, SystemExit) as exc:
        REGISTRY.rollback(state)
        raise ClaimLoadError(f"claim module {spec!r}: importing it raised "
                             f"{type(exc).__name__}: {exc}") from exc
    finally:
        REGISTRY.loading = outer


def registered_modules() -> list[tuple[str, str]]:
    """``(name, module)`` of every ``dssl.claims`` entry point, the toolkit's own first.

    When this source tree runs without being installed (no entry points for it), the built-in
    module is listed under the name ``dssl-verify`` all the same, so the claims never vanish.
    """
    found = sorted({(ep.name, ep.value) for ep in entry_points(group=ENTRY_POINT_GROUP)},
                   key=lambda nv: (nv[1] != BUILTIN_MODULE, nv[0]))
    if not any(value == BUILTIN_MODULE for _, value in found):
        found.insert(0, ("dssl-verify", BUILTIN_MODULE))
    return found


def load_claims(extra: list[str] | tuple[str, ...] = (), *, builtin: bool = True) -> list[str]:
    """Load every registered claim module (entry points), then ``extra`` (paths or module names).

    Returns the module names loaded, in order. Raises :class:`ClaimLoadError` for the first
    module that cannot be loaded.
    """
    loaded = []
    if builtin:
        for name, value in registered_modules():
            try:
                loaded.append(load_claim_module(value).__name__)
            except ClaimLoadError as exc:
                raise ClaimLoadError(f"entry point {name!r} of {ENTRY_POINT_GROUP}: {exc}") from exc
    for spec in extra:
        loaded.append(load_claim_module(spec).__name__)
    return loaded

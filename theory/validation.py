"""Argument validation shared by the public functions of :mod:`theory`.

Every helper raises ``TypeError``/``ValueError`` whose message names the argument, the value
received and what was expected. Nothing is coerced silently: a float where an integer is
required is an error, not a truncation.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np


def as_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integer (bool excluded) within bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def as_float(
    name: str,
    value,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    unit_interval: bool = False,
    open_unit_interval: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` satisfying the requested sign/range constraint."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if nonnegative and not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if unit_interval and not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    if open_unit_interval and not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie in the open interval (0, 1), got {value}")
    return value


def as_array(name: str, value, *, ndim: int | None = None, shape: tuple | None = None) -> np.ndarray:
    """Return ``value`` as a finite float64 array with the given ``ndim``/``shape``.

    ``shape`` entries that are ``None`` match any size.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real array, got {type(value).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr


def check_symmetric(name: str, mat: np.ndarray, *, atol: float = 1e-10) -> None:
    """Raise if the trailing two axes of ``mat`` are not a symmetric matrix (to ``atol``)."""
    if mat.shape[-1] != mat.shape[-2]:
        raise ValueError(f"{name} must be square in its last two axes, got shape {mat.shape}")
    err = np.max(np.abs(mat - np.swapaxes(mat, -1, -2)), initial=0.0)
    if err > atol * max(1.0, np.max(np.abs(mat), initial=0.0)):
        raise ValueError(f"{name} must be symmetric, max |A - A^T| = {err:.3g}")


def check_psd(name: str, mat: np.ndarray, *, rtol: float = 1e-10) -> None:
    """Raise if ``mat`` (symmetric, trailing axes) has an eigenvalue below ``-rtol * scale``."""
    check_symmetric(name, mat)
    eig = np.linalg.eigvalsh(mat)
    scale = max(1.0, float(np.max(np.abs(eig), initial=0.0)))
    if np.min(eig, initial=0.0) < -rtol * scale:
        raise ValueError(
            f"{name} must be positive semidefinite, smallest eigenvalue {np.min(eig):.3g}"
        )


def schema_value(key: str, value, spec: tuple):
    """Validate one configuration value against a schema entry ``(type, default, check, doc)``.

    ``check`` is a tuple of allowed values, a callable returning an error message or ``None``,
    or ``None``. An int is accepted (and converted) where a float is expected; a bool is never
    a number. Returns the value; raises ``TypeError``/``ValueError`` naming ``key``.
    """
    typ, _, check, _ = spec
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if typ is not bool and isinstance(value, bool) or not isinstance(value, typ):
        raise TypeError(f"{key}: expected {typ.__name__}, got {value!r} ({type(value).__name__})")
    if typ is float and not math.isfinite(value):
        raise ValueError(f"{key}: {value!r} must be a finite number")
    if isinstance(check, tuple):
        if value not in check:
            raise ValueError(f"{key}: {value!r} is not allowed; allowed values: {list(check)}")
    elif check is not None and (msg := check(value)):
        raise ValueError(f"{key}: {value!r} {msg}")
    return value


def machine_memory() -> int:
    """Bytes of physical memory of this machine: the budget size checks compare against."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):   # pragma: no cover  (no sysconf)
        return 8 << 30

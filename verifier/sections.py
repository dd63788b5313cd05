"""Field-by-field comparison of a bundle section with the verifier's own (trusted) section."""

from __future__ import annotations

import json


def _diff(got: dict, want: dict, prefix: str) -> list[str]:
    """Dotted names of the fields where ``got`` differs from ``want`` (extra and missing included)."""
    out = []
    for k in sorted(set(got) | set(want)):
        g, w = got.get(k, KeyError), want.get(k, KeyError)
        if isinstance(g, dict) and isinstance(w, dict):
            out += _diff(g, w, f"{prefix}{k}.")
        elif type(g) is not type(w) or g != w:
            out.append(prefix + k)
    return out


def differs(got: dict, want: dict, prefix: str) -> list[str]:
    """[] when ``got`` is ``want`` as JSON (types included: true is not 1), else the fields that differ."""
    if json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True):
        return []
    return _diff(got, want, prefix) or [prefix.rstrip(".") or "statement"]

"""Compiling test circuits with circom2, cached in build/test-circuits/ (the witness side: harness.py).

Compilation. ``compile_template`` writes a tiny main (``component main {public [...]} = T(params);``)
and ``compile_main`` takes a full main file; both run ``circom2 --r1cs --wasm --sym`` (circom 2.2.3
compiled to WASI: it sees only the repository tree, so every path passed is relative to the
repository root) and cache the result in ``build/test-circuits/<name>-<key>/``, where the key is a
sha256 over the main source, every ``.circom`` file under ``circuits/`` and every file the main
includes, the parameters, the optimisation level and the compiler and circomlib versions. A
source change recompiles; an unchanged one reads the cache without starting Node. Compilation
happens in a temporary folder renamed into place, so concurrent pytest processes are safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Callable, Sequence

from tests.circuits.harness import NODE_MODULES, REPO, Circuit, ToolchainError, _node

CIRCUITS = REPO / "circuits"
CACHE_DIR = REPO / "build" / "test-circuits"
LIBRARY_DIRS = ("circuits", "node_modules", ".")  # -l order: as circom resolves includes
_HARNESS_FORMAT = "zkmargin-test-harness-1"  # bump to invalidate every cached build

_INCLUDE = re.compile(r'^\s*include\s+"([^"]+)"\s*;', re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CompileError(RuntimeError):
    """circom2 rejected the main file; the message is the compiler's output (template, line)."""



# --------------------------------------------------------------------------- toolchain


def _package_version(name: str) -> str:
    pkg = NODE_MODULES / name / "package.json"
    try:
        return json.loads(pkg.read_text())["version"]
    except (OSError, ValueError, KeyError) as exc:
        raise ToolchainError(
            f"{pkg.relative_to(REPO)} unreadable ({exc}): run `npm ci` in {REPO} (see .ci/setup)"
        ) from None


def _compiler_cli() -> Path:
    cli = NODE_MODULES / "circom2" / "cli.js"
    if not cli.is_file():
        raise ToolchainError(f"circom2 not installed ({cli.relative_to(REPO)} missing): run `npm ci`")
    return cli


def _run_compiler(main_rel: str, out_rel: str, opt: str) -> str:
    """Run circom2 on ``main_rel`` into ``out_rel`` (both relative to REPO); returns its output."""
    cmd = [_node(), str(_compiler_cli()), main_rel, "--r1cs", "--wasm", "--sym", f"--{opt}"]
    for lib in LIBRARY_DIRS:
        cmd += ["-l", lib]
    cmd += ["-o", out_rel]
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    except OSError as exc:
        raise ToolchainError(f"cannot run {' '.join(cmd)}: {exc}") from None
    text = _ANSI.sub("", proc.stdout + proc.stderr)
    if proc.returncode != 0 or "Everything went okay" not in text:
        raise CompileError(f"circom2 failed on {main_rel} (exit {proc.returncode}):\n{text.strip()}")
    return text


# --------------------------------------------------------------------------- cache


def _opt_flag(opt: str | int) -> str:
    flag = str(opt).upper().lstrip("-")
    flag = flag if flag.startswith("O") else f"O{flag}"
    if flag not in ("O0", "O1", "O2"):
        raise ValueError(f"opt must be O0, O1 or O2, got {opt!r}")
    return flag


def _resolve_include(name: str, from_dir: Path) -> Path | None:
    for base in (from_dir, *(REPO / lib for lib in LIBRARY_DIRS)):
        cand = (base / name).resolve()
        if cand.is_file():
            return cand
    return None


def _include_closure(source: str, from_dir: Path) -> set[Path]:
    """Every file reachable through ``include`` from ``source`` (resolved as circom does)."""
    seen: set[Path] = set()
    todo = [(source, from_dir)]
    while todo:
        text, here = todo.pop()
        for name in _INCLUDE.findall(text):
            path = _resolve_include(name, here)
            if path is not None and path not in seen:
                seen.add(path)
                try:
                    todo.append((path.read_text(errors="replace"), path.parent))
                except FileNotFoundError:
                    pass
    return seen


def _cache_key(main_source: str, main_from_dir: Path, extra: Sequence[str]) -> str:
    h = hashlib.sha256()
    for part in (
        _HARNESS_FORMAT,
        "circom2 " + _package_version("circom2"),
        "circomlib " + _package_version("circomlib"),
        *extra,
        main_source,
    ):
        h.update(part.encode() + b"\0")
    files = set(CIRCUITS.rglob("*.circom")) | _include_closure(main_source, main_from_dir)
    for path in sorted(files):
        h.update(str(path.relative_to(REPO) if path.is_relative_to(REPO) else path).encode() + b"\0")
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except FileNotFoundError:  # deleted meanwhile: part of the key as "missing"
            h.update(b"missing")
    return h.hexdigest()


def _compile_cached(
    stem: str, opt: str, key_of: Callable[[], tuple[str, str]], main_rel: str | None
) -> Circuit:
    """Compile into ``CACHE_DIR/<stem>-<key[:24]>`` unless it is there already.

    ``key_of()`` returns (cache key, main source). With ``main_rel`` None the source is written as
    ``<stem>.circom`` in the build folder; else ``main_rel`` (relative to REPO) is compiled in place.
    The key is taken again after compiling: if a source changed meanwhile (others edit circuits/
    while tests run), the build is redone rather than cached under a key it does not match.
    """
    for _ in range(3):
        key, source = key_of()
        final = CACHE_DIR / f"{stem}-{key[:24]}"
        if (final / "meta.json").is_file():
            return Circuit(final, stem)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = CACHE_DIR / f".tmp-{stem}-{key[:12]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            src_rel = main_rel
            if src_rel is None:
                (tmp / f"{stem}.circom").write_text(source)
                src_rel = str((tmp / f"{stem}.circom").relative_to(REPO))
            log = _run_compiler(src_rel, str(tmp.relative_to(REPO)), opt)
            if key_of()[0] != key:
                continue  # a source changed while compiling: build again
            (tmp / "compile.log").write_text(log)
            (tmp / "meta.json").write_text(json.dumps({"stem": stem, "key": key, "opt": opt}))
            try:
                os.rename(tmp, final)  # atomic; fails if another process got there first
            except OSError:
                if not (final / "meta.json").is_file():
                    raise
            return Circuit(final, stem)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    raise CompileError(f"{stem}: the sources kept changing while compiling; try again")


def _stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def compile_template(
    file: str,
    template: str,
    params: Sequence[int] = (),
    public: Sequence[str] = (),
    main_name: str | None = None,
    opt: str | int = "O1",
) -> Circuit:
    """Compile ``component main {public [...]} = template(params);`` and return the Circuit.

    ``file`` is relative to ``circuits/`` (``"range.circom"``) or, failing that, to the repository
    root (``"tests/circuits/toy/toy.circom"``). ``main_name`` names the generated main file and the
    build folder (default: the template name and its parameters).
    """
    if (CIRCUITS / file).is_file():
        include = str((CIRCUITS / file).resolve().relative_to(CIRCUITS))  # found via -l circuits
    elif (REPO / file).is_file():
        include = str((REPO / file).resolve().relative_to(REPO))  # found via -l .
    else:
        raise FileNotFoundError(f"{file}: not under {CIRCUITS} nor {REPO}")
    params = [int(p) for p in params]
    public_part = f"{{public [{', '.join(public)}]}} " if public else ""
    source = (
        "pragma circom 2.1.6;\n"
        f'include "{include}";\n'
        f"component main {public_part}= {template}({', '.join(map(str, params))});\n"
    )
    stem = _stem(main_name or "_".join([template, *(str(p).replace("-", "m") for p in params)]))
    opt = _opt_flag(opt)
    extra = [f"template {stem}", opt]
    return _compile_cached(stem, opt, lambda: (_cache_key(source, CACHE_DIR, extra), source), None)


def compile_main(path: str, opt: str | int = "O1") -> Circuit:
    """Compile a full main file (``"circuits/main/margin_3x4.circom"``, relative to the repo root)."""
    main = (REPO / path).resolve()
    if not main.is_file():
        raise FileNotFoundError(f"{path}: no such main file under {REPO}")
    main_rel = str(main.relative_to(REPO))
    opt = _opt_flag(opt)
    extra = [f"main {main_rel}", opt]

    def key_of() -> tuple[str, str]:
        source = main.read_text()
        return _cache_key(source, main.parent, extra), source

    return _compile_cached(_stem(main.stem), opt, key_of, main_rel)

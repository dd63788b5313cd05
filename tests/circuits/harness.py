"""Witness-test harness: a compiled circuit computes witnesses and checks them against its R1CS.

Three kinds of test per template (docs: STYLE.md section 3, after circomkit's expectPass /
expectFail / expectConstraintFail):

- ``circuit.outputs(circuit.witness(inputs))``: exact outputs for a valid input;
- ``circuit.expect_witness_failure(inputs)``: our witness generator refuses (an ``assert`` or a
  ``===`` fails while computing); the returned text names the template and line;
- ``circuit.check_constraints(circuit.edit(w, {...}))``: a forged witness, as an adversary with
  their own generator would build it, is rejected by ``A*B = C`` over the exported R1CS
  (``ConstraintViolation``). Only this kind shows the circuit itself is sound.

Compilation: tests/circuits/compiler.py (``compile_template``, ``compile_main``).

Witnesses. One Node process per witness runs the circom-generated ``witness_calculator.js`` on a
temporary ``input.json`` (ints, negative ints mapped mod P, nested lists, decimal strings); the
binary ``.wtns`` and ``.r1cs`` are read by ``tests/circuits/r1cs.py``. Wire 0 is the constant 1.

Names. Signals are named as in the ``.sym`` file (``main.x``, ``main.sub.y[3]``; the ``main.``
prefix may be left out) and mapped to WIRE indices through the sym's wire column. At the default
``--O1`` circom removes signals that are only a linear alias of another (``a <== b`` between
intermediate signals, component signals wired straight to a parent signal): those map to wire -1 and
``signal_index`` raises ``ValueError`` for them. Inputs, outputs of ``main`` and ``<--`` hints
are never removed at --O1; edit those.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterable, Sequence

from tests.circuits.r1cs import R1CS, P, read_wtns

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"

_INPUT_ERRORS = re.compile(
    r"Signal \S+ not found|Not enough values for input signal|Too many values for input signal"
    r"|Not all inputs have been set|Types are not the same in the key"
)


class ToolchainError(RuntimeError):
    """Node or circom2 is missing or failed to start; names the command. Tests fail, never skip."""


class InputError(ValueError):
    """The input dict does not fit the circuit (unknown signal, wrong array length, missing input).

    Deliberately NOT a ``WitnessFailure``: a misspelt key must not pass ``expect_witness_failure``.
    """


class WitnessFailure(Exception):
    """The witness generator refused: an ``assert`` or ``===`` failed while computing.

    The message includes circom's error text, e.g. ``Error in template ToyInverse_0 line: 52``.
    """


class ConstraintViolation(Exception):
    """A witness does not satisfy ``A*B = C``; names the constraint and the signals in it.

    Attributes: ``index`` (constraint number, 0-based; -1 when wire 0 is not 1), ``signals``
    (list of (name, wire, value) for the wires of the violated constraint).
    """

    def __init__(self, message: str, index: int, signals: list[tuple[str, int, int]]):
        super().__init__(message)
        self.index = index
        self.signals = signals


# --------------------------------------------------------------------------- toolchain


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ToolchainError(
            "node not found on PATH: the circuit tests need Node 20 and `npm ci` "
            "(circom2, snarkjs, circomlib in node_modules); see .ci/setup"
        )
    return node


# --------------------------------------------------------------------------- circuit


_WITNESS_RUNNER = r"""
const fs = require("fs");
const [wcPath, wasmPath, inputPath, outPath] = process.argv.slice(-4);
(async () => {
  const wc = await require(wcPath)(fs.readFileSync(wasmPath));
  const input = JSON.parse(fs.readFileSync(inputPath, "utf8"));
  let buff;
  try {
    buff = await wc.calculateWTNSBin(input, 0);
  } catch (e) {
    process.stderr.write("@@WITNESS_ERROR@@\n" + String(e && e.message ? e.message : e));
    process.exit(3);
  }
  fs.writeFileSync(outPath, Buffer.from(buff));
})();
"""


def _field_json(value: Any, where: str) -> Any:
    """Input values as input.json wants them: decimal strings mod P, nested lists kept."""
    if isinstance(value, (list, tuple)):
        return [_field_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _field_json(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value % P)
    if isinstance(value, str):
        try:
            return str(int(value.strip(), 0) % P)
        except ValueError:
            raise InputError(f"input {where}: {value!r} is not an integer") from None
    if hasattr(value, "__index__"):  # numpy integers
        return str(int(value) % P)
    raise InputError(f"input {where}: {type(value).__name__} is not an int, str or list")


def _fmt(v: int) -> str:
    """A field element for messages: ``p-5`` style for the upper half (negative numbers)."""
    return f"p-{P - v}" if v > P // 2 else str(v)


_INDEX = re.compile(r"\[(\d+)\]")


def _split_name(name: str) -> tuple[str, list[int]]:
    """``"x[2][1]"`` -> ``("x", [2, 1])``."""
    base = name.split("[", 1)[0]
    return base, [int(i) for i in _INDEX.findall(name[len(base) :])]


def _nest(entries: Iterable[tuple[list[int], int]]) -> int | list:
    """Values at index paths -> nested lists (a scalar for the empty path)."""
    entries = list(entries)
    if len(entries) == 1 and not entries[0][0]:
        return entries[0][1]
    groups: dict[int, list] = {}
    for idx, val in entries:
        groups.setdefault(idx[0], []).append((idx[1:], val))
    return [_nest(groups[i]) for i in range(max(groups) + 1)]


class Circuit:
    """A compiled circuit: R1CS header, wasm witness generator and ``.sym`` name map.

    Attributes: ``n_constraints``, ``n_public`` (public outputs + public inputs), ``n_outputs``,
    ``n_wires``, ``n_labels``, ``r1cs_path``, ``wasm_path``, ``sym_path``, ``build_dir``.
    """

    def __init__(self, build_dir: Path, stem: str):
        self.build_dir = Path(build_dir)
        self.name = stem
        self.r1cs_path = self.build_dir / f"{stem}.r1cs"
        self.sym_path = self.build_dir / f"{stem}.sym"
        self.wasm_path = self.build_dir / f"{stem}_js" / f"{stem}.wasm"
        self._wc_path = self.build_dir / f"{stem}_js" / "witness_calculator.js"
        self.r1cs = R1CS(self.r1cs_path)
        self.n_constraints = self.r1cs.n_constraints
        self.n_wires = self.r1cs.n_wires
        self.n_labels = self.r1cs.n_labels
        self.n_outputs = self.r1cs.n_pub_out
        self.n_public = self.r1cs.n_pub_out + self.r1cs.n_pub_in
        self._wire: dict[str, int] = {}
        self._wire_name: dict[int, str] = {}
        self._outputs: dict[str, list[tuple[list[int], int]]] | None = None
        with open(self.sym_path) as fh:
            for line in fh:
                _label, wire, _comp, name = line.rstrip("\n").split(",", 3)
                w = int(wire)
                self._wire[name] = w
                if w >= 0 and w not in self._wire_name:
                    self._wire_name[w] = name

    def __repr__(self) -> str:
        return (
            f"<Circuit {self.name}: {self.n_constraints} constraints, {self.n_wires} wires, "
            f"{self.n_public} public>"
        )

    # ---- names

    @staticmethod
    def _full(name: str) -> str:
        return name if name.startswith("main.") else f"main.{name}"

    def signal_index(self, name: str) -> int:
        """Wire index of a signal; KeyError if unknown, ValueError if optimised away (wire -1)."""
        full = self._full(name)
        if full not in self._wire:
            near = sorted(n for n in self._wire if n.startswith(full.split("[", 1)[0]))[:5]
            hint = f"; similar: {', '.join(near)}" if near else ""
            raise KeyError(f"no signal {full!r} in {self.sym_path.name}{hint}")
        wire = self._wire[full]
        if wire < 0:
            raise ValueError(
                f"signal {full!r} was optimised away by the compiler (wire -1 in the .sym): "
                "edit an input, an output or a <-- hint instead, or compile with opt='O0'"
            )
        return wire

    def signal_name(self, wire: int) -> str:
        """The first ``.sym`` name of a wire (``"one"`` for wire 0)."""
        return "one" if wire == 0 else self._wire_name.get(wire, f"wire{wire}")

    def signal_names(self, prefix: str = "") -> list[str]:
        """Every ``.sym`` name starting with ``main.<prefix>`` (removed signals included)."""
        full = self._full(prefix) if prefix else "main."
        return [n for n in self._wire if n.startswith(full)]

    def get(self, w: Sequence[int], name: str) -> int | list:
        """Value of a signal; an array name without index (``"bits"``) gives the nested list."""
        full = self._full(name)
        if full in self._wire:
            return w[self.signal_index(full)]
        elems = [
            (_split_name(n[len(full) :])[1], w[self.signal_index(n)])
            for n in self._wire
            if n.startswith(full + "[") and "." not in n[len(full) :]
        ]
        if not elems:
            self.signal_index(full)  # raises KeyError with hints
        return _nest(elems)

    def outputs(self, w: Sequence[int]) -> dict[str, int | list]:
        """Outputs of ``main`` by name, arrays as nested lists, raw field elements (negative = P - x).

        Outputs are wires 1..n_outputs (R1CS header), named by their ``main.<name>`` sym entries.
        """
        if self._outputs is None:
            self._outputs = {}
            for name, wire in self._wire.items():
                if 1 <= wire <= self.n_outputs and name.startswith("main."):
                    base, idx = _split_name(name[len("main.") :])
                    if "." not in base:  # skip a subcomponent signal sharing the output wire
                        self._outputs.setdefault(base, []).append((idx, wire))
        return {k: _nest((idx, w[j]) for idx, j in v) for k, v in self._outputs.items()}

    def edit(self, w: Sequence[int], changes: dict[str | int, int]) -> list[int]:
        """Copy of ``w`` with named signals (or wire indices) set to values mod P."""
        out = list(w)
        for name, value in changes.items():
            wire = name if isinstance(name, int) else self.signal_index(name)
            out[wire] = int(value) % P
        return out

    # ---- witness

    def witness(self, inputs: dict) -> list[int]:
        """Full witness (wire 0 = 1) computed by the circom-generated generator in Node.

        Raises WitnessFailure when an ``assert`` or ``===`` fails while computing, InputError when
        the inputs do not fit the circuit's input signals.
        """
        payload = {k: _field_json(v, k) for k, v in inputs.items()}
        with tempfile.TemporaryDirectory(prefix="zkm-wtns-") as tmp:
            inp, out = Path(tmp, "input.json"), Path(tmp, "witness.wtns")
            inp.write_text(json.dumps(payload))
            cmd = [_node(), "-e", _WITNESS_RUNNER, "--", str(self._wc_path), str(self.wasm_path),
                   str(inp), str(out)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True)
            except OSError as exc:
                raise ToolchainError(f"cannot run node: {exc}") from None
            if proc.returncode != 0:
                err = proc.stderr
                if "@@WITNESS_ERROR@@" not in err:
                    raise ToolchainError(f"witness runner for {self.name} crashed:\n{err.strip()}")
                msg = err.split("@@WITNESS_ERROR@@\n", 1)[1].strip()
                logs = proc.stdout.strip()
                text = msg + (f"\n(circuit log:)\n{logs}" if logs else "")
                if _INPUT_ERRORS.search(msg):
                    raise InputError(f"inputs do not fit {self.name}: {text}")
                raise WitnessFailure(f"witness generator for {self.name} refused: {text}")
            values = read_wtns(out)
        if len(values) != self.n_wires:
            raise ValueError(f"{self.name}: witness has {len(values)} values, R1CS {self.n_wires} wires")
        return values

    def expect_witness_failure(self, inputs: dict) -> str:
        """Error text of a refused witness; AssertionError if the witness was computed fine."""
        try:
            self.witness(inputs)
        except WitnessFailure as exc:
            return str(exc)
        raise AssertionError(f"witness generator for {self.name} accepted {inputs!r}")

    # ---- R1CS

    def check_constraints(self, w: Sequence[int]) -> None:
        """Raise ConstraintViolation on the first constraint with (A.w)(B.w) != C.w mod P."""
        if len(w) != self.n_wires:
            raise ValueError(f"witness has {len(w)} values, {self.name} has {self.n_wires} wires")
        if w[0] % P != 1:
            raise ConstraintViolation(f"{self.name}: wire 0 must be 1, is {w[0]}", -1, [])
        for i, (a_terms, b_terms, c_terms) in enumerate(self.r1cs.constraints):
            a = sum([w[j] * c for j, c in a_terms]) % P
            b = sum([w[j] * c for j, c in b_terms]) % P if a else 0
            c = sum([w[j] * c for j, c in c_terms]) % P
            if (a * b - c) % P:
                self._violation(w, i, a, b, c)

    def _violation(self, w: Sequence[int], i: int, a: int, b: int, c: int) -> None:
        terms = self.r1cs.constraints[i]
        a, b, c = (sum(w[j] * k for j, k in part) % P for part in terms)
        wires = sorted({j for part in terms for j, _ in part if j != 0})
        signals = [(self.signal_name(j), j, w[j]) for j in wires]
        shown = ", ".join(f"{n} (wire {j}) = {_fmt(v)}" for n, j, v in signals[:12])
        more = f", ... {len(signals) - 12} more" if len(signals) > 12 else ""
        raise ConstraintViolation(
            f"{self.name}: constraint {i} of {self.n_constraints} violated: "
            f"A.w * B.w = {_fmt(a * b % P)} != C.w = {_fmt(c)}  (A.w = {_fmt(a)}, B.w = {_fmt(b)}); "
            f"signals: {shown}{more}",
            i,
            signals,
        )

    def is_satisfied(self, w: Sequence[int]) -> bool:
        try:
            self.check_constraints(w)
        except ConstraintViolation:
            return False
        return True

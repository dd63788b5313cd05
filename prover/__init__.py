"""zkmargin prover: market snapshot -> risk table -> witness -> Groth16 proof -> proof bundle.

Pure-Python modules (snapshot, spec, black76, risk_array, fixed_point, poseidon, risk_table,
portfolio, margin) import without Node; only ``snarkjs`` and ``setup`` run the Node toolchain.
"""

__version__ = "0.1.0"

"""zkmargin's public layer: what the prover and the verifier compute identically from public data.

- ``methodology/``: the market snapshot, instrument ids, scenario spec, Black-76, risk arrays, the
  Poseidon risk table and the margin arithmetic (SPEC sections 3-5);
- ``crypto/``: Poseidon, BabyJubJub, EdDSA (BLAKE-512) and trader identity commitments, bit for
  bit as circomlib computes them in the circuits;
- ``fixed_point.py``, ``circuit.py`` (circuit parameters and public-signal names), ``statement.py``
  (the named statement), ``bundle_format.py``, ``errors.py`` and ``json_input.py`` (named errors,
  bounded JSON reading).

Dependency rule: ``public`` imports neither ``prover`` nor ``verifier``; ``verifier`` imports only
``public``; ``prover`` imports ``public`` and, to check its own bundles, ``verifier``
(tests/test_layout.py enforces it).
"""

"""Commitments and signatures as the circuits compute them: Poseidon, BabyJubJub, EdDSA, identity commitments."""

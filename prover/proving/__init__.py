"""Proving: witness from the book and the risk table, Groth16 proof, the bundle, the prove pipeline."""

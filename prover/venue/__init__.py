"""The venue's statement tooling: signing account statements with its EdDSA key, reading them back."""

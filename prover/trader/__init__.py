"""The trader's private inputs: an unsigned portfolio (what-if) and the identity secret."""

"""Plain scalar reference implementations (tests only), written apart from the vectorised code."""

"""The ``zkmargin`` command line: ``main.py`` is the entry point, ``common.py`` what commands share."""

"""How the CLI tests run ``zkmargin`` (click's CliRunner) and what a named error must look like."""

from click.testing import CliRunner

from prover.cli.main import main


def run(*args):
    """Invoke ``zkmargin ARGS`` in-process; exceptions are not caught, so a traceback fails the test."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_named_error(result, *words, code: int = 2):
    """Exit code ``code`` (2: bad input; 1: a book that does not meet the policy), one ``error: ...``
    line, no traceback, and every word in the output."""
    assert result.exit_code == code, result.output
    assert result.output.startswith("error: ") or "\nerror: " in result.output, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output, result.output

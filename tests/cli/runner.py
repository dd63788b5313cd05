"""How the CLI tests run ``zkmargin`` (click's CliRunner) and what a named error must look like."""

from click.testing import CliRunner

from prover.cli import main


def run(*args):
    """Invoke ``zkmargin ARGS`` in-process; exceptions are not caught, so a traceback fails the test."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_named_error(result, *words):
    """Exit code 2, one ``error: ...`` line, no traceback, and every word in the output."""
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") or "\nerror: " in result.output, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output, result.output

"""The README's Python snippet runs as written, from the repository root, and accepts the fixture bundle."""

import os
import re

from tests.conftest import REPO


def test_readme_python_snippet_runs_as_written(capsys):
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert len(blocks) == 1
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        scope = {}
        exec(compile(blocks[0], "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    assert scope["decision"].accepted, scope["decision"].failed
    assert capsys.readouterr().out.startswith("True []")

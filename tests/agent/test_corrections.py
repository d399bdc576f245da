"""Corrections quote the repository, never placeholders: a small model copies the example it is shown.

Real git repositories, real test runs, a scripted model (the shapes Qwen2.5-Coder 1.5B produced).
"""

import json
import re

from smallcoder.agent.correction import FileAtHand, correction_examples, example_line, first_example
from smallcoder.agent.loop import AgentConfig
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore
from smallcoder.tools import default_tools

from .conftest import git
from .scripts import hermes

PLACEHOLDERS = ("exact old lines", "fixed lines", "path/to/file", "return a - b", "return a + b", "src/app.py")
PROSE = "The bug is in the division: it should divide by the number of values, not one less."


def fix(repo, outputs, task="mean() is wrong for [2, 4, 6]", **opts):
    backend = ScriptedBackend(outputs=list(outputs))
    with RunStore() as store:
        result = run_fix(task, repo, backend, FixOptions(**opts), [store])
    return result, backend


def corrections(backend):
    """The user messages the agent sent after the first prompt: the corrections."""
    return [m.content for request in backend.requests for m in request[2:] if m.role == "user"]


def example_arguments(correction):
    match = re.search(r"<tool_call>\n(.*?)\n</tool_call>", correction, re.DOTALL)
    assert match, correction
    return json.loads(match.group(1))


def add_table(repo):
    (repo / "report").mkdir()
    (repo / "report" / "table.py").write_text(
        "class Table:\n    def row(self, cells):\n        # one row of the table\n"
        "        return ' | '.join(cells)\n\n    def rule(self, width):\n        return '-' * width\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "table")


def test_a_correction_quotes_a_real_line_of_the_file_last_read(example_repo):
    add_table(example_repo)
    reads = hermes("read_file", path="report/table.py", start_line=6, end_line=7)
    result, backend = fix(example_repo, [reads, PROSE, "Sure!", "I am not sure."])
    assert result.reason.startswith("3 replies")
    correction = corrections(backend)[0]
    assert correction.startswith("Your reply did not call a tool")
    call = example_arguments(correction)
    assert call["name"] == "replace_in_file" and call["arguments"]["path"] == "report/table.py"
    assert call["arguments"]["old"] in (example_repo / "report" / "table.py").read_text().splitlines()
    assert call["arguments"]["old"] == "        return '-' * width"  # the statement nearest where it read
    assert not any(p in correction for p in PLACEHOLDERS)


def test_before_any_read_the_example_comes_from_the_file_the_task_concerns(example_repo):
    _, backend = fix(example_repo, [PROSE, PROSE + " Really.", "Sure!"])
    for correction in corrections(backend):
        call = example_arguments(correction)
        assert call["arguments"]["path"] == "stats.py"
        assert call["arguments"]["old"] == "    return sum(values) / (len(values) - 1)"  # a real line of stats.py
        assert not any(p in correction for p in PLACEHOLDERS)
        assert "applied to stats.py" in correction  # the code-block shape, with the real file


def test_a_broken_call_is_corrected_with_an_example_from_the_file(example_repo):
    broken = hermes("replace_in_file", path="stats.py", old="return sum(values) / (len(values) - 1)")  # no `new`
    _, backend = fix(example_repo, [broken, broken.replace("stats.py", "stats.py "), "{{"])
    correction = corrections(backend)[0]
    assert "could not be used" in correction
    call = example_arguments(correction)
    assert call["name"] == "replace_in_file"
    assert call["arguments"]["old"] in (example_repo / "stats.py").read_text().splitlines()
    assert not any(p in correction for p in PLACEHOLDERS)


def test_the_example_line_is_a_statement_near_where_the_model_looked(tmp_path):
    (tmp_path / "m.py").write_text(
        '"""Doc."""\nimport os\n\n\n@decorator\ndef f(x):\n    # why\n    y = os.path.join(x, "a")\n'
        "    return y\n" + "\n" * 60 + "def g():\n    value = compute_it()\n    print(value)\n"
    )
    assert example_line(tmp_path, FileAtHand("m.py")) == "    return y"
    assert example_line(tmp_path, FileAtHand("m.py", 71)) == "    value = compute_it()"
    assert example_line(tmp_path, FileAtHand("missing.py")) is None


def test_with_no_file_at_hand_the_example_lists_the_repository(tmp_path):
    tools = {t.name: t for t in default_tools()}
    examples = correction_examples(tmp_path, tools, None, None)
    assert list(examples) == ["list_files"] and first_example(examples).arguments == {"path": "."}
    (tmp_path / "src").mkdir()
    # a directory "at hand" (from list_files) is no file: the task's file is used instead
    (tmp_path / "a.py").write_text("def f():\n    return 42\n")
    examples = correction_examples(tmp_path, tools, FileAtHand("src"), "a.py")
    assert examples["replace_in_file"].arguments == {"path": "a.py", "old": "    return 42", "new": "    return 42"}


def test_without_code_blocks_the_correction_offers_only_the_call(example_repo):
    _, backend = fix(example_repo, [PROSE, PROSE + "!", PROSE + "?"], agent=AgentConfig(code_block_edits=False))
    correction = corrections(backend)[0]
    assert "```python" not in correction and example_arguments(correction)["arguments"]["path"] == "stats.py"

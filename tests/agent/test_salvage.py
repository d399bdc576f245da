"""edit_from_code_block: which ```python block of a reply is an edit, and of which file."""

from smallcoder.agent.salvage import edit_from_code_block
from smallcoder.tools.definition import defined_names


def repo(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "keywords.py").write_text('import re\n\nKEYWORDS = {\n    "AS": 1,\n}\n\n\ndef is_kw(w):\n    return w in KEYWORDS\n')
    (tmp_path / "pkg" / "other.py").write_text("def helper():\n    result = 1\n    return result\n")
    return tmp_path


def test_a_block_that_only_reassigns_a_table_goes_to_the_file_that_assigns_it(tmp_path):
    call = edit_from_code_block('Fix:\n```python\nKEYWORDS = {\n    "AS": 1,\n    "BY": 1,\n}\n```', repo(tmp_path))
    assert call is not None and call.name == "rewrite_function" and call.arguments["path"] == "pkg/keywords.py"


def test_example_assignments_beside_other_code_are_no_edit(tmp_path):
    # `result = …` is assigned inside a function of other.py, not at its top level; a block mixing
    # assignments with calls is an example, not a rewrite.
    root = repo(tmp_path)
    assert edit_from_code_block("```python\nresult = is_kw('AS')\n```", root) is None
    assert edit_from_code_block("```python\nKEYWORDS = {}\nprint(is_kw('AS'))\n```", root) is None


def test_defined_names_prefers_definitions_and_takes_assignments_only_alone():
    assert defined_names("X = 1\n\ndef f():\n    pass\n") == ["f"]
    assert defined_names("X = 1\nY: int = 2\n") == ["X", "Y"]
    assert defined_names("X = 1\nprint(X)\n") == [] and defined_names("") == []

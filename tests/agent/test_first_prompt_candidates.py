"""The first prompt shows the likeliest files when the task names none, inside the map's budget."""

import pytest

from smallcoder.agent.first_prompt import MAP_MAX_TOKENS, MAP_SHARE, SECTION_TOKENS, build_first_prompt
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore
from smallcoder.types import estimate_tokens

from .conftest import git
from .scripts import hermes

HEADING = "# Likely locations"
SLUG = (
    '"""URL slugs of titles."""\n\nimport re\n\n\n'
    "def slugify(title):\n"
    '    """Lower-case URL slug of a title: words joined by dashes, punctuation dropped."""\n'
    "    words = re.split(r'[^a-z0-9]', title.lower())\n"
    "    return '-'.join(words)\n"
)
TASK = "Turning a title that ends in punctuation into a URL slug leaves a trailing dash."


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "textutil").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "textutil" / "__init__.py").write_text("")
    (root / "textutil" / "slug.py").write_text(SLUG)
    # enough other code for the repository map to fill its budget
    for i in range(40):
        body = "".join(f"def helper_{i}_{j}(text, width={j}):\n    return text[:width]\n\n\n" for j in range(6))
        (root / "textutil" / f"module_{i}.py").write_text(body)
    (root / "tests" / "test_slug.py").write_text(
        "from textutil.slug import slugify\n\n\ndef test_title_punctuation_slug_trailing_dash():\n"
        "    assert slugify('Hello, world!') == 'hello-world'\n"
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def test_a_task_that_names_no_file_gets_the_likeliest_files(repo):
    first = build_first_prompt(repo, TASK, "python -m pytest -q", None, 8_192)
    assert HEADING in first.text
    section = first.text[first.text.index(HEADING):]
    assert section.split("```\n", 1)[1].startswith("textutil/slug.py\n  6│def slugify(title):")
    assert "tests/test_slug.py" not in section.split("# Repository map")[0]  # never a test file
    assert first.candidates[0] == "textutil/slug.py" and first.focus_file == "textutil/slug.py"
    assert first.text.index(HEADING) < first.text.index("# Repository map")


def test_the_candidates_replace_part_of_the_map_and_the_prompt_does_not_grow(repo):
    window = 8_192
    budget = min(MAP_MAX_TOKENS, int(window * MAP_SHARE))
    with_list = build_first_prompt(repo, TASK, "python -m pytest -q", None, window)
    without = build_first_prompt(repo, TASK, "python -m pytest -q", None, window, show_candidates=False)
    assert without.repo_map_tokens > budget - 40  # the map alone fills its budget here
    assert with_list.candidate_tokens > 0
    assert with_list.candidate_tokens + SECTION_TOKENS + with_list.repo_map_tokens <= budget
    assert estimate_tokens(with_list.text) <= estimate_tokens(without.text)
    assert HEADING not in without.text


def test_a_task_that_names_a_file_gets_no_candidates(repo):
    first = build_first_prompt(repo, "slug.py: " + TASK, "python -m pytest -q", None, 8_192)
    assert HEADING not in first.text and first.candidates == []
    off = build_first_prompt(repo, "slug.py: " + TASK, "python -m pytest -q", None, 8_192, show_candidates=False)
    assert first.text == off.text  # the prompt it got before, byte for byte
    assert first.focus_file == "textutil/slug.py"  # the named file is shown, as before


def test_a_task_that_names_only_a_test_file_still_gets_candidates(repo):
    # what the reproduce-first phase appends: it names its test, not where the fix goes
    task = TASK + "\n\nA test that reproduces this problem was added and fails now: tests/test_slug.py."
    first = build_first_prompt(repo, task, "python -m pytest -q", None, 8_192)
    assert HEADING in first.text and first.candidates[0] == "textutil/slug.py"


def test_fix_sends_the_candidates_in_its_first_request(repo):
    fix = hermes("replace_in_file", path="textutil/slug.py", old="    return '-'.join(words)",
                 new="    return '-'.join(w for w in words if w)")
    backend = ScriptedBackend(outputs=[fix])
    with RunStore() as store:
        result = run_fix(TASK, repo, backend, FixOptions(test_command="python -m pytest -q"), [store])
    assert result.status == "resolved"
    first = backend.requests[0][1].content
    assert HEADING in first and "textutil/slug.py\n  6│def slugify(title):" in first

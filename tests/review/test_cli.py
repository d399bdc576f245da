"""`smallcoder review` on a real repository with the scripted model, and --post against the local
fake GitHub (a first run creates the review, a run after a new push updates it). The first test goes
through the installed entry point; the rest call the same main() in process (fast on a loaded machine)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.backends.scripted import ScriptedBackend
from tests.github.fake_github import FakeGitHub

from .conftest import STATS_V2, TESTS, git, two_commits
from .scripts import LIST_CALL, OBSERVED, REPORT, write_script

SMALLCODER = [str(Path(sys.executable).parent / "smallcoder")]
TOKEN = "ghp_valid"


@pytest.fixture
def review(capsys, monkeypatch):
    """Run `smallcoder review ARGS` through cli.app.main() in process; returns (code, stdout, stderr)."""
    from smallcoder.cli.app import main

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        monkeypatch.setattr(sys, "argv", ["smallcoder", "review", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, int(exited.value.code or 0), out.out, out.err)
    return run


def test_diff_prints_findings_with_file_and_line(repo, tmp_path):
    model = write_script(tmp_path / "m.json", [LIST_CALL])  # one call: the finding's input ran on both versions
    out = subprocess.run([*SMALLCODER, "review", "--diff", "HEAD~1", "--repo", str(repo), "--model", model,
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    (finding,) = json.loads(out.stdout)["findings"]
    assert (finding["path"], finding["start_line"], finding["scenario"]) == ("stats.py", 15, OBSERVED)
    text = subprocess.run([*SMALLCODER, "review", "--diff", "HEAD~1", "--repo", str(repo), "--model", model],
                          capture_output=True, text=True, timeout=120)
    assert text.stdout.splitlines()[1] == "stats.py:15: high bug: `mean([])` now raises ZeroDivisionError: division by zero"
    assert text.stdout.startswith("smallcoder review: 1 finding in 1 changed file (0 dropped by the checks, "
                                  "1 checked by running it, 1 model calls)")


def test_agent_mode_and_the_run_store_see_the_review(repo, tmp_path, review):
    model = write_script(tmp_path / "m.json", [REPORT, "done", "yes"])
    out = review("--diff", "HEAD~1", "--mode", "agent", "--repo", str(repo), "--model", model)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1] == "stats.py:15: high bug: empty list divides by zero"
    listed = subprocess.run([*SMALLCODER, "runs", "list", "--json"], capture_output=True, text=True, timeout=60)
    (run,) = json.loads(listed.stdout)
    assert (run["status"], run["task"], run["model_calls"]) == ("reviewed", "review --diff HEAD~1", 3)
    shown = subprocess.run([*SMALLCODER, "runs", "show", run["id"], "--json"], capture_output=True, text=True,
                           timeout=60)
    record = json.loads(shown.stdout)
    assert [f["start_line"] for f in record["run"]["extra"]["findings"]] == [15]
    assert record["run"]["extra"]["mode"] == "agent" and "count = len(values)" in record["run"]["diff"]


def test_sarif_to_a_file_and_fail_on(repo, tmp_path, review):
    model = write_script(tmp_path / "m.json", [LIST_CALL])
    out = review("--diff", "HEAD~1", "--repo", str(repo), "--model", model, "--format", "sarif",
                 "-o", str(tmp_path / "r.sarif"), "--fail-on", "high")
    assert out.returncode == 1, out.stderr
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 15


def test_staged_hook_mode_with_nothing_staged_loads_no_model(repo, review):
    out = review("--staged", "--repo", str(repo), "--model", "/nonexistent/model.gguf")
    assert out.returncode == 0 and "nothing to review" in out.stdout


def test_staged_reviews_the_index_not_the_working_tree(repo, tmp_path, review):
    (repo / "stats.py").write_text((repo / "stats.py").read_text() + "\n\ndef half(x):\n    return x / 0\n")
    git(repo, "add", "stats.py")
    model = write_script(tmp_path / "m.json", ["done"])
    out = review("--staged", "--repo", str(repo), "--model", model, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["findings"] == []


@pytest.mark.parametrize("args, message", [
    (["--diff", "HEAD", "--staged"], "choose one of --diff, --staged and --pr"),
    (["--post"], "--post needs --pr"),
    (["--format", "yaml"], "unknown format 'yaml'"),
    (["--fail-on", "scary"], "--fail-on takes one of"),
    (["--mode", "oracle"], "unknown --mode 'oracle'"),
    (["--diff", "no-such-ref"], "no-such-ref"),
])
def test_bad_input_is_one_line_and_exit_2(repo, args, message, review):
    out = review(*args, "--repo", str(repo), "--model", "/nonexistent.gguf")
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_post_creates_one_review_then_updates_it_after_a_push(repo, tmp_path, review):
    with FakeGitHub(tokens=(TOKEN,)) as fake:
        env = {"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN}
        fake.add_repo("acme/stats")
        base, head = git(repo, "rev-parse", "HEAD~1").strip(), git(repo, "rev-parse", "HEAD").strip()
        fake.add_pull("acme/stats", 3, base_sha=base, head_sha=head, diff_lines={"stats.py": set(range(11, 16))})
        model = write_script(tmp_path / "m.json", [LIST_CALL])
        first = review("--pr", "acme/stats#3", "--post", "--repo", str(repo), "--model", model, env=env)
        assert first.returncode == 0, first.stderr
        assert "posted review" in first.stderr and "1 comments added" in first.stderr
        # a new push: the same bug is still there, one more line changed
        (repo / "stats.py").write_text((repo / "stats.py").read_text().replace('"""The sum of values."""',
                                                                                 '"""The sum of the values."""'))
        git(repo, "commit", "-q", "-am", "docs")
        fake.repos["acme/stats"].pulls[3]["head"]["sha"] = git(repo, "rev-parse", "HEAD").strip()
        second = review("--pr", "https://github.com/acme/stats/pull/3", "--post", "--repo", str(repo),
                        "--model", write_script(tmp_path / "m2.json", [LIST_CALL]), env=env)
        assert second.returncode == 0, second.stderr
        assert "updated review" in second.stderr and "0 comments added" in second.stderr
        assert len(fake.repos["acme/stats"].reviews[3]) == 1
        assert len(fake.repos["acme/stats"].review_comments[3]) == 1


def test_post_of_a_clean_change_posts_nothing(repo, tmp_path, review):
    with FakeGitHub(tokens=(TOKEN,)) as fake:
        fake.add_repo("acme/stats")
        base, head = git(repo, "rev-parse", "HEAD~1").strip(), git(repo, "rev-parse", "HEAD").strip()
        fake.add_pull("acme/stats", 3, base_sha=base, head_sha=head)
        out = review("--pr", "acme/stats#3", "--post", "--repo", str(repo), "--no-verify",
                     "--model", write_script(tmp_path / "m.json", ["done"]),
                     env={"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN})
        assert out.returncode == 0 and "nothing posted" in out.stderr, out.stderr
        assert not fake.calls("POST", r".*/reviews")


@pytest.mark.parametrize("spec", ["HEAD~1..HEAD", "HEAD~1...HEAD"])
def test_a_commit_range_is_reviewed_with_its_calls_run_on_both_ends(repo, tmp_path, spec):
    (repo / "stats.py").write_text("# an uncommitted edit the range does not include\n")
    model = write_script(tmp_path / "m.json", [LIST_CALL])
    out = subprocess.run([*SMALLCODER, "review", "--diff", spec, "--repo", str(repo), "--model", model,
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    (finding,) = json.loads(out.stdout)["findings"]
    assert (finding["path"], finding["start_line"], finding["scenario"]) == ("stats.py", 15, OBSERVED)


def test_the_default_mode_reviews_an_untracked_new_file(repo, tmp_path, review):
    (repo / "extra.py").write_text("def half(x):\n    return x / 0\n")  # not `git add`ed
    listed = ('[{"file": "extra.py", "line": 2, "code": "return x / 0", "input": "half(2)", '
              '"failure": "half(2) raises ZeroDivisionError instead of returning 1.0"}]')
    out = review("--repo", str(repo), "--model", write_script(tmp_path / "m.json", [listed]), "--no-verify",
                 "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [(f["path"], f["start_line"]) for f in report["findings"]] == [("extra.py", 2)]
    assert "in 1 changed file" in report["summary"] and "nothing could be run" not in report["summary"]


def test_staged_in_a_repository_without_commits_reviews_the_first_commit(tmp_path, review):
    root = tmp_path / "fresh"
    root.mkdir()
    (root / "stats.py").write_text(STATS_V2)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "stats.py")
    out = review("--staged", "--repo", str(root), "--model", write_script(tmp_path / "m.json", [LIST_CALL]),
                 "--no-verify", "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [(f["path"], f["start_line"]) for f in report["findings"]] == [("stats.py", 15)]
    assert "nothing could be run" not in report["summary"]  # the old side is the empty tree


@pytest.mark.parametrize("args, message", [
    ([], "has no commits yet, so there is nothing to compare with — `git add` the files and review what the "
         "first commit will hold with --staged"),
    (["--diff", "main"], "has no commits yet"),
])
def test_other_modes_without_commits_say_so_in_one_line(tmp_path, review, args, message):
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    out = review(*args, "--repo", str(root), "--model", "/nonexistent.gguf")
    assert out.returncode == 2 and message in out.stderr and "--init" not in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_outside_a_repository_the_error_offers_no_init(tmp_path, review):
    (tmp_path / "plain").mkdir()
    out = review("--repo", str(tmp_path / "plain"), "--model", "/nonexistent.gguf")
    assert out.returncode == 2 and "is not in a git repository" in out.stderr and "--init" not in out.stderr


def test_ctrl_c_shows_the_finished_test_evidence_and_exits_130(tmp_path, review, monkeypatch):
    repo = two_commits(tmp_path / "p", STATS_V2, {"test_stats.py": TESTS}, "mean: simpler")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ScriptedBackend, "complete", interrupted)  # Ctrl-C once the tests ran
    out = review("--diff", "HEAD~1", "--repo", str(repo), "--model", write_script(tmp_path / "m.json", ["[]"]),
                 "--format", "json")
    assert out.returncode == 130, out.stderr
    report = json.loads(out.stdout)
    assert [f["title"] for f in report["findings"]] == ["breaks `test_mean_of_nothing_is_zero`"]
    assert "interrupted" in report["summary"] and "interrupted" in out.stderr

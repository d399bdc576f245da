"""`smallcoder fix --issue` as a new user runs it: the real command in a subprocess, a scripted model file,
the fake GitHub API through GITHUB_API_URL, and a bare repository as `origin`."""

import json
import os
import subprocess
import sys

from .conftest import git
from .scripts import FIX, WRITE_REPRO


def smallcoder(project, *args, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "smallcoder.cli.app", *args], cwd=project, env=full_env,
                          capture_output=True, text=True, timeout=300)


def model_file(tmp_path, outputs):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(outputs))
    return f"scripted:{path}"


def test_issue_number_to_draft_pull_request(hosted, project, remote, tmp_path):
    # In GitHub Actions the repository comes from GITHUB_REPOSITORY when `origin` is not a GitHub URL.
    proc = smallcoder(project, "fix", "--issue", "7", "--pr", "--draft", "--comment", "--json",
                      "-m", model_file(tmp_path, [WRITE_REPRO, FIX]), env={"GITHUB_REPOSITORY": "acme/textutil"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["success"] and out["issue"] == "acme/textutil#7"
    assert out["pushed"]["branch"] == "smallcoder/issue-7" and out["pull_request"]["draft"] is True
    assert git(remote, "rev-parse", "refs/heads/smallcoder/issue-7") == out["commit"]
    pr = hosted.repos["acme/textutil"].pulls[out["pull_request"]["number"]]
    assert pr["draft"] and "## Root cause" in pr["body"] and "| after the fix | passed" in pr["body"]
    assert out["comment"].endswith(str(hosted.repos["acme/textutil"].comments[7][-1]["id"]))


def test_human_output_names_the_reproduction_and_the_pr(hosted, project, tmp_path):
    proc = smallcoder(project, "fix", "--issue", "acme/textutil#7", "--pr", "-m",
                      model_file(tmp_path, [WRITE_REPRO, FIX]))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    assert "reproduction: reproduced: test_issue_7.py" in text
    assert "pushed origin/smallcoder/issue-7" in text and "pull request #8 opened" in text


def test_errors_are_one_line(hosted, project, tmp_path, monkeypatch):
    model = model_file(tmp_path, [FIX])
    cases = [
        (["--issue", "acme/textutil#99"], {}, "issue acme/textutil#99 not found"),
        (["--issue", "acme/textutil#7", "--pr"], {"GITHUB_TOKEN": "", "PATH": "/usr/bin:/bin"}, "no GitHub token"),
        (["--issue", "acme/textutil#7"], {"GITHUB_TOKEN": "ghp_wrong"}, "rejected the token from GITHUB_TOKEN"),
        (["some task", "--issue", "acme/textutil#7"], {}, "either a TASK or --issue"),
        (["some task", "--pr"], {}, "--pr and --comment need --issue"),
        (["--issue", "acme/textutil#7", "--draft"], {}, "--draft goes with --pr"),
    ]
    for args, env, message in cases:
        proc = smallcoder(project, "fix", *args, "-m", model, env=env)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and proc.stderr.strip().count("\n") == 0, proc.stderr
    hosted.rate_limited = True
    proc = smallcoder(project, "fix", "--issue", "acme/textutil#7", "-m", model)
    assert proc.returncode == 2 and "rate limit exceeded until" in proc.stderr
    assert git(project, "branch", "--list", "smallcoder/*") == ""  # nothing ran

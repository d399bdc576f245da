"""Token discovery: environment variables first, then the GitHub CLI's hosts.yml."""

from smallcoder.github import find_token


def write_hosts(tmp_path, text):
    config = tmp_path / "gh-config"  # GH_CONFIG_DIR, set by the autouse fixture
    config.mkdir(exist_ok=True)
    (config / "hosts.yml").write_text(text)


def test_no_token_anywhere(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # and no `gh` to ask
    assert find_token() is None


def test_github_token_wins_over_gh_token(monkeypatch):
    monkeypatch.setenv("GH_TOKEN", "from-gh-token")
    assert find_token().value == "from-gh-token"
    monkeypatch.setenv("GITHUB_TOKEN", "from-github-token")
    token = find_token()
    assert token.value == "from-github-token" and token.source == "GITHUB_TOKEN"
    assert "from-github-token" not in repr(token)


def test_gh_hosts_file(tmp_path):
    write_hosts(tmp_path, "github.com:\n    user: me\n    oauth_token: gho_abc\n    git_protocol: https\n"
                          "ghe.example.com:\n    oauth_token: gho_enterprise\n")
    assert find_token("github.com").value == "gho_abc"
    assert find_token("ghe.example.com").value == "gho_enterprise"
    assert find_token("github.com").source.endswith("hosts.yml")


def test_broken_or_tokenless_hosts_file_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    write_hosts(tmp_path, "github.com: [unclosed\n")
    assert find_token() is None
    write_hosts(tmp_path, "github.com:\n    user: me\n")  # token kept in the keyring by newer gh
    assert find_token() is None


def test_enterprise_variables_only_off_github_com(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("GH_ENTERPRISE_TOKEN", "ent")
    assert find_token("github.com") is None
    assert find_token("ghe.example.com").value == "ent"

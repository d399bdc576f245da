"""What the model reads of a test log: real pytest output, condensed by rule, nothing else lost."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smallcoder.workspace.test_output import condense, for_model

NOTE = re.compile(r"^\[\d+ warnings? from installed packages left out: .+\]$")


def _project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project whose tests import a package from a `site-packages` directory that warns on import and at
    call time, the way a pytest plugin or a library's deprecation does; one test fails."""
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (site / "noisy").mkdir(parents=True)
    (site / "noisy" / "__init__.py").write_text(textwrap.dedent("""\
        import warnings
        warnings.warn("The configuration option is unset.\\nIt will default to something else.", DeprecationWarning)

        def old():
            warnings.warn("old() is deprecated", DeprecationWarning)
            return 1
        """))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "mod.py").write_text("import warnings\n\ndef half(x):\n    warnings.warn('half is slow', UserWarning)\n"
                                 "    return x // 2\n")
    tests = "".join(f"def test_ok_{i}():\n    assert half({2 * i}) == {i}\n\n" for i in range(100))
    (repo / "test_mod.py").write_text(
        "import noisy\nfrom mod import half\n\n" + tests
        + "def test_noisy():\n    assert noisy.old() == 1\n\ndef test_bad():\n    assert half(3) == 1.5\n")
    env = {"PYTHONPATH": f"{site}{':' + str(repo)}", "PATH": "/usr/bin:/bin", "COLUMNS": "80",
           "PYTHONWARNINGS": "always::DeprecationWarning"}
    return repo, env


def _pytest(repo: Path, env: dict[str, str]) -> str:
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio"],
                       cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    return p.stdout + p.stderr


def test_real_pytest_log_keeps_failures_and_own_warnings(tmp_path: Path) -> None:
    repo, env = _project(tmp_path)
    raw = _pytest(repo, env)
    # A direct python run prints the import-time warning in Python's stderr form as well.
    raw = subprocess.run([sys.executable, "-c", "import noisy"], cwd=repo, env=env, capture_output=True,
                         text=True).stderr + raw
    assert "site-packages" in raw and "warnings summary" in raw  # the noise is really there
    assert len(re.findall(r"\[\s*\d+%\]$", raw, re.M)) >= 2
    out = condense(raw)
    assert "site-packages" not in out
    assert out.splitlines()[-1] == ("[3 warnings from installed packages left out: noisy (DeprecationWarning)]")
    assert "half is slow" in out  # the project's own warning stays, with the summary section
    assert "warnings summary" in out
    assert "assert half(3) == 1.5" in out and "FAILED test_mod.py::test_bad" in out
    assert re.search(r"1 failed, 101 passed", out)
    assert sum(1 for ln in out.splitlines() if re.search(r"\[\s*\d+%\]$", ln)) == 1  # the last progress line
    assert not re.search(r"^_ _ ", out, re.M) and "=" * 6 not in out
    assert len(out) < len(raw) * 0.8


def test_summary_section_of_installed_warnings_only_goes_whole() -> None:
    raw = textwrap.dedent("""\
        .F                                                                       [100%]
        =============================== warnings summary ===============================
        ../venv/lib/python3.11/site-packages/_pytest/config/__init__.py:1373
          /venv/lib/python3.11/site-packages/_pytest/config/__init__.py:1373: PytestConfigWarning: Unknown config option: asyncio_mode

            self._warn_or_fail_if_strict(f"Unknown config option: {key}\\n")

        -- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html
        =========================== short test summary info ============================
        FAILED test_x.py::test_a - assert 1 == 2
        1 failed, 1 passed, 1 warning in 0.05s
        """)
    out = condense(raw)
    assert out.splitlines() == [
        ".F [100%]", "=== short test summary info ===", "FAILED test_x.py::test_a - assert 1 == 2",
        "1 failed, 1 passed, 1 warning in 0.05s", "[1 warning from installed packages left out: _pytest (PytestConfigWarning)]"]


def test_installed_warning_without_source_line_drops_only_its_line() -> None:
    raw = "/v/lib/python3.11/site-packages/p.py:3: UserWarning: x\nreal output line\nmore\n"
    assert condense(raw) == "real output line\nmore\n[1 warning from installed packages left out: p (UserWarning)]\n"


def test_other_logs_pass_through() -> None:
    raw = "Ran 3 tests in 0.001s\n\nFAILED (failures=1)\nsrc/app.py:3: UserWarning: mine\n  warn()\n"
    assert condense(raw) == raw


def test_for_model_cuts_at_the_head_with_a_note() -> None:
    raw = "".join(f"line {i}\n" for i in range(1000)) + "1 failed in 2s\n"
    out = for_model(raw, 200)
    assert out.endswith("1 failed in 2s\n")
    assert out.startswith("[... ") and "cut ...]" in out.splitlines()[0]
    assert len(out) <= 200 + len(out.splitlines()[0]) + 1


_LINES = st.lists(st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e"
                                   "\x85\u2028\u2029"), max_size=30),
    st.sampled_from(["....F [ 40%]", "..... [100%]", "_ _ _ _ _", "======== FAILURES ========",
                     "/x/lib/python3.12/site-packages/a.py:1: DeprecationWarning: d", "  src_line()", "",
                     "===== warnings summary =====", "-- Docs: https://docs.pytest.org/x", "tests/t.py::t"])),
    max_size=40)


@given(_LINES)
def test_condense_is_stable_and_keeps_every_other_line(lines: list[str]) -> None:
    raw = "\n".join(lines)
    out = condense(raw)
    assert condense(out) == out  # a condensed log has no noise left to find
    kept = out.splitlines()
    if kept and NOTE.match(kept[-1]):
        kept = kept[:-1]
    assert len(kept) <= len(raw.splitlines())
    plain = [ln for ln in raw.splitlines() if re.fullmatch(r"[a-z ]+", ln) and ln.strip()]
    assert [ln for ln in kept if ln in plain] == plain  # plain text lines all survive, in order


# What a new user's hostile logs broke (each stands for a class): warning-shaped text that is evidence.
INSTALLED_WARNING = "/v/lib/python3.11/site-packages/n.py:3: DeprecationWarning: old"


@pytest.mark.parametrize("raw", [
    # an assertion message, a short-summary line and a diff line that hold a warning's text
    f"E   AssertionError: {INSTALLED_WARNING}\n\ntest_b.py:9: AssertionError\n___ T.test_z ___\n    def test_z(self):\n",
    f"FAILED test_b.py::test_msg - AssertionError: {INSTALLED_WARNING}\n1 failed in 0.1s\n",
    f"E   + {INSTALLED_WARNING}\ntest_a.py:7: AssertionError\n",
    # --tb=line: a warning raised as an error is the failure itself
    f"=== FAILURES ===\n{INSTALLED_WARNING}\n/repo/test_a.py:15: assert (1 + 1) == 3\n=== 1 failed ===\n",
    # unittest -v: a test's result line with the warning printed into it
    f"test_first (t.T.test_first) ... {INSTALLED_WARNING}\n  warn()\nFAIL\n",
    # unittest's report of a failure whose message is a warning
    f"======\nFAIL: test_z (t.T.test_z)\n------\nAssertionError: '{INSTALLED_WARNING}' != ''\n"
    f"{INSTALLED_WARNING}\n  warn()\n\nRan 1 test in 0.01s\n",
])
def test_warning_text_inside_failures_and_results_stays(raw):
    assert condense(raw) == raw


def test_a_warning_without_source_line_leaves_the_next_test_alone():
    raw = ("/v/lib/python3.11/site-packages/binlib.py:2: UserWarning: legacy build\ntest_a (test_u.T.test_a) ... FAIL\n\n"
           "======\nFAIL: test_a (test_u.T.test_a)\n------\nTraceback (most recent call last):\n"
           '  File "/repo/test_u.py", line 4, in test_a\n    self.assertEqual(binlib.f(), 2)\nAssertionError: 1 != 2\n')
    out = condense(raw)
    assert out == raw.split("\n", 1)[1] + "[1 warning from installed packages left out: binlib (UserWarning)]\n"


def test_progress_lines_with_failures_stay_when_a_run_hangs():
    raw = ".......F......... [ 35%]\n................. [ 71%]\n.........\n"
    assert condense(raw) == raw.replace("......... [ 35%]", "......... [ 35%]")
    raw = "test_a.py .......F...  [ 48%]\ntest_b.py ...... [ 60%]\nFatal Python error: Segmentation fault\n"
    assert condense(raw).splitlines()[0] == "test_a.py .......F... [ 48%]"


def test_summary_entries_keep_their_test_ids():
    raw = ("=== warnings summary ===\nt.py::test_noisy\nt.py::test_mixed\n  /v/lib/python3.11/site-packages/n.py:3: DeprecationWarning: old\n"
           "    warn()\n\nt.py::test_half\n  /repo/mod.py:3: UserWarning: half is slow\n    warn()\n")
    out = condense(raw)
    assert "test_noisy" not in out and "test_mixed" not in out
    assert "t.py::test_half\n  /repo/mod.py:3: UserWarning: half is slow" in out
    assert out.endswith("[1 warning from installed packages left out: n (DeprecationWarning)]\n")


def test_colour_codes_go_and_the_rest_is_condensed():
    raw = "\x1b[32m.....\x1b[0m\x1b[32m [ 50%]\x1b[0m\n\x1b[31mF\x1b[0m [100%]\n\x1b[31m1 failed\x1b[0m\n"
    assert condense(raw) == "F [100%]\n1 failed\n"


def test_what_a_test_prints_inside_its_report_stays_and_vendored_code_is_the_projects():
    raw = ("=== FAILURES ===\n___ test_prints ___\n----- Captured stdout call -----\n========== RESULTS ==========\n"
           "/opt/app/lib/python3.11/site-packages/x.py:1: UserWarning: printed by test\nline after\n"
           "=== short test summary info ===\nFAILED t.py::test_prints\n"
           "/repo/vendor/site-packages/helper.py:3: UserWarning: legacy format\n  warn()\n")
    out = condense(raw)
    assert "printed by test\nline after" in out and "legacy format" in out
    assert "from installed packages" not in out

"""cli/exitcodes.py: one code per outcome, all distinct, documented in docs/outcomes.md."""

from pathlib import Path

from smallcoder.cli import exitcodes
from smallcoder.errors import BackendError, ConfigError, SmallcoderError
from smallcoder.session.outcome import STATUSES

DOC = Path(__file__).resolve().parents[2] / "docs" / "outcomes.md"


def test_codes_are_distinct_and_documented():
    codes = {s: exitcodes.exit_code(s) for s in STATUSES}
    assert codes["resolved"] == 0 and codes["cancelled"] == 130
    everything = [*codes.values(), exitcodes.USAGE, exitcodes.REFUSED]
    assert len(set(everything)) == len(everything)
    doc = DOC.read_text()
    rows: dict[str, str] = {}
    for line in doc.splitlines():  # the first table: | `status` | meaning | code |
        if line.startswith("| `"):
            rows.setdefault(line.split("|")[1].strip(), line.rstrip().rstrip("|").split("|")[-1].strip())
    for status, code in codes.items():
        assert rows[f"`{status}`"] == str(code), status
    assert f"| {exitcodes.USAGE} |" in doc and f"| {exitcodes.REFUSED} |" in doc


def test_errors_before_and_during_a_run():
    assert exitcodes.error_status(ConfigError("bad"), run_started=False) == ("usage", exitcodes.USAGE)
    assert exitcodes.error_status(SmallcoderError("bad"), run_started=True) == ("error", exitcodes.ERROR)
    assert exitcodes.error_status(BackendError("down"), run_started=False) == ("error", exitcodes.ERROR)
    assert exitcodes.error_status(RuntimeError("bug"), run_started=False) == ("error", exitcodes.ERROR)
    assert exitcodes.error_status(KeyboardInterrupt(), run_started=True) == ("cancelled", exitcodes.CANCELLED)

"""Checking a finding by running it: the model's example call, run on the code before and after the change.

A small model's yes/no judgement of its own finding is worthless (Qwen2.5-Coder-1.5B answered "no" to
every finding, true ones included: benchmarks/results/review.md), but the call it names as the input
("sqlparse.parse('select 1 as b')", "PrettyTable(padding_width=0)") can simply be run. The probe is a
small Python script, run once on each side of the change with the project's interpreter; a finding
whose call gives the same result on both sides is not a change of behaviour and is dropped, one whose
results differ is shown with what was observed instead of what the model guessed.

    target = import_target(tree, "src/pkg/mod.py")     # ("src", "pkg.mod") or None
    script = probe_script("mod.f(0)", [target])
    outcome = read_outcome(stdout_of_running(script))  # Outcome(value="1", ...)
    compare(old_outcome, new_outcome)                  # "differs" | "same" | "unrunnable"

The script runs the call with the changed module's names in scope (its globals, the module under its
own short name and its top-level package), prints its own stdout and the value of the last expression
(or of the last assigned name), and reports an exception as its type and message. Memory addresses are
stripped so that two runs of the same code compare equal.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

MAX_SHOWN = 600  # characters of a result kept in a finding's text
# A call that raises one of these on the code *before* the change never ran the changed code.
UNRUNNABLE = ("NameError", "SyntaxError", "ImportError", "ModuleNotFoundError", "probe")
SKIPPED_MODULES = ("setup", "conftest", "__main__", "noxfile", "manage")  # importing them does things

_SCRIPT = r'''
import sys
sys.path.pop(0)  # this script's folder (the project's top): a project module named json.py must not shadow ours
import ast, contextlib, importlib, io, json, os, re
ROOTS, MODULES, CODE, SELF_CLASS, TRACED = {roots!r}, {modules!r}, {code!r}, {self_class!r}, {traced!r}
sys.path[:0] = ROOTS
LINES, IMPORTED = [], []
def _line(frame, event, arg):
    if event == "line" and len(LINES) < 100000:
        LINES.append(frame.f_lineno)
    return _line
def _call(frame, event, arg):
    if TRACED and frame.f_code.co_filename.replace("\\", "/").endswith(TRACED):
        return _line  # (the call event's line is the def line: not a line of the body that ran)
    return None
sys.settrace(_call)
def show(value):
    text = repr(value)
    if " at 0x" in text:
        try:
            text = str(value)
        except Exception:
            pass
    return clean(text)
def clean(text, limit=4000):
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)  # addresses differ from run to run
    return text if len(text) <= limit else text[:limit] + "...[%d more characters]" % (len(text) - limit)
def report(**fields):
    sys.settrace(None)
    for key in ("value", "raised", "stdout"):
        if isinstance(fields.get(key), str):
            fields[key] = clean(fields[key])
    fields["lines"] = sorted(set(LINES) - {{0}})
    fields["imported"] = sorted(set(IMPORTED) - {{0}})
    fields["last_line"] = LINES[-1] if LINES else 0
    sys.__stdout__.write("\n@@probe@@" + json.dumps(fields) + "\n")
    sys.__stdout__.flush()
    os._exit(0)  # not sys.exit: a thread the call left running must not hold the answer back
ns = {{"__name__": "__probe__"}}
for name in MODULES:
    try:
        module = importlib.import_module(name)
    except BaseException as e:
        report(raised="ImportError: importing %s: %s: %s" % (name, type(e).__name__, e))
    ns.update({{k: v for k, v in vars(module).items() if not k.startswith("__")}})
    ns[name.split(".")[0]] = sys.modules[name.split(".")[0]]
    ns[name.rsplit(".", 1)[-1]] = module
if SELF_CLASS and re.search(r"\bself\b", CODE) and SELF_CLASS in ns:
    try:
        ns["self"] = ns[SELF_CLASS]()
    except BaseException as e:
        report(raised="NameError: self: %s() needs arguments: %s: %s" % (SELF_CLASS, type(e).__name__, e))
try:
    tree = ast.parse(CODE)
except SyntaxError as e:
    report(raised="SyntaxError: the call is not Python: %s" % e.msg)
if not tree.body:
    report(raised="SyntaxError: no call given")
last, shown = tree.body[-1], None
if isinstance(last, ast.Expr):
    tree.body.pop()
    shown = ast.Expression(last.value)
elif isinstance(last, ast.Assign) and isinstance(last.targets[-1], ast.Name):
    shown = ast.Expression(ast.Name(last.targets[-1].id, ast.Load()))
IMPORTED[:] = LINES  # what ran on import (module-level code, def lines) is told apart from the call's own
LINES.clear()
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "<call>", "exec"), ns)
        value = eval(compile(ast.fix_missing_locations(shown), "<call>", "eval"), ns) if shown else None
except BaseException as e:
    report(raised="%s: %s" % (type(e).__name__, e), stdout=out.getvalue())
report(value=show(value) if shown else "", stdout=out.getvalue())
'''


@dataclass(frozen=True)
class Outcome:
    """What one run of a probe gave: `value` (repr of the result, addresses stripped) or `raised`
    ("TypeError: message"), what the call printed, and which lines of the finding's file ran."""

    value: str | None = None
    raised: str | None = None
    stdout: str = ""
    lines: frozenset[int] = frozenset()  # lines of the traced file that the call ran
    imported: frozenset[int] = frozenset()  # and those that ran when its module was imported
    last_line: int = 0  # the last of them to run: where an exception left the file

    @property
    def ran(self) -> bool:
        """False when the call never reached the code: not Python, unknown names, an import failure."""
        return not (self.raised and self.raised.split(":", 1)[0] in UNRUNNABLE)

    def describe(self) -> str:
        """"returns 3", "raises TypeError: …", "prints 'x' and returns None", cut to MAX_SHOWN."""
        what = f"raises {self.raised.rstrip(': ')}" if self.raised is not None else f"returns {self.value}"
        if self.stdout.strip():
            what = f"prints {self.stdout.strip()!r} and {what}"
        return clip(what, MAX_SHOWN)


def clip(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut at the last space before it with "…": a message
    shown to a model must not end in the middle of a name or a quote."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def import_target(tree: Path, path: str) -> tuple[str, str] | None:
    """(import root relative to `tree`, dotted module name) for the Python file `path` in `tree`,
    found by walking up through packages (directories with __init__.py); None for a file that is not
    importable as a module (not .py, a name that is not an identifier, setup.py, tests' conftest)."""
    file = Path(path)
    if file.suffix != ".py":
        return None
    parts = [file.stem] if file.stem != "__init__" else []
    parent = file.parent
    while parent != Path(".") and (tree / parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    if not parts or not all(p.isidentifier() for p in parts) or parts[-1] in SKIPPED_MODULES:
        return None
    return str(parent), ".".join(parts)


def probe_script(call: str, targets: list[tuple[str, str]], self_class: str = "", traced: str = "") -> str:
    """The Python source that runs `call` with the target modules imported from their roots (relative
    to the directory it runs in) and prints one `@@probe@@{json}` line (read_outcome reads it).

    self_class: the class whose method the finding is in; a call on `self` (what small models write
    for a method: "self._compute_width(...)") then runs on an instance made without arguments.
    traced: the path (relative, "/"-separated) of the file whose executed lines are reported, so that
    a result is only taken as evidence when the call really ran the changed code."""
    roots = list(dict.fromkeys(root for root, _ in targets))
    return _SCRIPT.format(roots=roots, modules=[m for _, m in targets], code=call, self_class=self_class,
                          traced=traced)


def enclosing_class(source: str, line: int) -> str:
    """The name of the module-level class whose body holds `line` (1-based) in the Python `source`, or ""
    (not in a class, or the source does not parse). Only module-level classes: the probe finds the
    class among the module's names."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    return next((node.name for node in tree.body if isinstance(node, ast.ClassDef)
                 and node.lineno <= line <= (node.end_lineno or node.lineno)), "")


def read_outcome(output: str, mask: str = "") -> Outcome:
    """The Outcome from a probe's output, `mask` (a path) replaced by "<repo>" in its texts; a run that
    printed no report (killed, timed out, crashed the interpreter) is Outcome(raised="probe: …") with
    the output's last line."""
    for line in reversed(output.splitlines()):
        if line.startswith("@@probe@@"):
            try:
                data = json.loads(line[len("@@probe@@"):])
            except ValueError:
                break
            if mask:  # the scratch copy's own path (after JSON decoding: a non-ASCII path is escaped in it)
                data = {k: v.replace(mask, "<repo>") if isinstance(v, str) else v for k, v in data.items()}
            return Outcome(value=data.get("value"), raised=data.get("raised"), stdout=str(data.get("stdout", "")),
                           lines=frozenset(int(n) for n in data.get("lines") or ()),
                           imported=frozenset(int(n) for n in data.get("imported") or ()),
                           last_line=int(data.get("last_line") or 0))
    tail = next((line for line in reversed(output.splitlines()) if line.strip()), "no output")
    return Outcome(raised=f"probe: the call did not finish ({tail[:200]})")


def compare(old: Outcome, new: Outcome) -> str:
    """"differs" (the change alters what the call does), "same", or "unrunnable" (the call never
    reached the code before the change, or a side did not finish)."""
    if not old.ran or (not new.ran and (new.raised or "").startswith("probe")):
        return "unrunnable"
    return "same" if _normal(old) == _normal(new) else "differs"


def _normal(o: Outcome) -> tuple[str | None, str | None, str]:
    def norm(text: str | None) -> str | None:
        return None if text is None else re.sub(r"\s+", " ", text).strip()
    return norm(o.value), norm(o.raised), o.stdout.strip()


def how_to_reach(source: str, line: int) -> str:
    """What a call must do to run `line` (1-based) of the Python `source`, in one sentence for the
    model: the function it is in, the conditions that guard it (outer first; "not (…)" for an else
    branch) and, for a function, the others in the file that call it. "" when the source does not
    parse or the line is at module level. Small models write calls that stop short of the line; the
    path to it is mechanical to state."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.lineno <= line <= (n.end_lineno or n.lineno)]
    if not funcs:
        return ""
    fn = min(funcs, key=lambda n: (n.end_lineno or n.lineno) - n.lineno)
    conditions = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.If, ast.While)) and node.lineno < line <= (node.end_lineno or node.lineno):
            test = ast.get_source_segment(source, node.test) or ""
            in_body = any(b.lineno <= line <= (b.end_lineno or b.lineno) for b in node.body)
            conditions.append((node.lineno, test if in_body else f"not ({test})"))
    callers = sorted({n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                      and n is not fn and any(_calls(c, fn.name) for c in ast.walk(n))})
    said = f"line {line} is in `{fn.name}`"
    if conditions:
        said += " and runs only when " + " and ".join(f"`{t}`" for _, t in sorted(conditions)[:4])
    if callers:
        said += "; `" + fn.name + "` is called by " + ", ".join(f"`{c}`" for c in callers[:4])
    return said


def _calls(node: ast.AST, name: str) -> bool:
    """True for a call of `name(...)` or `x.name(...)`."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Name) and f.id == name) or (isinstance(f, ast.Attribute) and f.attr == name)


def statement_lines(source: str, line: int) -> range:
    """The lines whose execution means `line` of the Python `source` ran: the statement it belongs to
    (for an if/for/with/def…, its header only, not its body), or just `line` when the source does not
    parse. A wrapped statement reports its line events on its first line; an early return above the
    line is not the line."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return range(line, line + 1)
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno and (node.end_lineno or 0) <= (best.end_lineno or 0):
                best = node
    if best is None:
        return range(line, line + 1)
    body = getattr(best, "body", None)
    end = best.end_lineno or best.lineno
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        end = min(end, body[0].lineno - 1)
    if not best.lineno <= line <= max(end, best.lineno):  # the line is in a body the walk did not reach
        return range(line, line + 1)
    return range(best.lineno, max(end, best.lineno) + 1)


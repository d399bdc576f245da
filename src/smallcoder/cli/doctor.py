"""`smallcoder doctor`: which runtimes answer, their models and real context windows, tool and
FIM support, and the machine's memory — what to check first when a run goes wrong."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smallcoder.cli.doctor_report import gather
from smallcoder.config import load_config
from smallcoder.paths import Home
from smallcoder.sandbox import isolation_summary


def _yes_no(value: bool | None) -> str:
    return "yes" if value else ("no" if value is False else "?")


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Check only this server.")] = None,
) -> None:
    """Check the machine and the local model runtimes (Ollama, llama-server, vLLM, LM Studio)."""
    report = gather(load_config(), Home.from_env(), base_url)
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    render(Console(), report)


def render(console: Console, report: dict[str, Any]) -> None:
    m = report["machine"]
    gpus = ", ".join(f"{g['name']} ({g['vram_total_gib']} GiB)" for g in m["gpus"]) or "none detected"
    console.print(f"[bold]machine[/] {m['platform']} · {m['cpus']} CPUs · RAM {m.get('ram_total_gib')} GiB "
                  f"({m.get('ram_available_gib')} GiB free) · GPU {gpus}")
    e = report["embedded"]
    engine = f"llama-cpp-python {e['llama_cpp_python']}" if e["llama_cpp_python"] else \
        "[yellow]llama-cpp-python not installed[/] (pip install 'smallcoder[embedded]')"
    console.print(f"[bold]embedded[/] {engine} · {len(e['cached_models'])} GGUF(s) in {e['models_dir']}")
    if "isolation" in report:
        console.print(f"[bold]sandbox[/] {escape(isolation_summary(report['isolation']))}")
    if "environment" in report:  # the project environment a run from here would use (workspace/environment.py)
        console.print(f"[bold]environment[/] {escape(report['environment']['summary'])}")
    if not report["runtimes"]:
        console.print(f"[yellow]no runtime answers[/] at {', '.join(report['probed'])} — start one "
                      "(`ollama serve`, `llama-server -m MODEL.gguf`, …) or use a GGUF with the embedded engine")
        return
    for rt in report["runtimes"]:
        head = f"[bold]{rt['runtime']}[/] at {rt['url']}" + (f" (v{rt['version']})" if rt.get("version") else "")
        console.print(head + (f" [red]{rt['error']}[/]" if rt.get("error") else ""))
        if not rt["models"]:
            continue
        table = Table(show_edge=False, pad_edge=False)
        for col in ("model", "context", "trained", "tools", "FIM", "where the context comes from"):
            table.add_column(col)
        for model in rt["models"]:
            if model.get("error"):
                table.add_row(model["name"], "", "", "", "", f"[red]{model['error']}[/]")
                continue
            ctx = model.get("context_window")
            table.add_row(model["name"], f"{ctx:,}" if ctx else "[yellow]unknown[/]",
                          f"{model['trained_context']:,}" if model.get("trained_context") else "?",
                          _yes_no(model.get("tools")), _yes_no(model.get("fim")), model.get("context_source") or "")
        console.print(table)
        if rt.get("more_models"):
            console.print(f"  … and {rt['more_models']} more")

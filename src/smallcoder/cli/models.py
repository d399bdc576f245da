"""`smallcoder models fit|recommend|pull|list`: which model and quantization fits this machine, for which job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smallcoder.errors import SmallcoderError
from smallcoder.models.advisor import USE_CASES, recommend, table_verdict
from smallcoder.models.calibration import measured_error
from smallcoder.models.catalog import load_catalog
from smallcoder.models.gguf_header import header_from_metadata, read_header
from smallcoder.models.hardware import GIB, Hardware, detect_hardware
from smallcoder.models.memory import KV_BYTES, ModelShape, shape_from_catalog, shape_from_header
from smallcoder.models.placement import largest_fitting_context, plan
from smallcoder.models.pull import choose_file, pull_from_hub, pull_with_ollama, resolve_pull
from smallcoder.paths import Home

models_app = typer.Typer(help="Model catalog and hardware advisor: fit, recommend, pull, list.",
                         no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


def _shape(model: str, quant: str | None, home: Home) -> tuple[ModelShape, dict[str, Any]]:
    """A catalog name (NAME[:QUANT]) or a GGUF path → shape, plus what to print about its origin."""
    path = Path(model).expanduser()
    if path.suffix.lower() == ".gguf" or path.is_file():
        header = read_header(path, home.cache)
        return shape_from_header(header, path.name), {"gguf": str(path), "file_type": header.file_type}
    catalog = load_catalog()
    entry, asked = catalog.find(model)
    q = quant or asked
    shape = shape_from_catalog(entry, q, catalog)
    source = entry.gguf_for(q)
    return shape, {"catalog_id": entry.id, "quant": (q or "Q4_K_M").upper(), "license": entry.get("license"),
                   "license_warning": entry.license_warning, "gguf_source": source.source if source else None,
                   "missing_facts": entry.missing}


def fit(
    model: Annotated[str, typer.Argument(help="Catalog name (NAME[:QUANT], an Ollama tag) or a GGUF path.")],
    ctx: Annotated[int, typer.Option("--ctx", min=256, help="Context the agent will use, in tokens.")] = 32768,
    quant: Annotated[str | None, typer.Option("--quant", help="Quantization (default Q4_K_M).")] = None,
    kv_type: Annotated[str, typer.Option("--kv-type", help=f"KV cache type: {', '.join(KV_BYTES)}.")] = "f16",
    flash_attention: Annotated[bool | None, typer.Option("--fa/--no-fa", help="Flash attention (default: on with a GPU).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Memory breakdown of MODEL at --ctx on this machine, where it goes, and the largest context that fits."""
    home = Home.from_env()
    shape, origin = _shape(model, quant, home)
    hw = detect_hardware(measure_bandwidth=True)
    fa = flash_attention if flash_attention is not None else bool(hw.gpus or hw.unified_memory)
    p = plan(shape, hw, ctx, kv_type, fa)
    top = largest_fitting_context(shape, hw, kv_type, fa)
    calib = measured_error(home.cache)
    b = p.breakdown
    report = {
        "model": shape.name, **origin, "context": ctx, "kv_type": kv_type, "flash_attention": fa,
        "breakdown_bytes": {"weights": b.weights, "kv_cache": b.kv_cache, "compute": b.compute,
                            "runtime": b.overhead, "total": b.total},
        "sources": {"weights": shape.weights_source, **shape.sources},
        "placement": {"mode": p.mode, "device": p.device, "gpu_bytes": p.gpu_bytes, "cpu_bytes": p.cpu_bytes,
                      "gpu_budget": p.gpu_budget, "ram_budget": p.cpu_budget, "gpu_layers": p.gpu_layers,
                      "cpu_moe_layers": p.cpu_moe_layers},
        "tokens_per_s_ceiling": round(p.tokens_per_s, 1) if p.tokens_per_s else None,
        "largest_context": top, "llama_server_args": list(p.llama_args), "notes": list(p.notes),
        "calibration": calib, "hardware": _hw_dict(hw),
    }
    if as_json:
        print(json.dumps(report, indent=2))
        return
    console = Console()
    console.print(f"[bold]{escape(shape.name)}[/] at {ctx} tokens (KV {kv_type}, flash attention "
                  f"{'on' if fa else 'off'})")
    t = Table(show_header=True, header_style="bold")
    t.add_column("part")
    t.add_column("size", justify="right")
    t.add_column("from")
    t.add_row("weights", _gib(b.weights), escape(shape.weights_source))
    kv_src = shape.sources.get("kv_heads", "GGUF header")
    t.add_row("KV cache", _gib(b.kv_cache), escape(f"2 × {shape.layers} layers × {shape.kv_heads} KV heads × "
                                                   f"{shape.key_length} dims × {ctx} tokens ({kv_src})"))
    t.add_row("compute buffer", _gib(b.compute), "llama.cpp graph at 512-token steps (fitted, see docs/models.md)")
    t.add_row("runtime", _gib(b.overhead), "Python + llama.cpp + tokenizer tables (measured on a real load)")
    t.add_row("[bold]total[/]", f"[bold]{_gib(b.total)}[/]", "")
    console.print(t)
    for key, where in {"weights": shape.weights_source, **shape.sources}.items():
        console.print(f"  [dim]{key}:[/] {escape(where)}", highlight=False, soft_wrap=True)
    if p.fits:
        speed = f", ≤ {p.tokens_per_s:.0f} tokens/s (bandwidth ceiling)" if p.tokens_per_s else ""
        console.print(f"[green]fits[/]: {p.mode} on {escape(p.device)}{speed}")
        console.print(f"llama-server -m MODEL.gguf {' '.join(p.llama_args)}", highlight=False, soft_wrap=True)
    elif ctx > shape.max_context:
        console.print(f"[red]not supported[/]: {shape.name} goes to {shape.max_context} tokens at most")
    else:
        console.print(f"[red]does not fit[/]: GPU budget {_gib(p.gpu_budget)}, RAM budget {_gib(p.cpu_budget)}")
    console.print(f"largest context that fits: [bold]{top}[/] tokens (model maximum {shape.max_context})")
    for note in p.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    if origin.get("license_warning"):
        console.print(f"[yellow]licence:[/] {origin['license_warning']}")
    if calib:
        console.print(f"calibration on this machine: predicted vs measured memory of {calib['loads']} embedded "
                      f"loads, mean error {calib['mean_error_pct']:+.1f}% (worst {calib['worst_error_pct']:+.1f}%)")


def recommend_cmd(
    use_case: Annotated[str, typer.Option("--use-case", help=f"One of: {', '.join(USE_CASES)}.")] = "agent",
    quant: Annotated[str | None, typer.Option("--quant", help="Quantization (default Q4_K_M).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The best models for this machine and job, each with the reason; where the use-case table does not hold, why."""
    hw = detect_hardware(measure_bandwidth=True)
    recs = recommend(use_case, hw, load_catalog(), quant)
    verdict = table_verdict(recs)
    if as_json:
        print(json.dumps({"use_case": use_case, "why": USE_CASES[use_case].why, "verdict": verdict,
                          "hardware": _hw_dict(hw), "candidates": [r.as_dict() for r in recs]}, indent=2))
        return
    console = Console()
    console.print(f"[bold]{use_case}[/]: {USE_CASES[use_case].why}")
    console.print(f"machine: {_hw_line(hw)}")
    t = Table(show_header=True, header_style="bold")
    for col in ("", "model", "quant", "why"):
        t.add_column(col)
    for r in recs:
        t.add_row("[green]✓[/]" if r.ok else "[red]✗[/]", escape(f"{r.model.name} ({r.model.id})"), r.quant,
                  escape(r.reason))
    console.print(t)
    console.print(verdict)
    best = next((r for r in recs if r.ok), None)
    if best:
        console.print(f"next: smallcoder models pull {best.model.id}   then   smallcoder demo --model "
                      f"<the path it prints>", highlight=False)


def pull(
    name: Annotated[str, typer.Argument(help="Catalog name NAME[:QUANT] (or an Ollama tag).")],
    ollama: Annotated[bool, typer.Option("--ollama", help="Have Ollama pull its tag instead.")] = False,
) -> None:
    """Download a catalogued model (Hugging Face, resumable, SHA-256 checked), or `ollama pull` it."""
    model, quant = resolve_pull(name, load_catalog())
    console = Console(stderr=True)
    if ollama:
        tags = model.get("ollama") or []
        if not tags:
            raise SmallcoderError(f"{model.id} has no catalogued Ollama tag — pull the GGUF without --ollama")
        pull_with_ollama(tags[0], on_progress=lambda s, done, total: console.print(
            f"{s} {f'{done / total:.0%}' if done and total else ''}", highlight=False))
        print(f"ollama:{tags[0]}")
        return
    source = choose_file(model, quant)
    size = f" ({source.best_size / GIB:.2f} GiB)" if source.best_size else ""
    console.print(f"pulling {source.repo}/{source.file}{size}")
    got = pull_from_hub(source, Home.from_env().models)
    console.print(f"[green]verified[/] SHA-256 {got.sha256[:16]}… against the {got.verified_against}")
    print(got.path)  # stdout: the path, for `--model "$(smallcoder models pull …)"`


def list_cmd(
    catalog_only: Annotated[bool, typer.Option("--catalog", help="List the catalog (with missing facts).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """What is on disk and in Ollama (sizes, whether each fits), or the catalog."""
    if catalog_only:
        rows = [{"id": m.id, "name": m.name, "variant": m.variant, "params_b": m.get("params_total_b"),
                 "active_b": m.get("params_active_b"), "context": m.get("trained_context"),
                 "license": m.get("license"), "quants": [g.quant for g in m.gguf], "ollama": m.get("ollama") or [],
                 "missing": m.missing} for m in load_catalog().models]
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        t = Table(show_header=True, header_style="bold")
        for col in ("id", "params (active)", "context", "licence", "GGUF", "not found"):
            t.add_column(col)
        for r in rows:
            t.add_row(r["id"], f"{r['params_b']}B ({r['active_b']}B)", str(r["context"]), str(r["license"]),
                      ",".join(r["quants"]) or "-", ",".join(r["missing"]) or "-")
        Console().print(t)
        return
    home = Home.from_env()
    hw = detect_hardware()
    found: list[dict[str, Any]] = []
    for path in sorted(home.models.rglob("*.gguf")):
        entry: dict[str, Any] = {"where": "disk", "name": str(path), "size": path.stat().st_size}
        try:
            shape = shape_from_header(read_header(path, home.cache), path.name)
            entry["largest_context"] = largest_fitting_context(shape, hw, flash_attention=bool(hw.gpus))
        except SmallcoderError as e:
            entry["error"] = str(e)
        found.append(entry)
    found.extend(_ollama_models(hw))
    if as_json:
        print(json.dumps(found, indent=2))
        return
    t = Table(show_header=True, header_style="bold")
    for col in ("where", "model", "size", "fits up to"):
        t.add_column(col)
    for row in found:
        fits = row.get("error") or (f"{row['largest_context']} tokens" if row.get("largest_context") else
                                    ("does not fit" if "largest_context" in row else "?"))
        t.add_row(row["where"], escape(row["name"]), _gib(row["size"]) if row.get("size") else "?",
                  escape(str(fits)))
    Console().print(t if found else f"no models in {home.models} or Ollama — see `smallcoder models recommend`")


def _ollama_models(hw: Hardware | None = None) -> list[dict[str, Any]]:
    """Ollama's models with their size and, from the GGUF metadata /api/show returns, the largest
    context that fits this machine (the same memory math as for files on disk)."""
    try:
        import ollama

        client = ollama.Client(timeout=5)
        listed = client.list()
    except Exception:  # noqa: BLE001 — Ollama absent, stopped or refusing: nothing to list
        return []
    rows: list[dict[str, Any]] = []
    for m in listed.models:
        row: dict[str, Any] = {"where": "ollama", "name": f"ollama:{m.model}", "size": m.size}
        try:
            info = dict(client.show(str(m.model)).modelinfo or {})
            shape = shape_from_header(header_from_metadata(info, file_bytes=m.size), str(m.model))
            if hw is not None:
                row["largest_context"] = largest_fitting_context(shape, hw, flash_attention=bool(hw.gpus))
        except Exception as e:  # noqa: BLE001 — one model Ollama cannot describe must not hide the others
            row["error"] = f"{type(e).__name__}: {e}"
        rows.append(row)
    return rows


def _hw_dict(hw: Hardware) -> dict[str, Any]:
    return {"platform": hw.platform, "cpu": hw.cpu, "cores": hw.cores, "threads": hw.threads,
            "cpu_flags": list(hw.cpu_flags), "ram_total": hw.ram_total, "ram_available": hw.ram_available,
            "cpu_bandwidth_gbs": round(hw.cpu_bandwidth / 1e9, 1) if hw.cpu_bandwidth else None,
            "unified_memory": hw.unified_memory, "notes": list(hw.notes),
            "gpus": [{"index": g.index, "name": g.name, "total": g.total_bytes, "free": g.free_bytes,
                      "bandwidth_gbs": round(g.bandwidth / 1e9) if g.bandwidth else None} for g in hw.gpus]}


def _hw_line(hw: Hardware) -> str:
    gpus = "; ".join(f"GPU {g.index} {g.name} {_gib(g.free_bytes)} free" for g in hw.gpus) or "no GPU"
    bw = f", memory ~{hw.cpu_bandwidth / 1e9:.0f} GB/s measured" if hw.cpu_bandwidth else ""
    return (f"{hw.cores} cores ({', '.join(hw.cpu_flags) or 'no SIMD flags read'}), RAM {_gib(hw.ram_available)} "
            f"free of {_gib(hw.ram_total)}{bw}; {gpus}")


models_app.command("fit")(fit)
models_app.command("recommend")(recommend_cmd)
models_app.command("pull")(pull)
models_app.command("list")(list_cmd)

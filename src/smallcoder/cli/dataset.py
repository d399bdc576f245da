"""`smallcoder dataset`: fine-tuning and calibration data from your own code (docs/dataset.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from smallcoder.errors import SmallcoderError

IMATRIX_CHUNK = 512  # llama-imatrix's default chunk (its -c), tokens

dataset_app = typer.Typer(help="Fine-tuning (FIM, SFT) and quantization-calibration data from your code.",
                          no_args_is_help=True)

RepoOpt = Annotated[Path, typer.Option("--repo", "-r", help="The repository (default: current directory).")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", "-m", help="The GGUF whose chat template to use (default: ChatML).")]
NearOpt = Annotated[bool, typer.Option("--near-dedup/--no-near-dedup", help="Drop near-duplicates (MinHash; needs the dataset extra).")]


def _print(built: Any) -> None:
    console = Console()
    for name, n in built.files.items():
        console.print(f"wrote {built.out / name if built.out.is_dir() else built.out}  ({n:,} {'chars' if name.endswith('.txt') else 'rows'})", highlight=False)
    for key, value in built.info.items():
        console.print(f"  {key}: {value}", highlight=False)
    removed = ", ".join(f"{k} {v:,}" for k, v in built.removed.items()) or "nothing"
    console.print(f"removed: {removed}", highlight=False)


def _template(model: Optional[Path]) -> Any:
    from smallcoder.dataset.template import CHATML_FALLBACK, ModelTemplate, read_gguf_template

    if model is None:
        Console(stderr=True).print("[yellow]no --model: using ChatML; pass the GGUF you will tune so its template is used[/]")
        return ModelTemplate(CHATML_FALLBACK, "", "<|im_end|>", "ChatML")
    return read_gguf_template(model)


def _db(use_runs: bool) -> Optional[Path]:
    from smallcoder.paths import Home

    return Home.from_env().db if use_runs else None


@dataset_app.command("fim")
def fim_cmd(
    repo: RepoOpt = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("dataset-fim"),
    family: Annotated[str, typer.Option("--format", help="FIM format: qwen or codestral (or a model name).")] = "qwen",
    fim_rate: Annotated[float, typer.Option("--fim-rate", min=0.0, max=1.0, help="Share of examples turned into FIM.")] = 0.9,
    spm_rate: Annotated[float, typer.Option("--spm-rate", min=0.0, max=1.0, help="Share of FIM examples in SPM order.")] = 0.5,
    per_file: Annotated[int, typer.Option("--per-file", min=1, help="Examples drawn per file.")] = 4,
    eval_share: Annotated[float, typer.Option("--eval-share", min=0.0, max=0.9, help="Share of files held out for eval.")] = 0.1,
    repo_level: Annotated[bool, typer.Option("--repo-level", help="Qwen repo-level form (path in the prompt; PSM).")] = False,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    near: NearOpt = True,
) -> None:
    """FIM examples (PSM/SPM, line and AST spans) with a train/eval split by file."""
    from smallcoder.dataset.build import make_fim
    from smallcoder.dataset.fim import FimOptions

    opts = FimOptions(fim_rate=fim_rate, spm_rate=spm_rate, per_file=per_file, eval_share=eval_share, seed=seed,
                      repo_level=repo_level, repo_name=repo.resolve().name)
    _print(make_fim(repo, out, family=family, options=opts, near=near))


@dataset_app.command("sft")
def sft_cmd(
    repo: Annotated[Optional[Path], typer.Option("--repo", "-r", help="Repository whose history gives edit tasks.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("dataset-sft"),
    model: ModelOpt = None,
    runs: Annotated[bool, typer.Option("--runs/--no-runs", help="Use the store's verified runs.")] = True,
    max_commits: Annotated[int, typer.Option("--max-commits", min=1)] = 500,
    near: NearOpt = True,
) -> None:
    """Chat examples from verified runs and commit history: TRL, axolotl and LLaMA-Factory files."""
    from smallcoder.dataset.build import make_sft

    if repo is None and not runs:
        raise SmallcoderError("nothing to read: pass --repo, or keep --runs")
    if repo is not None and not repo.is_dir():
        raise SmallcoderError(f"repository not found: {repo}")
    _print(make_sft(repo, out, _template(model), db=_db(runs), max_commits=max_commits, near=near))


@dataset_app.command("calibration")
def calibration_cmd(
    repo: RepoOpt = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Output text file.")] = Path("calibration.txt"),
    model: ModelOpt = None,
    chars: Annotated[int, typer.Option("--chars", min=1_000, help="About how many characters to write.")] = 400_000,
    tool_share: Annotated[float, typer.Option("--tool-share", min=0.0, max=1.0, help="Share of tool-call transcripts.")] = 0.25,
    runs: Annotated[bool, typer.Option("--runs/--no-runs", help="Add the store's verified transcripts.")] = True,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A calibration text for `llama-imatrix -f` from your code and tool-call transcripts."""
    from smallcoder.dataset.build import make_calibration

    _print(make_calibration(repo, out, _template(model), db=_db(runs), chars=chars, tool_share=tool_share, seed=seed))
    if model is not None:
        from smallcoder.dataset.template import count_tokens

        n = count_tokens(model, out.read_text(encoding="utf-8"))
        Console().print(f"  tokens: {n:,} — {n // IMATRIX_CHUNK} llama-imatrix chunks of {IMATRIX_CHUNK}", highlight=False)
    Console().print(f"next: llama-imatrix -m MODEL-f16.gguf -f {out} -o imatrix.dat", highlight=False)


@dataset_app.command("check")
def check_cmd(
    model: Annotated[Path, typer.Option("--model", "-m", help="The GGUF that will run the tuned model.")],
    data: Annotated[Optional[Path], typer.Option("--data", help="messages.jsonl from `dataset sft` (default: a sample).")] = None,
    template: Annotated[Optional[Path], typer.Option("--template", help="The training chat template (default: DATA's chat_template.jinja, else the GGUF's).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most examples to compare.")] = 20,
) -> None:
    """Render examples with the training template and compare byte for byte with what smallcoder sends."""
    from smallcoder.dataset.check_run import run_check

    ok = run_check(model, data, template, limit, Console())
    raise typer.Exit(0 if ok else 1)

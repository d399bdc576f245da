"""Fill-in-the-middle prompt formats, per model family. Pure functions, no I/O.

Ground floor (like protocol/): imports nothing from smallcoder above types. The
tokens and layouts are those of ../shared/reference/model-formats.md §4:

Qwen2.5-Coder / Qwen3-Coder (§4.1), file level, PSM order::

    <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>

repo level (other files first, the edited file's path last)::

    <|repo_name|>{repo_name}
    <|file_sep|>{path1}
    {text1}
    <|file_sep|>{path}
    <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>

Codestral (§4.2, mistral-common ``encode_fim``; Ollama's template)::

    [SUFFIX]{suffix}[PREFIX] {prefix}

The BOS token (``<s>`` for Mistral tokenizers) is not part of these strings: the
tokenizer adds it (llama.cpp ``add_bos``), as it does for any completion prompt.
The model answers with the middle; for Codestral no ``[MIDDLE]`` token is emitted.

SPM ("suffix, prefix, middle") is llama.cpp's ``--spm-infill`` order:
``{suffix_tok}{suffix}{prefix_tok}{prefix}{middle_tok}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Order = Literal["psm", "spm"]


@dataclass(frozen=True)
class FimTokens:
    """The special tokens of one family. Empty string = the family has no such token."""

    prefix: str
    suffix: str
    middle: str
    repo_name: str = ""
    file_sep: str = ""
    # Strings that end a middle: the model's own end tokens and any FIM marker it starts to write.
    stops: tuple[str, ...] = ()


# §4.1: ids 151659 (prefix), 151661 (suffix), 151660 (middle), 151662 (pad), 151663 (repo_name),
# 151664 (file_sep); stops are the examples' eos_token_ids [151659, 151661, 151662, 151663, 151664,
# 151643, 151645] as text.
QWEN_TOKENS = FimTokens(
    prefix="<|fim_prefix|>",
    suffix="<|fim_suffix|>",
    middle="<|fim_middle|>",
    repo_name="<|repo_name|>",
    file_sep="<|file_sep|>",
    stops=("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
           "<|endoftext|>", "<|im_end|>", "<|fim_middle|>"),
)

# §4.2: [SUFFIX] and [PREFIX] control tokens; the middle follows with no marker; </s> ends it.
CODESTRAL_TOKENS = FimTokens(prefix="[PREFIX]", suffix="[SUFFIX]", middle="", stops=("</s>", "[PREFIX]", "[SUFFIX]"))


@dataclass(frozen=True)
class RepoFile:
    """Another file given as context: its path relative to the repository and its text (or an excerpt)."""

    path: str
    text: str


def psm(prefix: str, suffix: str, tokens: FimTokens) -> str:
    """Prefix-suffix-middle: ``{P}{prefix}{S}{suffix}{M}``; the model continues with the middle."""
    return f"{tokens.prefix}{prefix}{tokens.suffix}{suffix}{tokens.middle}"


def spm(prefix: str, suffix: str, tokens: FimTokens) -> str:
    """Suffix-prefix-middle, llama.cpp's ``--spm-infill`` order: ``{S}{suffix}{P}{prefix}{M}``."""
    return f"{tokens.suffix}{suffix}{tokens.prefix}{prefix}{tokens.middle}"


def qwen_file_level(prefix: str, suffix: str) -> str:
    """Qwen2.5/Qwen3-Coder file-level FIM: ``<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>``."""
    return psm(prefix, suffix, QWEN_TOKENS)


def qwen_repo_level(prefix: str, suffix: str, *, repo_name: str, path: str, files: Sequence[RepoFile] = ()) -> str:
    """Qwen2.5/Qwen3-Coder repo-level FIM (model-formats.md §4.1).

    ``files`` come first, each as ``<|file_sep|>{path}\\n{text}\\n``; then the edited file's
    ``path`` and its PSM block. A file text already ending in a newline gets no second one.
    """
    t = QWEN_TOKENS
    parts = [f"{t.repo_name}{repo_name}\n"]
    for f in files:
        parts.append(f"{t.file_sep}{f.path}\n{f.text}" + ("" if f.text.endswith("\n") else "\n"))
    parts.append(f"{t.file_sep}{path}\n")
    parts.append(psm(prefix, suffix, t))
    return "".join(parts)


def codestral(prefix: str, suffix: str, *, prefix_space: bool = True) -> str:
    """Codestral FIM: ``[SUFFIX]{suffix}[PREFIX] {prefix}`` (model-formats.md §4.2).

    ``prefix_space``: mistral-common encodes the prefix on its own, so SentencePiece puts its
    word-start marker before it; written as one string that is the space after ``[PREFIX]``
    (Ollama's template has it). The suffix is encoded without that space, so none is added.
    """
    t = CODESTRAL_TOKENS
    return f"{t.suffix}{suffix}{t.prefix}{' ' if prefix_space else ''}{prefix}"


def codestral_with_files(prefix: str, suffix: str, *, files: Sequence[RepoFile] = ()) -> str:
    """Codestral with other files: it has no repo-level tokens, so each file goes raw before the
    prefix as ``{path}\n{text}\n``, as llama.cpp does with ``input_extra`` for such vocabularies (§4.3)."""
    extra = "".join(f"{f.path}\n{f.text}" + ("" if f.text.endswith("\n") else "\n") for f in files)
    return codestral(extra + prefix, suffix)


@dataclass(frozen=True)
class FimFormat:
    """How one model wants its FIM prompt. ``family``: "qwen" or "codestral"."""

    family: str
    tokens: FimTokens
    order: Order = "psm"
    repo_level: bool = False

    def render(self, prefix: str, suffix: str, *, path: str = "", repo_name: str = "",
               files: Sequence[RepoFile] = (), typed_line_last: bool = False) -> str:
        """The whole prompt string. ``files`` are used only by formats that can carry them.

        ``typed_line_last``: in PSM order, the cursor's line left of the cursor — when it holds code —
        goes after the middle token as the start of the middle (llama-server ``/infill``'s ``prompt``,
        llama.vim's layout), so a keystroke on that line changes only the prompt's last tokens and the
        KV cache keeps the suffix. SPM and Codestral already end with the prefix; they are unchanged.
        """
        typed = ""
        if typed_line_last and self.order == "psm" and self.family != "codestral":
            prefix, typed = split_typed_line(prefix)
        if self.family == "qwen" and self.repo_level and (files or path):
            return qwen_repo_level(prefix, suffix, repo_name=repo_name or "repo", path=path or "file",
                                   files=files) + typed
        if self.family == "codestral":
            return codestral_with_files(prefix, suffix, files=files) if files else codestral(prefix, suffix)
        return spm(prefix, suffix, self.tokens) if self.order == "spm" else psm(prefix, suffix, self.tokens) + typed

    @property
    def stops(self) -> list[str]:
        return list(self.tokens.stops)


def split_typed_line(prefix: str) -> tuple[str, str]:
    """(prefix up to the cursor's line, that line left of the cursor) when the line holds code; a
    blank or indentation-only line stays in the prefix, as a cursor at a line's start has nothing typed."""
    head, nl, line = prefix.rpartition("\n")
    if not line.strip():
        return prefix, ""
    return head + nl, line


QWEN = FimFormat("qwen", QWEN_TOKENS, "psm", repo_level=True)
CODESTRAL = FimFormat("codestral", CODESTRAL_TOKENS, "spm")

# Names of model families known to be trained for FIM (model-formats.md §4). Devstral is a chat/agent
# tune with no documented FIM support (§4.2), so it is deliberately absent.
_NAME_HINTS: tuple[tuple[str, FimFormat], ...] = (
    ("qwen2.5-coder", QWEN), ("qwen2.5 coder", QWEN), ("qwen3-coder", QWEN), ("qwen3 coder", QWEN),
    ("codeqwen", QWEN), ("codestral", CODESTRAL),
)


def format_for_model(name: str, vocab: Iterable[str] | None = None) -> FimFormat | None:
    """The FIM format of a model, from its vocabulary when known, else from its name; None = no FIM.

    ``vocab``: special-token strings the model's tokenizer knows (e.g. from the GGUF). The
    vocabulary decides first: a GGUF that carries ``<|fim_prefix|>`` does FIM whatever its name
    (the Qwen2.5-Coder Instruct GGUFs do). Names are matched case-insensitively.
    """
    if vocab is not None:
        have = set(vocab)
        if {QWEN_TOKENS.prefix, QWEN_TOKENS.suffix, QWEN_TOKENS.middle} <= have:
            repo = {QWEN_TOKENS.repo_name, QWEN_TOKENS.file_sep} <= have
            return QWEN if repo else FimFormat("qwen", QWEN_TOKENS, "psm", repo_level=False)
        if {CODESTRAL_TOKENS.prefix, CODESTRAL_TOKENS.suffix} <= have:
            return CODESTRAL
    low = name.lower()
    if "devstral" in low:
        return None
    for hint, fmt in _NAME_HINTS:
        if hint in low:
            return fmt
    return None


def strip_special(text: str, fmt: FimFormat) -> str:
    """Cut ``text`` at the first stop token or FIM marker, so none ever reaches the editor.

    The Qwen repo-level example cuts at the first ``<|file_sep|>`` (§4.1); any other special
    token of the family ends the middle just the same.
    """
    cut = len(text)
    for tok in (*fmt.tokens.stops, fmt.tokens.prefix, fmt.tokens.suffix, fmt.tokens.middle,
                fmt.tokens.repo_name, fmt.tokens.file_sep):
        if tok:
            at = text.find(tok)
            if 0 <= at < cut:
                cut = at
    return text[:cut]


@dataclass(frozen=True)
class InfillRequest:
    """One FIM request as every transport needs it.

    ``prompt``: the whole rendered FIM string (``FimFormat.render``), for transports that send raw
    text (embedded llama.cpp, ``/v1/completions``, Ollama ``raw``); empty when the model's FIM tokens
    are unknown and the runtime's template must build it (Ollama ``suffix``); ``prefix``/``suffix``/``files``/
    ``path``: the parts, for transports that build the prompt server-side (llama-server ``/infill``
    with ``input_extra``, Ollama ``suffix``). ``max_tokens``: most tokens of middle; ``stop``:
    strings that end it; ``temperature`` 0 = greedy (what editors want: the same answer twice).
    """

    prompt: str
    prefix: str
    suffix: str
    path: str = ""
    files: tuple[RepoFile, ...] = ()
    max_tokens: int = 64
    stop: tuple[str, ...] = ()
    temperature: float = 0.0

"""Build a repo map: list files, extract tags (cached), rank, render to budget."""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.repomap import fallback
from smallcoder.repomap.cache import TagCache, default_cache_dir
from smallcoder.repomap.definitions import FileTags
from smallcoder.repomap.files import list_files, read_source
from smallcoder.repomap.languages import language_for
from smallcoder.repomap.rank import RankedDefinition, rank_definitions
from smallcoder.repomap.render import CountTokens, estimate_tokens, fit_to_budget
from smallcoder.repomap.tags import extract_tags

log = logging.getLogger(__name__)


@dataclass
class RepoMap:
    text: str  # the map, ready for a prompt ("" when nothing fits or nothing was found)
    tokens: int  # count_tokens(text)
    files_considered: int  # source files read (or found in the cache) and tagged
    definitions: int  # definitions found in those files
    build_s: float
    shown_definitions: int = 0  # definitions in `text`
    parsed_files: int = 0  # files extracted in this build (cache misses)
    cached_files: int = 0  # files whose tags came from the cache
    skipped_files: int = 0  # source files left unread because `time_limit_s` ran out
    timings: dict[str, float] = field(default_factory=dict)  # seconds: list, tags, rank, render
    ranked: list[RankedDefinition] = field(default_factory=list, repr=False)  # all, best first
    tags: dict[str, FileTags] = field(default_factory=dict, repr=False)  # path -> its tags, for callers that show lines

    @property
    def files_shown(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.ranked[: self.shown_definitions]:
            seen.setdefault(r.path, None)
        return list(seen)


def build_repo_map(
    root: Path,
    *,
    files: list[str] | None = None,
    mentioned_files: Iterable[str] = (),
    mentioned_idents: Iterable[str] = (),
    token_budget: int = 1024,
    count_tokens: CountTokens | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    time_limit_s: float | None = None,
) -> RepoMap:
    """A ranked map of `root`'s definitions that fits `token_budget`.

    `files` (relative to root) defaults to git's tracked and untracked-but-not-
    ignored files, or a directory walk outside git. `mentioned_files` and
    `mentioned_idents` come from the task; their definitions come first.
    `time_limit_s` bounds a cold build on a huge repository: past it, files
    not yet in the cache are skipped (mentioned files are always read, and
    first); what was parsed is cached, so the next build goes further.
    """
    start = time.perf_counter()
    root = Path(root).resolve()
    rel_files = list_files(root) if files is None else [_normalize(root, f) for f in files]
    timings = {"list": time.perf_counter() - start}
    m_files = _match_mentioned(root, rel_files, mentioned_files)
    m_idents = _split_idents(mentioned_idents)

    cache = TagCache(cache_dir or default_cache_dir()) if use_cache else None
    tags: dict[str, FileTags] = {}
    parsed = cached = skipped = 0
    deadline = None if time_limit_s is None else start + time_limit_s
    try:
        for rel in sorted(rel_files, key=lambda f: f not in m_files):  # stable: mentioned first
            if language_for(rel) is None and not fallback.handles(rel):
                continue
            path = root / rel
            try:
                st = path.stat()
            except OSError:
                continue  # listed by git but deleted in the work tree
            if not stat.S_ISREG(st.st_mode):
                continue
            hit, file_tags = cache.get(path, rel, st.st_mtime_ns, st.st_size) if cache else (False, None)
            if hit:
                cached += 1
            elif deadline is not None and rel not in m_files and time.perf_counter() > deadline:
                skipped += 1
                continue
            else:
                file_tags = _extract(path, rel, st.st_size)
                parsed += 1
                if cache:
                    cache.put(path, st.st_mtime_ns, st.st_size, file_tags)
            if file_tags is not None:
                tags[rel] = file_tags
    finally:
        if cache:
            cache.close()

    timings["tags"] = time.perf_counter() - start - timings["list"]
    mark = time.perf_counter()
    ranked = rank_definitions(tags, m_files, m_idents)
    timings["rank"] = time.perf_counter() - mark
    mark = time.perf_counter()
    text, tokens, shown = fit_to_budget(ranked, tags, token_budget, count_tokens or estimate_tokens)
    timings["render"] = time.perf_counter() - mark
    return RepoMap(
        text=text,
        tokens=tokens,
        files_considered=len(tags),
        definitions=len(ranked),
        build_s=time.perf_counter() - start,
        shown_definitions=shown,
        parsed_files=parsed,
        cached_files=cached,
        skipped_files=skipped,
        ranked=ranked,
        tags=tags,
        timings=timings,
    )


def _extract(path: Path, rel: str, size: int) -> FileTags | None:
    text = read_source(path, size)
    if text is None:
        return None
    try:
        return extract_tags(rel, text)
    except Exception:  # a grammar crash on odd input must not cost the whole map
        log.warning("repo map: could not extract tags from %s", rel, exc_info=True)
        return None


def _normalize(root: Path, name: str) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()  # pathlib already drops "./" and doubled slashes


def _match_mentioned(root: Path, files: list[str], mentioned: Iterable[str]) -> set[str]:
    """Mentioned names to listed files: exact path, else a unique path-suffix match."""
    known = set(files)
    found: set[str] = set()
    for raw in mentioned:
        name = _normalize(root, raw).lstrip("/")
        if not name:
            continue
        if name in known:
            found.add(name)
            continue
        tails = [f for f in files if f.endswith("/" + name)]
        if len(tails) <= 3:  # a bare "utils.py" matching thirty files says nothing
            found.update(tails)
    return found


def _split_idents(idents: Iterable[str]) -> set[str]:
    """`Box.area` mentions both `Box` and `area`; `area()` mentions `area`."""
    out: set[str] = set()
    for ident in idents:
        for part in ident.replace("::", ".").split("."):
            part = part.strip().rstrip("()")
            if part:
                out.add(part)
    return out

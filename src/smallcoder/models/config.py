"""User configuration: an optional TOML file, overridden by environment, overridden by flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from smallcoder.errors import ConfigError


@dataclass
class UserConfig:
    model: str | None = None
    ctx: int | None = None
    threads: int | None = None
    temperature: float = 0.2
    dialect: str | None = None  # tool-call format the model writes (hermes, qwen3_xml, mistral, ...); default: detected
    base_url: str | None = None  # a model server (Ollama or OpenAI-compatible) for ollama:/openai: specs
    allow_remote: bool = False  # opt in to a server that is not on this machine: code leaves it
    api_key_env: str | None = None  # environment variable holding that server's API key
    sandbox: dict[str, Any] = field(default_factory=dict)  # the [sandbox] table: see smallcoder/sandbox/settings.py


def config_path() -> Path:
    override = os.environ.get("SMALLCODER_CONFIG")
    return Path(override) if override else Path(platformdirs.user_config_dir("smallcoder")) / "config.toml"


def load_config() -> UserConfig:
    path = config_path()
    if not path.is_file():
        return UserConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from e
    known = set(UserConfig.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))} in {path}; known: {', '.join(sorted(known))}")
    try:
        return UserConfig(**data)
    except TypeError as e:
        raise ConfigError(f"bad value in {path}: {e}") from e

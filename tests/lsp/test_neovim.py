"""The completion fallback in a real Neovim (the field report's 0.7.2 where installed), headless, with
the Lua docs/editors.md gives for Neovim before 0.12 and the llama-server /infill fake as the model: a
suggestion one level out of the editor's auto-indent (``elif``) is offered and lands one level out.
Skipped when ``nvim`` is not on PATH."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.fim.infill_fakes import InfillServerFake
from tests.lsp.helpers import server_command, server_env
from tests.lsp.test_lsp_indent import SIGN, model

NVIM = shutil.which("nvim")
ROOT = Path(__file__).resolve().parents[2]
DOCS, SRC = ROOT / "docs" / "editors.md", ROOT / "src"
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim not installed")

# Polls instead of sleeping: the server starting, the menu showing, the line changing.
DRIVER = r"""
local cfg = vim.fn.json_decode(os.getenv("SMALLCODER_NVIM_TEST"))
vim.opt.completeopt = { "menuone", "noinsert" }
dofile(cfg.handler)
vim.cmd("edit " .. cfg.file)
local id = vim.lsp.start_client({ name = "smallcoder", cmd = cfg.cmd, cmd_env = cfg.env, root_dir = cfg.root })
vim.lsp.buf_attach_client(0, id)
vim.bo.omnifunc = "v:lua.vim.lsp.omnifunc"
local report = {}
local function done(what)
  report.result = what
  report.line = vim.fn.getline(4)
  vim.fn.writefile({ vim.fn.json_encode(report) }, cfg.out)
  vim.cmd("qa!")
end
local function poll(cond, next, ms)
  if cond() then return next() end
  if ms <= 0 then return done("timeout") end
  vim.defer_fn(function() poll(cond, next, ms - 50) end, 50)
end
local function keys(k) vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(k, true, false, true), "n", false) end
poll(function() local c = vim.lsp.get_client_by_id(id); return c and c.initialized end, function()
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  keys("A<C-x><C-o>")  -- the line holds the editor's auto-indent; the cursor goes to its end
  poll(function() return vim.fn.pumvisible() == 1 end, function()
    report.menu = true
    keys("<C-y>")
    poll(function() return vim.fn.getline(4):find("elif") ~= nil end, function() done("ok") end, 5000)
  end, 20000)
end, 20000)
"""


def documented_handler() -> str:
    """The CompleteDone Lua from docs/editors.md."""
    blocks = re.findall(r"```lua\n(.*?)```", DOCS.read_text(), flags=re.S)
    found = [b for b in blocks if "CompleteDone" in b]
    assert len(found) == 1, "docs/editors.md should hold one Lua block with the CompleteDone handler"
    return found[0]


def test_a_dedent_lands_one_level_out_with_the_documented_lua():
    work = Path(tempfile.mkdtemp(prefix="smallcoder-nvim-"))
    (work / "sign.py").write_text(SIGN)
    (work / "handler.lua").write_text(documented_handler())
    (work / "driver.lua").write_text(DRIVER)
    home = Path(tempfile.mkdtemp(prefix="smallcoder-lsp-home-"))
    with InfillServerFake() as fake:
        fake.respond = model
        cmd = server_command("--model", f"openai:{fake.url}/v1#{fake.model}", "--debounce-ms", "0", "--no-stats")
        env = {k: v for k, v in server_env(home).items() if k.startswith("SMALLCODER_")}
        env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])
        cfg = {"handler": str(work / "handler.lua"), "file": str(work / "sign.py"), "out": str(work / "out.json"),
               "root": str(work), "cmd": cmd, "env": env}
        run_env = {**os.environ, "SMALLCODER_NVIM_TEST": json.dumps(cfg)}
        subprocess.run([str(NVIM), "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {work / 'driver.lua'}"],
                       env=run_env, cwd=work, timeout=90, capture_output=True, check=False)
    report = json.loads((work / "out.json").read_text())
    assert report.get("menu") is True  # Neovim kept the item (its filter did not drop it)
    assert report["line"] == "    elif y:", report

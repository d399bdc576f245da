"""ChatSession end to end on real git repositories, the real sandbox and the real run store,
with a scripted model (prepared outputs in the Hermes format Qwen writes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smallcoder.agent.events import RunStarted
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.config import load_config
from smallcoder.errors import SmallcoderError
from smallcoder.paths import Home
from smallcoder.sandbox.bwrap import probe
from smallcoder.session.chat import ChatSession
from smallcoder.session.chat_modes import Mode
from smallcoder.session.setup import open_session

from .conftest import git


def call(name: str, **arguments: object) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


FIX = call("replace_in_file", path="stats.py", old="(len(xs) - 1)", new="len(xs)")


def scripted(*outputs: str) -> ScriptedBackend:
    return ScriptedBackend(outputs=list(outputs))


def test_turns_undo_redo_apply_and_resume(repo: Path) -> None:
    backend = scripted(
        "Let me look.\n" + call("read_file", path="stats.py"),
        "mean() divides by len(xs) - 1 instead of len(xs).",
        "Fixing it.\n" + FIX,
        "Done: mean() now divides by len(xs).",
    )
    config = load_config()
    with open_session(config, Home.from_env(), backend=backend) as session:
        chat = ChatSession.start(session, repo)
        first = chat.send("why does test_mean fail?")
        assert first.status == "answered" and "len(xs) - 1" in first.answer
        second = chat.send("fix it")
        assert second.status == "answered"
        wt = chat.wt.path
        assert "/ len(xs)\n" in (wt / "stats.py").read_text()
        assert "+    return sum(xs) / len(xs)" in chat.diff() and chat.diff(1) == ""
        assert "+    return sum(xs) / len(xs)" in chat.diff(2)
        # the user's tree is untouched until /apply
        assert "(len(xs) - 1)" in (repo / "stats.py").read_text()

        undone = chat.undo()
        assert undone is not None and undone.number == 2
        assert "(len(xs) - 1)" in (wt / "stats.py").read_text()
        assert chat.messages[-1].content.startswith("mean() divides")
        assert chat.redo() is not None
        assert "/ len(xs)\n" in (wt / "stats.py").read_text()
        assert chat.messages[-1].content.startswith("Done:")
        # the prompt only ever grew: each request starts with the previous one
        for earlier, later in zip(backend.requests, backend.requests[1:]):
            assert later[: len(earlier)] == earlier

        applied = chat.apply()
        assert "len(xs)" in applied and "/ len(xs)\n" in (repo / "stats.py").read_text()
        assert chat.apply() == ""  # nothing new since
        run_id, saved = chat.run_id, list(chat.messages)
        chat.close()

    resumed_backend = scripted("It divides by len(xs) now.")
    with open_session(config, Home.from_env(), backend=resumed_backend) as session:
        row = session.store.get_run(run_id)["run"]
        assert row["extra"]["kind"] == "chat" and row["status"] == "changed-unverified"
        assert [c["step"] for c in session.store.get_run(run_id)["model_calls"]] == [1, 2, 3, 4]
        chat = ChatSession.resume(session, run_id[:8])
        assert chat.messages == saved  # byte for byte: a running server's KV cache still hits
        out = chat.send("and now?")
        assert out.status == "answered"
        assert resumed_backend.requests[0][: len(saved)] == saved
        assert [t.number for t in chat.state.turns] == [1, 2, 3]
        chat.close()
        assert [c["step"] for c in session.store.get_run(run_id)["model_calls"]][-1] == 5


def test_rewind_and_redo_walk_back_and_forth(repo: Path) -> None:
    backend = scripted(
        call("write_file", path="a.txt", content="one\n"), "wrote a",
        call("write_file", path="b.txt", content="two\n"), "wrote b",
        call("write_file", path="c.txt", content="three\n"), "wrote c",
    )
    with open_session(load_config(), Home.from_env(), backend=backend) as session:
        chat = ChatSession.start(session, repo)
        for name in "abc":
            chat.send(f"write {name}")
        wt = chat.wt.path
        assert [p.name for p in sorted(wt.glob("?.txt"))] == ["a.txt", "b.txt", "c.txt"]
        assert [t.number for t in chat.rewind(2)] == [3, 2]
        assert [p.name for p in sorted(wt.glob("?.txt"))] == ["a.txt"]
        assert chat.messages[-1].content == "wrote a"
        chat.redo()
        assert (wt / "b.txt").exists() and not (wt / "c.txt").exists()
        with pytest.raises(SmallcoderError, match="no turn 7"):
            chat.rewind(7)
        chat.close()


def test_ctrl_c_inside_a_tool_keeps_the_session(repo: Path) -> None:
    backend = scripted(call("read_file", path="stats.py"), "never reached", "after the interrupt")
    with open_session(load_config(), Home.from_env(), backend=backend) as session:
        chat = ChatSession.start(session, repo)
        tool = chat.agent.tools["read_file"]
        original = tool.fn

        def interrupted(ctx: object, **kwargs: object) -> str:
            raise KeyboardInterrupt

        tool.fn = interrupted  # what a Ctrl-C during a slow tool looks like to the loop
        out = chat.send("read it")
        tool.fn = original
        assert out.status == "interrupted"
        # the history stays well formed: the call has a result
        assert chat.messages[-1].role == "tool" and "interrupted" in chat.messages[-1].content
        backend.outputs[1] = "after the interrupt"
        assert chat.send("go on").answer == "after the interrupt"
        chat.close()


def test_a_chat_without_turns_leaves_nothing(repo: Path) -> None:
    with open_session(load_config(), Home.from_env(), backend=scripted()) as session:
        chat = ChatSession.start(session, repo)
        path, branch = chat.wt.path, chat.wt.branch
        chat.close()
    assert not path.exists()
    assert branch not in git(repo, "branch", "--list")


def test_resume_refuses_a_fix_run_and_unknown_ids(repo: Path) -> None:
    with open_session(load_config(), Home.from_env(), backend=scripted()) as session:
        session.store(RunStarted("fix-run-1", "a fix task", str(repo), "/nowhere", "smallcoder/fix-run-1", "0" * 40,
                                 "scripted", None, 32_768))
        with pytest.raises(SmallcoderError, match="not a chat"):
            ChatSession.resume(session, "fix-run-1")
        with pytest.raises(SmallcoderError, match="no run with id"):
            ChatSession.resume(session, "zzzz")


@pytest.mark.skipif(not probe().usable, reason="bubblewrap cannot run here")
def test_plan_mode_reads_but_cannot_write_even_through_commands(repo: Path) -> None:
    backend = scripted(
        call("write_file", path="stats.py", content="broken"),
        call("run_command", command="cat stats.py; echo hacked > stats.py"),
        "I can only describe the change in plan mode.",
    )
    with open_session(load_config(), Home.from_env(), backend=backend) as session:
        chat = ChatSession.start(session, repo, mode=Mode.PLAN)
        out = chat.send("break it")
        assert out.status == "answered"
        tool_results = [m.content for m in chat.messages if m.role == "tool"]
        assert tool_results[0].startswith("Error:")  # the edit tool is refused
        assert "def mean" in tool_results[1] and "Read-only file system" in tool_results[1]
        assert "def mean" in (chat.wt.path / "stats.py").read_text()
        chat.close()


def test_context_counts_each_part_against_the_window(repo: Path) -> None:
    with open_session(load_config(), Home.from_env(), backend=scripted("hello")) as session:
        chat = ChatSession.start(session, repo)
        use = chat.context(attached="x" * 4000)
        assert use.system > 0 and use.tools > 0 and use.history == 0 and use.attached >= 900
        assert use.window == 32_768 and use.fits
        assert not chat.context(attached="x" * 200_000).fits
        chat.close()


@pytest.mark.skipif(not probe().usable, reason="bubblewrap cannot run here")
@pytest.mark.parametrize("mode", [Mode.PLAN, Mode.AUTO_EDIT])
def test_a_hostile_session_is_contained(mode: Mode, repo: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_tmux_chat import HOSTILE

    home = tmp_path / "userhome"
    (home / ".ssh").mkdir(parents=True)
    (home / ".bashrc").write_text("# mine\n")
    (home / ".ssh" / "id_rsa").write_text("PRIVATE-KEY-SECRET\n")
    monkeypatch.setenv("HOME", str(home))
    with open_session(load_config(), Home.from_env(), backend=scripted(*HOSTILE)) as session:
        chat = ChatSession.start(session, repo, mode=mode, ask_user=lambda kind, tool, args: "a")
        assert chat.send("do your worst").answer == "I tried."
        results = "\n".join(m.content for m in chat.messages if m.role == "tool")
        chat.close()
    assert not (repo.parent / "outside.txt").exists() and not (repo.parent / "outside2.txt").exists()
    assert (home / ".bashrc").read_text() == "# mine\n"
    assert "PRIVATE-KEY-SECRET" not in results


def test_a_message_that_would_not_fit_compacts_the_history_first(repo: Path) -> None:
    backend = scripted("x" * 2000, "short answer")
    with open_session(load_config(), Home.from_env(), backend=backend) as session:
        chat = ChatSession.start(session, repo)
        base = chat.context().total
        backend.context_window = base + 700  # room for the first turn, not for the second on top of it
        assert chat.send("hi").status == "answered"
        out = chat.send("y" * 600)
        assert out.compacted and out.answer == "short answer"
        assert chat.messages[1].content == "hi" and "too long" in chat.messages[2].content
        assert chat.state.turns[-1].number == 1  # earlier turns were folded into the summary
        with pytest.raises(SmallcoderError, match="would not fit"):
            chat.send("z" * 40_000)
        chat.close()


def test_a_turn_that_outgrows_the_window_is_compacted_and_keeps_its_request(repo: Path) -> None:
    # The turn reads a file too big to keep beside the history: the loop summarises mid-turn, and the
    # turn's own request stays word for word after the summary, so the model still knows what was asked.
    (repo / "big.py").write_text("".join(f"value_{i} = {i}  # a line of a long generated module\n" for i in range(400)))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "big")
    backend = scripted("hello", call("read_file", path="big.py"), "big.py defines 400 values")
    with open_session(load_config(), Home.from_env(), backend=backend) as session:
        chat = ChatSession.start(session, repo)
        assert chat.send("hi").status == "answered"
        backend.context_window = chat.context().total + 300  # the turn fits; the file read on top does not
        out = chat.send("what does big.py define?")
        assert out.status == "answered" and out.answer == "big.py defines 400 values" and out.compacted
        last_prompt = backend.requests[-1]
        assert "too long" in last_prompt[2].content and "read_file" in last_prompt[2].content
        assert last_prompt[3].role == "user" and last_prompt[3].content == "what does big.py define?"
        assert not chat.state.turns  # turns cannot be undone one by one across a summary
        chat.close()


def test_every_edit_and_command_is_preceded_by_a_snapshot(repo: Path) -> None:
    backend = scripted(call("read_file", path="stats.py"), call("write_file", path="a.txt", content="1\n"),
                       call("run_command", command="echo 2 > b.txt"), "done")
    with open_session(load_config(), Home.from_env(), backend=backend) as session:
        chat = ChatSession.start(session, repo)
        chat.send("go")
        turn = chat.state.turns[-1]
        assert len(turn.tool_snapshots) == 2  # before write_file and before run_command; reads change nothing
        first, second = turn.tool_snapshots
        assert "a.txt" not in chat.snaps.diff(turn.before, first) and "+1" in chat.snaps.diff(first, second)
        assert "b.txt" in chat.snaps.diff(second, turn.after)
        chat.close()

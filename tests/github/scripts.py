"""Scripted model outputs for the slugify project (tests/github/conftest.py), Hermes-style as Qwen models write them."""

import json


def hermes(name: str, reason: str = "", **arguments: object) -> str:
    call = f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"
    return f"{reason}\n{call}" if reason else call


REPRO_TEST = '''from textutil import slugify


def test_two_spaces_give_one_dash():
    assert slugify("Hello  World") == "hello-world"
'''
WRITE_REPRO = hermes("write_file", "The issue says two spaces give a double dash; this test shows it.",
                     path="test_issue_7.py", content=REPRO_TEST)
FIX = hermes("replace_in_file",
             "Root cause: split(\" \") makes an empty word between two spaces, which becomes an extra dash. "
             "split() with no argument drops empty words.",
             path="textutil.py", old='words = title.lower().split(" ")', new="words = title.lower().split()")

"""The desktop-notification escape sequences, their sanitising, and the auto choice."""

from __future__ import annotations

import pytest

from batchtui.core.notify import BEL, notification_sequence, osc9, osc777, pick_mode, sanitise

ESC = "\x1b"


def test_osc9_and_osc777_shapes() -> None:
    assert osc9("batchtui: job completed") == f"{ESC}]9;batchtui: job completed{BEL}"
    assert osc777("batchtui: job", "3 of 4") == f"{ESC}]777;notify;batchtui: job;3 of 4{BEL}"
    assert notification_sequence("osc9", "t", "b") == f"{ESC}]9;t: b{BEL}"
    assert notification_sequence("osc777", "t", "b") == f"{ESC}]777;notify;t;b{BEL}"
    assert notification_sequence("off", "t", "b") == ""


@pytest.mark.parametrize(
    "hostile",
    [
        f"evil{BEL}{ESC}]0;pwned{BEL}",
        f"evil{ESC}\\ then",
        "semi;colon;777;notify;x;y",
        "c1\x9d0;pwned\x9c and \x07 bell",
        "newline\nand\r\ttab\x7f",
        "bidi\u202eoverride\u2066",
    ],
)
def test_no_field_can_break_out(hostile: str) -> None:
    for sequence in (osc9(hostile), osc777(hostile, hostile)):
        inner = sequence[len(f"{ESC}]") : -1]
        assert sequence.endswith(BEL) and sequence.count(BEL) == 1
        assert sequence.count(ESC) == 1
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in inner)
        assert "\u202e" not in inner and "\u2066" not in inner
    # osc777 keeps exactly its three separators: notify ; title ; body
    assert osc777(hostile, hostile).count(";") == 3
    assert osc9(hostile).count(";") == 1


def test_sanitise_shortens_and_keeps_text() -> None:
    assert sanitise("  a \n\n b  ") == "a b"
    assert sanitise("résumé ✓ 1,000") == "résumé ✓ 1,000"
    long = sanitise("x" * 500)
    assert len(long) == 200 and long.endswith("…")


def test_osc9_text_starting_with_a_digit_is_not_a_conemu_command() -> None:
    assert osc9("4;1;50") == f"{ESC}]9; 4,1,50{BEL}"


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({"TERM_PROGRAM": "iTerm.app"}, "osc9"),
        ({"TERM_PROGRAM": "WezTerm"}, "osc9"),
        ({"WT_SESSION": "abc"}, "osc9"),
        ({"KITTY_WINDOW_ID": "1", "TERM": "xterm-kitty"}, "osc9"),
        ({"TERM_PROGRAM": "ghostty"}, "osc777"),
        ({"VTE_VERSION": "7600", "TERM": "xterm-256color"}, "osc777"),
        ({"TERM": "foot"}, "osc777"),
        ({"TERM": "rxvt-unicode-256color"}, "osc777"),
        ({"TERM": "xterm-256color"}, "off"),
        ({}, "off"),
        ({"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/tmux"}, "off"),
    ],
)
def test_auto_picks_from_the_environment(env: dict[str, str], mode: str) -> None:
    assert pick_mode("auto", env) == mode


def test_an_explicit_setting_wins() -> None:
    assert pick_mode("osc777", {"TERM_PROGRAM": "iTerm.app"}) == "osc777"
    assert pick_mode("off", {"TERM_PROGRAM": "iTerm.app"}) == "off"
    assert pick_mode("osc9", {}) == "osc9"

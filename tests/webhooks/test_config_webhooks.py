"""Profile fields for webhooks: the secret's variable (never the secret) and the slower poll."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchtui.core.config import ConfigError, load_config, resolve_webhook_secret


def config(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path, env={})


def test_the_secret_comes_from_the_providers_variable_or_the_profiles(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        "[profiles.openai]\nprovider='openai'\n"
        "[profiles.team]\nprovider='openai'\nwebhook_secret_env='TEAM_HOOK'\nwebhook_poll_s=90\n"
        "[profiles.gemini]\nprovider='gemini'\n"
        "[profiles.g2]\nprovider='gemini'\nwebhook_secret_env='G_HOOK'\n"
        "[profiles.anthropic]\nprovider='anthropic'\nwebhook_secret_env='A_HOOK'\n",
    )
    env = {"OPENAI_WEBHOOK_SECRET": " whsec_a ", "TEAM_HOOK": "whsec_t", "G_HOOK": "whsec_g"}
    env["A_HOOK"] = "whsec_x"
    assert resolve_webhook_secret(cfg.profile("openai"), env) == "whsec_a"
    assert resolve_webhook_secret(cfg.profile("team"), env) == "whsec_t"
    assert resolve_webhook_secret(cfg.profile("gemini"), env) is None  # no SDK variable
    assert resolve_webhook_secret(cfg.profile("g2"), env) == "whsec_g"
    assert resolve_webhook_secret(cfg.profile("anthropic"), env) is None  # sends no webhooks
    assert resolve_webhook_secret(cfg.profile("openai"), {}) is None
    assert cfg.profile("team").webhook_poll_s == 90.0
    assert cfg.profile("openai").webhook_poll_s == 600.0


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("webhook_secret_env='whsec_abc+/='", "must name an environment variable"),
        ("webhook_poll_s=0", "positive"),
        ("webhook_secret='whsec_abc'", "unknown key 'webhook_secret'"),
    ],
)
def test_bad_webhook_fields_get_one_clear_message(tmp_path: Path, line: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as caught:
        config(tmp_path, f"[profiles.openai]\nprovider='openai'\n{line}\n")
    assert "whsec_abc" not in str(caught.value)

import random

import numpy as np
import pytest

from course_utils import config


def test_profiles_exist_and_smoke_is_smallest():
    full, fast, smoke = (config.get_profile(n) for n in ("full", "fast", "smoke"))
    assert full.max_train_essays is None
    assert smoke.optuna_trials <= fast.optuna_trials <= full.optuna_trials
    assert smoke.finetune_max_length <= fast.finetune_max_length <= full.finetune_max_length
    assert smoke.llm_eval_essays <= fast.llm_eval_essays <= full.llm_eval_essays
    assert full.finetune_model == "google/electra-small-discriminator"


def test_env_selects_profile(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    assert config.get_profile().name == "smoke"
    assert config.profile_name() == ("smoke", "set by COURSE_PROFILE")
    monkeypatch.setenv("COURSE_PROFILE", "turbo")
    with pytest.raises(ValueError, match="full, fast, smoke"):
        config.get_profile()


def test_default_profile_follows_gpu(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(config, "has_cuda", lambda: True)
    assert config.profile_name()[0] == "full"
    monkeypatch.setattr(config, "has_cuda", lambda: False)
    assert config.profile_name() == ("fast", "default: no CUDA GPU")


@pytest.mark.parametrize("var", ["HF_HUB_OFFLINE", "COURSE_OFFLINE"])
def test_offline_flags(monkeypatch, var):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    assert not config.is_offline()
    monkeypatch.setenv(var, "1")
    assert config.is_offline()


def test_seed_everything_repeats():
    config.seed_everything(7)
    a = (random.random(), np.random.rand())
    config.seed_everything(7)
    assert a == (random.random(), np.random.rand())


def test_setup_prints_profile(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    profile = config.setup()
    out = capsys.readouterr().out
    assert profile.name == "fast"
    assert "Profile: fast (set by COURSE_PROFILE)" in out and "device:" in out


def test_profile_is_frozen():
    with pytest.raises(AttributeError):
        config.get_profile("fast").n_seeds = 10  # type: ignore[misc]


def test_costly_solutions_run_in_smoke_or_when_asked(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_RUN_SOLUTIONS", raising=False)
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    assert config.run_solutions("about 2 minutes") is True
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert config.run_solutions("about 2 minutes") is False
    assert "skipped" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_RUN_SOLUTIONS", "1")
    assert config.run_solutions("about 2 minutes") is True

"""The downstream stages' bad input to `mtf-mods train`: one line, exit 2.

The stages themselves run through the study in
tests/test_study_applications.py (fine-tuning from a pre-trained checkpoint,
decode evaluation of every checkpoint, training from scratch)."""
import pytest

from mtf_test_utils import call_cli

TINY = ["--scale=tiny"]


@pytest.mark.parametrize("flags,message", [
    (["--stage=finetune"], "--stage=finetune and --pretrained_model_dir go "
     "together"),
    (["--stage=pretrain", "--pretrained_model_dir=x"],
     "--stage=finetune and --pretrained_model_dir go together"),
    (["--stage=finetune", "--pretrained_model_dir={empty}"],
     "holds no checkpoint"),
])
def test_fine_tuning_input_errors_are_one_line(mini_env, tmp_path, flags,
                                              message):
  flags = [f.format(empty=tmp_path) for f in flags]
  result = call_cli("train", *TINY, "--task=mini_summarization", *flags,
                    "--model_dir=%s" % (tmp_path / "m"), env=mini_env)
  assert result.returncode == 2
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and message in lines[0]

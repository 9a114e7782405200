"""The README's main job, at the tiny scale for a few steps."""
from mtf_test_utils import run_cli


def test_demo_trains_evaluates_and_summarizes(mini_env, tmp_path):
  result = run_cli("demo", "--scale=tiny", "--train_steps=3",
                   "--workdir=%s" % tmp_path, env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  out = result.stdout
  for label in ("parameters", "steps/s", "held-out loss",
                "unigram entropy", "model_dir"):
    assert label in out, out
  assert "step 3/3" in result.stderr
  assert (tmp_path / "baseline-tiny" / "model.ckpt-3.index").exists()


def test_demo_refuses_an_unknown_scale():
  result = run_cli("demo", "--scale=huge")
  assert result.returncode == 2
  assert result.stderr.strip() == (
      "mtf-mods demo: unknown scale 'huge'; valid: tiny, cpu, paper")

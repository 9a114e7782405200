"""`mtf-mods mini-bench`: the trivial baselines, and a short training run
that beats its baseline."""
import json
import os

import pytest

from mtf_test_utils import call_cli, run_cli

# A tiny model (2+2 layers) at d_model 64, trained from scratch for 400 steps
# of 16 sequences: about a minute on 2 cores.
SMALL_MODEL = ["--gin_param=d_model = 64", "--gin_param=d_ff = 256",
               "--gin_param=d_kv = 16",
               "--gin_param=utils.run.batch_size = ('tokens_per_batch', 2048)"]


def _rows(workdir):
  with open(os.path.join(workdir, "mini_bench.json")) as f:
    return {row["application"]: row for row in json.load(f)["rows"]}


def test_baselines_are_printed_for_every_application(mini_env, tmp_path):
  env = dict(mini_env, MTF_MODS_MINI_BENCH_TRAIN="200",
             MTF_MODS_MINI_BENCH_VALIDATION="40")
  result = run_cli("mini-bench", "--baselines_only",
                   "--workdir=%s" % tmp_path, env=env)
  assert result.returncode == 0, result.stderr[-2000:]
  for name in ("majority class", "lead sentence", "most frequent answer",
               "copy source"):
    assert name in result.stdout
  rows = _rows(str(tmp_path))
  assert 30 < rows["superglue"]["baseline"] < 70
  assert rows["wmt"]["model"] is None


def test_unknown_application_is_a_one_line_error(mini_env, tmp_path):
  result = call_cli("mini-bench", "--applications=glue",
                    "--workdir=%s" % tmp_path, env=mini_env)
  assert result.returncode == 2
  assert result.stderr.strip() == (
      "mtf-mods mini-bench: unknown application 'glue'; valid: superglue, "
      "xsum, webq, wmt")


@pytest.mark.slow
def test_short_training_beats_the_copy_source_baseline(mini_env, tmp_path):
  """Translation, the task that needs no pre-training, trained from scratch:
  BLEU well above copying the English source."""
  env = dict(mini_env, MTF_MODS_MINI_BENCH_TRAIN="1000",
             MTF_MODS_MINI_BENCH_VALIDATION="32")
  result = run_cli("mini-bench", "--scale=tiny", "--applications=wmt",
                   "--workdir=%s" % tmp_path, *SMALL_MODEL,
                   "--gin_param=utils.run.train_steps = 400",
                   "--gin_param=utils.run.save_checkpoints_steps = 400",
                   env=env, timeout=900)
  assert result.returncode == 0, result.stderr[-3000:]
  row = _rows(str(tmp_path))["wmt"]
  assert row["best_step"] == 400 and row["steps_trained"] == 400
  assert row["baseline"] < 3
  assert row["model"] > row["baseline"] + 5, row
  assert "copy source" in result.stdout

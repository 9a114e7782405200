"""`mtf-mods train`: outputs, stages, bad input, and the t5 launcher itself."""
import glob
import os
import re
import subprocess
import sys

import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.files import model_dir_reader
from mtf_mods.config import paths
from mtf_test_utils import REPO, call_cli, run_cli

TINY = ["--scale=tiny", "--task=mini_span_corruption"]
SEED = 3

BLOCK_NETWORK = '''
import socket
def _refuse(*args, **kwargs):
  raise OSError("network access attempted during an offline test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
'''


@pytest.fixture(scope="module")
def offline_env(mini_env, tmp_path_factory):
  """mini_env plus a sitecustomize that makes any network access fail."""
  site = tmp_path_factory.mktemp("offline_site")
  (site / "sitecustomize.py").write_text(BLOCK_NETWORK)
  return dict(mini_env, PYTHONPATH=str(site))


@pytest.fixture(scope="module")
def trained(offline_env, tmp_path_factory):
  """A tiny baseline pre-trained for 4 steps with the network blocked, from
  the initialization of seed 3."""
  model_dir = str(tmp_path_factory.mktemp("trained") / "model")
  result = run_cli("train", *TINY, "--train_steps=4", "--seed=%d" % SEED,
                   "--model_dir=" + model_dir, env=offline_env)
  assert result.returncode == 0, result.stderr[-3000:]
  return model_dir, result


def loss_tags(model_dir):
  tags = set()
  for path in glob.glob(os.path.join(model_dir, "events.out.tfevents.*")):
    for event in tf.train.summary_iterator(path):
      tags.update(value.tag for value in event.summary.value)
  return tags


def test_train_writes_checkpoints_config_and_loss_events(trained):
  model_dir, _ = trained
  assert tf.train.latest_checkpoint(model_dir).endswith("model.ckpt-4")
  with open(os.path.join(model_dir, "operative_config.gin")) as f:
    config = f.read()
  assert "mtf_mods.MultiHeadSelfAttention" in config
  assert "run.optimizer = @optimize.AdafactorOptimizer" in config
  assert "MIXTURE_NAME = 'mini_span_corruption'" in config
  assert "loss" in loss_tags(model_dir)


def test_train_says_how_many_checkpoints_of_what_size_it_keeps(trained):
  model_dir, result = trained
  said = [line for line in result.stderr.splitlines() if " keeps " in line]
  assert len(said) == 1, result.stderr
  match = re.search(r"keeps (\d+) checkpoints \(steps ([\d, .]+)\) of "
                    r"([\d.]+) MB of variables each", said[0])
  count, steps, megabytes = match.groups()
  written = sorted(model_dir_reader.step_of(p[:-len(".index")]) for p in
                   glob.glob(os.path.join(model_dir, "model.ckpt-*.index")))
  assert int(count) == len(written) and steps == ", ".join(
      str(step) for step in written)
  data = sum(os.path.getsize(p) for p in glob.glob(
      os.path.join(model_dir, "model.ckpt-4.data-*")))
  assert abs(data / 1e6 - float(megabytes)) <= 0.05


def test_train_shows_progress_offline(trained):
  _, result = trained
  assert "step 4/4  loss" in result.stderr
  assert "steps/s" in result.stderr and "ETA" in result.stderr
  assert "network access attempted" not in result.stderr
  summary = model_dir_reader.train_summary(trained[0])
  assert summary["step"] == 4 and summary["steps_per_second"] > 0


def test_perplexity_eval_prints_each_held_out_loss_it_measured(trained,
                                                               mini_env):
  """One line per checkpoint evaluated, the loss its event files hold; the
  training and the evaluation each leave their hyperparameters for
  TensorBoard, the evaluation the seed of the training it evaluates."""
  model_dir, _ = trained
  result = run_cli("train", *TINY, "--stage=perplexity_eval",
                   "--gin_param=eval_checkpoint_step = 4",
                   "--gin_param=utils.run.perplexity_eval_steps = 2",
                   "--model_dir=" + model_dir, env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  found = model_dir_reader.held_out_losses_per_evaluation(model_dir)
  assert len(found) == 1
  (name, losses), = found.items()
  printed = [line for line in result.stderr.splitlines()
             if "held-out loss at step" in line]
  assert printed == ["mtf-mods train: held-out loss at step 4: %.4f (%s)"
                     % (losses[4], name)]
  assert model_dir_reader.session_hparams(model_dir) == {
      "variant": "baseline", "implementation": "kit", "scale": "tiny",
      "stage": "pretrain", "seed": SEED}
  assert model_dir_reader.session_hparams(
      os.path.join(model_dir, name)) == {
          "variant": "baseline", "implementation": "kit", "scale": "tiny",
          "stage": "perplexity_eval", "seed": SEED}


def test_model_dir_of_another_configuration_is_refused(trained, mini_env):
  model_dir, _ = trained
  before = sorted(os.listdir(model_dir))
  result = call_cli("train", *TINY, "--train_steps=6", "--gin_param=d_ff = 64",
                    "--model_dir=" + model_dir, env=mini_env)
  assert result.returncode == 2
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and "different model" in lines[0]
  assert "FeedForward/wi" in lines[0]
  assert sorted(os.listdir(model_dir)) == before


def test_the_release_is_refused_a_model_dir_of_the_kits(trained, mini_env):
  """Same variant and scale, the other implementation: different variables,
  refused before anything is written."""
  model_dir, _ = trained
  before = sorted(os.listdir(model_dir))
  result = call_cli("train", *TINY, "--implementation=release",
                    "--train_steps=6", "--model_dir=" + model_dir,
                    env=mini_env)
  assert result.returncode == 2
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and "different model" in lines[0]
  assert "variant baseline (release) at scale tiny" in lines[0]
  assert sorted(os.listdir(model_dir)) == before


def test_text_files_train_their_own_vocabulary(mini_env, tmp_path):
  corpus = tmp_path / "text"
  corpus.mkdir()
  for i in range(2):
    lines = ["document %d line %d about rivers, stones and %d birds." % (
        i, j, j * 7 % 13) for j in range(300)]
    (corpus / ("part%d.txt" % i)).write_text("\n".join(lines))
  model_dir = tmp_path / "model"
  result = run_cli("train", "--scale=tiny", "--train_steps=2",
                   "--text_files=%s/*.txt" % corpus,
                   "--model_dir=%s" % model_dir, env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "text_files_span_corruption" in result.stderr
  assert tf.train.latest_checkpoint(str(model_dir))


def test_unmodified_t5_mesh_transformer_trains_the_kits_model(mini_env,
                                                             tmp_path):
  launcher = os.path.join(os.path.dirname(sys.executable),
                          "t5_mesh_transformer")
  model_dir = tmp_path / "t5_model"
  env = dict(os.environ, **mini_env)
  result = subprocess.run([
      launcher, "--module_import=mtf_mods.tasks",
      "--gin_location_prefix=%s/" % paths.gin_dir(),
      "--gin_file=models/baseline.gin", "--gin_file=scales/tiny.gin",
      "--gin_file=stages/pretrain.gin",
      "--gin_file=optimizers/adafactor/pretrain.gin",
      "--gin_file=meshes/cpu.gin",
      "--gin_param=MIXTURE_NAME = 'mini_span_corruption'",
      "--gin_param=utils.run.train_steps = 3",
      "--model_dir=%s" % model_dir], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  assert tf.train.latest_checkpoint(str(model_dir)).endswith("model.ckpt-3")
  assert "step 3/3  loss" in result.stderr


def initial_kernel(model_dir):
  reader = tf.train.load_checkpoint(os.path.join(model_dir, "model.ckpt-0"))
  name = [n for n in reader.get_variable_to_shape_map()
          if n.endswith("FeedForward/wi/kernel")][0]
  return reader.get_tensor(name)


def test_seed_fixes_the_initialization(trained, mini_env, tmp_path):
  """Two more processes: the trained model's seed again, and another."""
  kernels = [initial_kernel(trained[0])]
  for seed in (SEED, SEED + 1):
    model_dir = str(tmp_path / ("seed%d" % seed))
    result = run_cli("train", *TINY, "--train_steps=1", "--seed=%d" % seed,
                     "--model_dir=" + model_dir, env=mini_env)
    assert result.returncode == 0, result.stderr[-3000:]
    kernels.append(initial_kernel(model_dir))
  assert (kernels[0] == kernels[1]).all()
  assert not (kernels[0] == kernels[2]).all()


def test_decode_eval_beam_searches_an_adaptive_softmax_model(mini_env,
                                                             tmp_path):
  """The decode_eval stage on a variant with its own head, loss and
  clusters (sized by the launcher's VOCAB_SIZE), by beam search of width 4:
  the trained checkpoint scored, every validation example decoded."""
  model_dir = str(tmp_path / "adaptive_softmax")
  common = ["--variant=adaptive_softmax", "--scale=tiny",
            "--task=mini_translation", "--model_dir=" + model_dir]
  result = run_cli("train", *common, "--stage=train_from_scratch",
                   "--train_steps=2", env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  result = run_cli("train", *common, "--stage=decode_eval",
                   "--gin_param=Bitransformer.decode.beam_size = 4",
                   env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  scores = model_dir_reader.validation_scores(model_dir)
  assert set(scores[2]) == {"mini_translation/bleu"}
  said = [line[len("mtf-mods train: "):] for line in result.stderr.splitlines()
          if line.startswith("mtf-mods train: scores at step")
          or line.startswith("mtf-mods train: best ")]
  bleu = {step: metrics["mini_translation/bleu"]
          for step, metrics in scores.items()}
  first = model_dir_reader.first_step(model_dir)
  counted = [step for step in bleu if step != first] or list(bleu)
  best = max(counted, key=lambda step: (bleu[step], -step))
  assert said == ["scores at step %d: mini_translation/bleu %.2f" % item
                  for item in sorted(bleu.items())] + [
                      "best mini_translation/bleu: %.2f at step %d"
                      % (bleu[best], best)]
  assert model_dir_reader.session_hparams(
      os.path.join(model_dir, model_dir_reader.EVAL_DIR))["stage"] == (
          "decode_eval")
  predictions = os.path.join(model_dir, model_dir_reader.EVAL_DIR,
                             "mini_translation_2_predictions")
  with open(predictions) as f:  # the conftest's mini benchmark: 16
    assert len(f.read().splitlines()) == 16

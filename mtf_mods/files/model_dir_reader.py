"""Reading what training and evaluation left in a model_dir.

The one reader of a model_dir's contents, for the launcher, the study, the
mini benchmark and checkpoint selection:
- checkpoints, `model.ckpt-<step>` (their `.index` files found by one
  pattern): every step, the latest, the first, the step of a path;
- perplexity-eval event files (`eval_*/`): the held-out loss per step;
- decode_eval event files (`validation_eval/`): the scores per step;
- the hparams plugin's session summary a launch wrote into a directory
  (launch_report.py);
- `train_summary.json`, the progress hook's summary of the last run.
"""
import collections
import json
import os
import re

import tensorflow.compat.v1 as tf

CHECKPOINT_PREFIX = "model.ckpt-"
_CHECKPOINT = re.compile(r"%s(\d+)$" % re.escape(CHECKPOINT_PREFIX))
_INDEX = ".index"
SUMMARY_FILE = "train_summary.json"  # written by training.ProgressHook
EVAL_DIR = "validation_eval"  # where decode_eval writes its scores
_SCORE_PREFIX = "eval/"


def step_of(checkpoint: str) -> int:
  """The global step in a checkpoint path ".../model.ckpt-<step>"."""
  match = _CHECKPOINT.search(checkpoint)
  if not match:
    raise ValueError("not a checkpoint path of the form .../model.ckpt-<step>:"
                     " %r" % checkpoint)
  return int(match.group(1))


def checkpoint_path(model_dir: str, step: int) -> str:
  return os.path.join(model_dir, "%s%d" % (CHECKPOINT_PREFIX, step))


def checkpoint_steps(model_dir: str) -> list[int]:
  """The steps of model_dir's complete checkpoints, in increasing order."""
  pattern = checkpoint_path(model_dir, 0)[:-1] + "*" + _INDEX
  return sorted(step_of(path[:-len(_INDEX)])
                for path in tf.io.gfile.glob(pattern))


def latest_step(model_dir: str) -> int | None:
  """The step of model_dir's latest checkpoint, or None if it has none."""
  steps = checkpoint_steps(model_dir)
  return steps[-1] if steps else None


def latest_checkpoint(model_dir: str) -> str:
  """The path of model_dir's latest checkpoint; ValueError if it has none."""
  step = latest_step(model_dir)
  if step is None:
    raise ValueError("%s holds no checkpoint; pre-train there first "
                     "(mtf-mods train --stage=pretrain --model_dir=%s)"
                     % (model_dir, model_dir))
  return checkpoint_path(model_dir, step)


def first_step(model_dir: str) -> int:
  """The step of model_dir's earliest checkpoint: where training started
  (0 from scratch, the pre-trained step when fine-tuning)."""
  steps = checkpoint_steps(model_dir)
  if not steps:
    raise ValueError("%s holds no checkpoint" % model_dir)
  return steps[0]


def _scalar_events(pattern, since=None, with_path=False):
  """(tag, step, value) of every scalar in the event files `pattern` names,
  written at or after the time `since` (seconds since the epoch) if given,
  preceded by the file's path `with_path`; a file cut short (its writer
  killed) is read up to where it breaks."""
  for path in sorted(tf.io.gfile.glob(pattern)):
    try:
      for event in tf.train.summary_iterator(path):
        if since is not None and event.wall_time < since:
          continue
        for value in event.summary.value:
          if value.HasField("simple_value"):
            found = (value.tag, int(event.step), float(value.simple_value))
            yield (path,) + found if with_path else found
    except tf.errors.DataLossError:
      continue


def held_out_losses(model_dir: str) -> dict[int, float]:
  """{checkpoint step: held-out loss} from perplexity-eval event files.

  The loss is -neg_log_perplexity: the mean cross-entropy in nats per
  target token on the validation split (the paper's "loss").
  """
  return {step: -value for tag, step, value in _scalar_events(
      os.path.join(model_dir, "eval_*", "events.out.tfevents.*"))
          if tag == "neg_log_perplexity"}


def held_out_losses_per_evaluation(model_dir: str, since: float = None
                                   ) -> dict[str, dict[int, float]]:
  """{evaluation directory (eval_<dataset>_<split>_<examples>): {checkpoint
  step: held-out loss}}, of the evaluations written at or after `since`
  (seconds since the epoch) if given."""
  found = collections.defaultdict(dict)
  for path, tag, step, value in _scalar_events(
      os.path.join(model_dir, "eval_*", "events.out.tfevents.*"), since,
      with_path=True):
    if tag == "neg_log_perplexity":
      found[os.path.basename(os.path.dirname(path))][step] = -value
  return dict(found)


def validation_scores(model_dir: str, eval_dir: str = EVAL_DIR,
                      since: float = None) -> dict[int, dict[str, float]]:
  """{checkpoint step: {"<task>/<metric>": value}} written by decode_eval,
  at or after `since` (seconds since the epoch) if given.

  When a step was evaluated more than once, the last value written counts.
  """
  scores = collections.defaultdict(dict)
  for tag, step, value in _scalar_events(
      os.path.join(model_dir, eval_dir, "events.out.tfevents.*"), since):
    if tag.startswith(_SCORE_PREFIX):
      scores[step][tag[len(_SCORE_PREFIX):]] = value
  return dict(scores)


def session_hparams(directory: str) -> dict:
  """{name: value} of the hparams session summary in `directory`'s own
  event files (the first one written counts, as in TensorBoard); {} without
  one."""
  from tensorboard.plugins.hparams import metadata  # pylint: disable=g-import-not-at-top
  pattern = os.path.join(directory, "events.out.tfevents.*")
  for path in sorted(tf.io.gfile.glob(pattern)):
    try:
      for event in tf.train.summary_iterator(path):
        for value in event.summary.value:
          if value.tag == metadata.SESSION_START_INFO_TAG:
            info = metadata.parse_session_start_info_plugin_data(
                value.metadata.plugin_data.content)
            return {name: getattr(held, held.WhichOneof("kind"))
                    for name, held in info.hparams.items()}
    except tf.errors.DataLossError:
      continue
  return {}


def train_summary(model_dir: str) -> dict | None:
  """The ProgressHook's summary of the last training run, or None."""
  path = os.path.join(model_dir, SUMMARY_FILE)
  if not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)

"""Reading what training and perplexity evaluation left in a model_dir."""
import glob
import json
import os

import tensorflow.compat.v1 as tf

from mtf_mods import training


def held_out_losses(model_dir):
  """{checkpoint step: held-out loss} from perplexity-eval event files.

  The loss is -neg_log_perplexity: the mean cross-entropy in nats per
  target token on the validation split (the paper's "loss").
  """
  losses = {}
  pattern = os.path.join(model_dir, "eval_*", "events.out.tfevents.*")
  for path in sorted(glob.glob(pattern)):
    for event in tf.train.summary_iterator(path):
      for value in event.summary.value:
        if value.tag == "neg_log_perplexity":
          losses[int(event.step)] = -float(value.simple_value)
  return losses


def train_summary(model_dir):
  """The ProgressHook's summary of the last training run, or None."""
  path = os.path.join(model_dir, training.SUMMARY_FILE)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)

"""Reference statistics of a task's data, to judge a model's loss against.

`target_unigram_entropy` is the loss (nats per target token) of the best model
that ignores context entirely: it predicts every target token from the
unigram distribution of target ids. A held-out loss well below it shows the
model learned something beyond token frequencies.
"""
from typing import Mapping

import numpy as np
import seqio
import tensorflow_datasets as tfds


def entropy_of_counts(counts: np.ndarray) -> float:
  """Entropy in nats of the distribution proportional to `counts`."""
  counts = np.asarray(counts, dtype=np.float64)
  counts = counts[counts > 0]
  p = counts / counts.sum()
  return float(-(p * np.log(p)).sum())


def target_unigram_entropy(task_name: str, split: str,
                           sequence_length: Mapping[str, int],
                           num_examples: int) -> float:
  """Entropy (nats) of the unigram distribution of target ids (no padding).

  Args:
    task_name: a registered seqio task or mixture.
    split: the split to read.
    sequence_length: as passed to get_dataset, e.g. {"inputs": 128,
      "targets": span_corruption_targets_length(128)}.
    num_examples: how many preprocessed examples to count over (fewer if the
      split is smaller). Examples are read unshuffled with a fixed seed, so
      the value is reproducible. Works in eager and in TF1 graph mode.
  """
  dataset = seqio.get_mixture_or_task(task_name).get_dataset(
      sequence_length, split=split, shuffle=False, seed=0, use_cached=False,
      num_epochs=1)
  counts = np.zeros(0, dtype=np.int64)
  for example in tfds.as_numpy(dataset.take(num_examples)):
    ids = example["targets"]
    ids = ids[ids != 0]
    counts = np.pad(counts, (0, max(0, ids.max(initial=0) + 1 - len(counts))))
    counts += np.bincount(ids, minlength=len(counts))
  if not counts.any():
    raise ValueError(f"no target tokens in {task_name!r} split {split!r}")
  return entropy_of_counts(counts)

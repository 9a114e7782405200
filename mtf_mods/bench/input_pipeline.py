"""Throughput of the input pipeline training reads from.

The dataset is made as `mtf-mods train` makes it: t5's
`mesh_train_dataset_fn` on the seqio task (for the embedded default:
SentencePiece tokenization and span corruption of `mini_span_corruption`),
packed to the scale's sequence lengths, then repeated, batched and
prefetched as mesh_tensorflow's `train_model` does. Batches are pulled one
after another from a TensorFlow session on the bench's threads, and the rate
is batches over total time (`mean_steps_per_second`: a pull from a full
prefetch buffer takes no time, so a median would overstate it); tokens
count batch x (inputs + targets) length, the same capacity a training
step's tokens/s counts. In training the pipeline shares the CPU with the
model, so the ratio of the two rates is the share of the CPU the pipeline
needs.
"""
import contextlib
import dataclasses
import time

import numpy as np
from t5.models import mesh_transformer
import tensorflow.compat.v1 as tf

from mtf_mods.bench import timing


@dataclasses.dataclass
class PipelineStep:
  """A stepper: pulls one training batch per `step()`."""
  step: callable
  first_step_seconds: float
  batch: int
  lengths: dict
  fill: list  # share of non-padding tokens of each batch pulled

  @property
  def tokens_per_step(self):
    return self.batch * sum(self.lengths.values())


@contextlib.contextmanager
def open_pipeline(task_name, batch, lengths, session_config, seed=0):
  """The task's packed training batches, one per step.

  Args:
    task_name: a registered seqio task or mixture.
    batch, lengths: sequences per batch and {"inputs", "targets"} lengths.
    session_config: the tf.ConfigProto of the session.
    seed: the shuffle seed.

  Yields:
    a PipelineStep.
  """
  started = time.perf_counter()
  with tf.Graph().as_default():
    dataset = mesh_transformer.mesh_train_dataset_fn(
        task_name, dict(lengths), seed=seed, pack=True)
    dataset = dataset.repeat().batch(batch, drop_remainder=True)
    dataset = dataset.prefetch(tf.data.experimental.AUTOTUNE)
    features = tf.data.make_one_shot_iterator(dataset).get_next()
    tokens = [features[key] for key in ("inputs", "targets")]
    with tf.Session(config=session_config) as session:
      fill = []

      def step():
        values = session.run(tokens)
        fill.append(sum(np.count_nonzero(v) for v in values)
                    / sum(v.size for v in values))

      yield PipelineStep(step, timing.first_step(step, started), batch,
                         dict(lengths), fill)

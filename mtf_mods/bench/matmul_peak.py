"""This machine's limit: the speed of a dense fp32 matmul in TensorFlow.

Model FLOPs utilisation compares a training step's arithmetic rate with what
the same framework reaches on the same threads for the operation it does
best: C = A B with square float32 matrices (2 n^3 FLOPs). `fastest_size`
picks the fastest of a few sizes; the bench then times that matmul in the
same rounds as each variant's training step (timing.time_together), so both
see the same machine load.
"""
import contextlib
import dataclasses
import time

import tensorflow.compat.v1 as tf

from mtf_mods.bench import cpu_threads
from mtf_mods.bench import timing

SIZES = (512, 1024, 2048)


@dataclasses.dataclass
class Matmul:
  """A stepper running one n x n by n x n float32 matmul per step."""
  size: int
  step: callable
  first_step_seconds: float

  @property
  def flops_per_step(self):
    return 2.0 * self.size ** 3


@contextlib.contextmanager
def open_matmul(size, threads):
  """A Matmul stepper on its own TensorFlow session."""
  started = time.perf_counter()
  with tf.Graph().as_default():
    shape = [size, size]
    a = tf.Variable(tf.random.normal(shape, seed=1), name="a")
    b = tf.Variable(tf.random.normal(shape, seed=2), name="b")
    product = tf.matmul(a, b).op  # run, not fetched: no copy to Python
    with tf.Session(config=cpu_threads.session_config(threads)) as session:
      session.run(tf.global_variables_initializer())
      step = lambda: session.run(product)
      yield Matmul(size, step, timing.first_step(step, started))


def fastest_size(threads, steps, warmup, sizes=SIZES):
  """(size, FLOP/s) of the fastest matmul among `sizes`."""
  rates = {}
  for size in sizes:
    with open_matmul(size, threads) as matmul:
      result, = timing.time_together([matmul], steps, warmup)
      rates[size] = matmul.flops_per_step * result.steps_per_second
  best = max(rates, key=rates.get)
  return best, rates[best]

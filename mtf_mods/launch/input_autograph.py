"""Input pipelines traced as written, without AutoGraph.

tf.data converts every function it maps with AutoGraph (Python control
flow on tensors into graph ops) when it traces it. The seqio and t5
preprocessors of the kit's tasks are graph code already, and converting
them is most of the time it takes to build a pipeline: the cpu scale's
pre-training pipeline is ready in 2.1 s without AutoGraph against 7.5 s
with it (2026-12-04, 2-core AMD EPYC, matmul peak 99 GFLOP/s), and a study
builds one pipeline per launch. The batches are the same (tests/
test_input_autograph.py). A preprocessor that does need AutoGraph fails
while the graph is built, before anything is trained or written, with
NEEDS_AUTOGRAPH; `mtf-mods train --autograph` converts again.
"""
import contextlib

import tensorflow as tf
from tensorflow.python.autograph.core import ag_ctx  # pylint: disable=g-direct-tensorflow-import

NEEDS_AUTOGRAPH = tf.errors.OperatorNotAllowedInGraphError


@contextlib.contextmanager
def converting(autograph):
  """Functions traced in this block (tf.data's map, filter, ...) are
  converted by AutoGraph only if `autograph`."""
  status = ag_ctx.Status.UNSPECIFIED if autograph else ag_ctx.Status.DISABLED
  with ag_ctx.ControlStatusCtx(status=status):
    yield

"""Test helpers: running mtf layers on small inputs, writing event files,
running the CLI (in a subprocess, or in this process for the paths that stop
before anything trains).

`run_layer` builds `build(context, inputs)` and runs it on a one-device mesh
(`mtf_mods.model.lowering`) with each variable's value chosen by the caller (for
example the weights another implementation was run with) or left to the
initializers (`random_weights` gives seeded random ones).
"""
import contextlib
import io
import os
import subprocess
import sys
import types
from unittest import mock

from absl import flags
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods import cli
from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods.layers import dimensions

tf.disable_v2_behavior()

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def random_weights(seed=0, scale=0.5):
  """A `weights` function: normal values times `scale`, seeded."""
  rng = np.random.default_rng(seed)
  return lambda name, shape: (rng.normal(size=shape) * scale).astype(
      np.float32)


def run_layer(build, inputs, model_dim, length_dim, batch_dims,
              weights=None, autoregressive=False, mode="eval",
              graph_seed=0):
  """Returns (output, {variable name: value}).

  Args:
    build: function (context, {name: mtf.Tensor}) -> mtf.Tensor.
    inputs: {name: (numpy array, [mtf.Dimension])}; "encoder_output" becomes
      the context's encoder output.
    model_dim, length_dim, batch_dims: the context's dimensions.
    weights: function (variable name, shape) -> value, or None to keep the
      initializers' values; a function may return None for the same.
    autoregressive: causal self-attention (decoder) context.
    mode: the context mode.
    graph_seed: the graph-level seed of the initializers.
  """
  with tf.Graph().as_default():
    tf.set_random_seed(graph_seed)
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    mtf_inputs = {
        name: mtf.import_fully_replicated(
            mesh, tf.constant(value), mtf.Shape(shape), name=name)
        for name, (value, shape) in inputs.items()}
    position = mtf.range(mesh, length_dim, tf.int32)
    priority = position if autoregressive else None
    model = types.SimpleNamespace(
        model_dim=model_dim, ensemble_dims=[], ensemble_dim=None,
        fully_autoregressive=autoregressive, mesh_shape=mtf.Shape([]),
        layout=mtf.LayoutRules([]))
    context = transformer.Context(
        model=model, mesh=mesh, batch_dims=batch_dims, length_dim=length_dim,
        variable_dtype=mtf.VariableDType(tf.float32, tf.float32, tf.float32),
        mode=mode, position=position, position_is_default=True,
        read_priority=priority, write_priority=priority,
        encoder_output=mtf_inputs.get("encoder_output"))
    output = build(context, mtf_inputs)
    with lowering.open_session(graph, mesh, [output],
                               initial_values=weights) as run:
      return run.session.run(run.outputs[0]), run.initial_values


def model_loss(features, vocab_size, weights=None):
  """(training loss, {variable: initial value}) of the model the parsed gin
  config makes, on `features` ({"inputs"|"targets": int array [batch,
  length]}) on one device, with `weights` as in run_layer."""
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    ids = {key: mtf.import_fully_replicated(
        mesh, tf.constant(value), mtf.Shape([
            mtf.Dimension(dimensions.BATCH, value.shape[0]),
            mtf.Dimension(dimensions.LENGTH, value.shape[1])]))
           for key, value in features.items()}
    _, loss = model_graph.make_model(vocab_size).call_simple(
        inputs=ids["inputs"], targets=ids["targets"], compute_loss=True,
        mode=model_graph.TRAIN, variable_dtype=mtf.VariableDType(
            tf.float32, tf.float32, tf.float32))
    with lowering.open_session(graph, mesh, [loss],
                               initial_values=weights) as run:
      [value] = run.session.run(run.outputs)
  return value, run.initial_values


def parameter_count(values):
  return sum(int(np.prod(v.shape)) for v in values.values())


def variable(values, suffix):
  """The one variable whose name ends with `suffix`."""
  matches = [v for name, v in values.items() if name.endswith(suffix)]
  assert len(matches) == 1, (suffix, sorted(values))
  return matches[0]


def write_scalar_events(directory, scalars):
  """Writes {step: {tag: value}} as TensorBoard scalars, as t5 does."""
  writer = tf.summary.FileWriter(directory)
  for step, values in scalars.items():
    summary = tf.Summary()
    for tag, value in values.items():
      summary.value.add(tag=tag, simple_value=value)
    writer.add_summary(summary, step)
  writer.close()


def run_cli(*args, env=None, timeout=600):
  """Runs `python -m mtf_mods.cli ARGS`; returns the CompletedProcess."""
  full_env = dict(os.environ)
  full_env.update(env or {})
  return subprocess.run([sys.executable, "-m", "mtf_mods.cli"] + list(args),
                        capture_output=True, text=True, env=full_env,
                        timeout=timeout, cwd=REPO)




def call_cli(*args, env=None):
  """Runs `mtf-mods ARGS` in this process; returns a CompletedProcess.

  For the paths that end before anything trains (unknown names, refused
  model_dirs, bad gin): they need no new TensorFlow process. The process's
  state the command sets is put back: the environment, absl's flags, gin's
  config and TensorFlow's resource-variable default.
  """
  stdout, stderr = io.StringIO(), io.StringIO()
  resource_variables = tf.resource_variables_enabled()
  code = 0
  with mock.patch.dict(os.environ, env or {}), \
      contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
    try:
      cli.main(list(args))
    except SystemExit as e:
      code = e.code if isinstance(e.code, int) else int(e.code is not None)
    finally:
      flags.FLAGS.unparse_flags()
      gin.clear_config(clear_constants=True)
      if not resource_variables:
        tf.disable_resource_variables()
  return subprocess.CompletedProcess(["mtf-mods"] + list(args), code,
                                     stdout.getvalue(), stderr.getvalue())

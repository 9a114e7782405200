"""The model_dir guard compares model variables, not optimizer slots."""
import mesh_tensorflow as mtf
from mesh_tensorflow import optimize
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.launch import model_dir_guard
from mtf_mods.files import model_dir_reader

MODEL = {"decoder/block_000/layer_000/SelfAttention/k/kernel": [8, 4],
         "shared/embedding": [16, 8]}

OPTIMIZERS = {
    "adafactor": optimize.AdafactorOptimizer,
    "adam": optimize.AdamWeightDecayOptimizer,
    "momentum": lambda learning_rate: optimize.MomentumOptimizer(
        learning_rate, momentum=0.9),
}


def slot_shapes(optimizer):
  """{name: shape} of the slots an mtf 0.1.21 optimizer gives MODEL's
  variables, as mtf names them (mtf makes each variable's TensorFlow master
  in the default graph, hence a graph of its own)."""
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    variables = []
    for name, shape in MODEL.items():
      dims = [mtf.Dimension("d%d" % i, size) for i, size in enumerate(shape)]
      variables.append(
          mtf.get_variable(mesh, name, mtf.Shape(dims)).operation)
    optimizer(learning_rate=0.0).apply_grads(
        [mtf.zeros_like(v.outputs[0]) for v in variables], variables)
  return {v.name: v.shape.to_integer_list for v in graph.all_variables
          if v.name not in MODEL}


def write_checkpoint(model_dir, shapes, step=4):
  """A checkpoint at `step` holding a zero variable per {name: shape}."""
  with tf.Graph().as_default():
    variables = [tf.get_variable(name, shape, initializer=tf.zeros_initializer())
                 for name, shape in shapes.items()]
    variables.append(tf.train.get_or_create_global_step())
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      tf.train.Saver(variables).save(
          session, model_dir_reader.checkpoint_path(str(model_dir), step))


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_checkpoint_with_any_optimizers_slots_passes_the_guard(
    optimizer, tmp_path):
  """The held-out loss builds no optimizer: a checkpoint that Adam (the
  Rezero and Fixup rows) or Adafactor trained is the same model."""
  slots = slot_shapes(OPTIMIZERS[optimizer])
  assert slots, "the optimizer made no slot"
  write_checkpoint(tmp_path, dict(MODEL, **slots))
  assert model_dir_guard.checkpoint_signature(str(tmp_path)) == MODEL
  model_dir_guard.check(str(tmp_path), MODEL, "the test's model")


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
  write_checkpoint(tmp_path, dict(MODEL, **slot_shapes(
      optimize.AdamWeightDecayOptimizer)))
  other = dict(MODEL, **{"shared/embedding": [32, 8]})
  with pytest.raises(model_dir_guard.ModelDirMismatch,
                     match=r"shared/embedding is \[32, 8\] in the configured"):
    model_dir_guard.check(str(tmp_path), other, "the test's model")


def test_a_model_variable_named_like_a_slot_still_counts(tmp_path):
  """Only mtf's slot suffixes are skipped: a checkpoint variable that ends
  in another word is the model's."""
  write_checkpoint(tmp_path, dict(MODEL, **{"encoder/adam_mixer": [4]}))
  with pytest.raises(model_dir_guard.ModelDirMismatch,
                     match="the checkpoint has encoder/adam_mixer"):
    model_dir_guard.check(str(tmp_path), MODEL, "the test's model")

"""Trainable scalars: one number per ensemble member.

Rezero's alpha and Fixup's biases and multipliers are single learned
numbers (per ensemble member, when the model is an ensemble), so they have
no named model dimension and are replicated on every device of a mesh.
"""
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf


def scalar_variable(context, name, initial_value):
  """One trainable scalar (per ensemble member), starting at initial_value."""
  return mtf.get_variable(
      context.mesh, name, mtf.Shape(context.model.ensemble_dims),
      initializer=tf.constant_initializer(initial_value),
      dtype=context.variable_dtype)

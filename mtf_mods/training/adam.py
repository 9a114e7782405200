"""Adam with its bias correction, the optimizer of the Rezero and Fixup rows.

Kingma & Ba 2015 (Algorithm 1) divide the moment estimates by (1 - beta^t):

  m_t = beta1 m_{t-1} + (1 - beta1) g_t
  v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
  theta_t = theta_{t-1}
            - lr_t sqrt(1 - beta2^t) / (1 - beta1^t) * m_t / (sqrt(v_t) + eps)

(the end of their Sec. 2: the correction folded into the step size). Narang
et al. 2021 (Sec. 3) train these rows with "the Adam optimizer"; the
authors' release used mtf 0.1.21's AdamWeightDecayOptimizer, which leaves
the correction out. Without it, a run's first steps move each weight by up to
(1 - beta1^t) / sqrt(1 - beta2^t) times the learning rate: 6.5 times at step
10, 3.2 at step 100, 1.26 at step 1,000. The paper's 4,000-step warm-up hides
that (its largest step is 1.01 times the peak rate, at step 4,000); a warm-up
scaled down to a smaller budget does not (9 steps at the cpu scale, where the
uncorrected steps reach 6.5 times the peak rate and Fixup diverges). With
the correction, every scale takes the schedule's rate as its step size.
`bias_correction = False` is the release's optimizer.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow import optimize
import tensorflow.compat.v1 as tf


def bias_correction_factor(step, beta_1, beta_2):
  """sqrt(1 - beta2^t) / (1 - beta1^t) for the t-th update, t = step + 1
  (`step` updates came before it)."""
  t = tf.cast(step, tf.float32) + 1.0
  return tf.sqrt(1.0 - tf.pow(beta_2, t)) / (1.0 - tf.pow(beta_1, t))


@gin.configurable(module="mtf_mods")
class Adam(optimize.AdamWeightDecayOptimizer):
  """mtf's AdamWeightDecayOptimizer (beta1 0.9, beta2 0.999, epsilon 1e-6,
  no weight decay by default; the same slots, adam_m and adam_v), with Kingma
  & Ba's bias correction unless `bias_correction` is False."""

  def __init__(self, learning_rate, bias_correction=True, **kwargs):
    super().__init__(learning_rate, **kwargs)
    if bias_correction:
      with mtf.utils.outside_all_rewrites():
        self.learning_rate = learning_rate * bias_correction_factor(
            tf.train.get_or_create_global_step(), self.beta_1, self.beta_2)

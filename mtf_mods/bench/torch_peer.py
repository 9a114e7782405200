"""The peer: HuggingFace's PyTorch T5 of the same configuration, timed.

`T5ForConditionalGeneration` is built from a `T5Config` with the kit model's
sizes (peer_config.PeerConfig), randomly initialised (no weights are
downloaded), and then given what the kit's model has and HuggingFace's T5
lacks: biases on the FFN projections, layer norm with gain and bias in place
of its RMS norm (T5LayerNorm) when the kit uses layer norm, and the kit's
FFN activation. Both sides then train the same parameters on the same batch
shape with dropout off, the peer with PyTorch's own Adafactor (HuggingFace's
when PyTorch has none) and HuggingFace's default attention (SDPA), on the
same threads as TensorFlow. Denormal numbers are flushed to zero, as
TensorFlow does on its CPU threads.
"""
import contextlib
import dataclasses
import time

import numpy as np
import torch
import transformers

from mtf_mods.bench import peer_config as peer_config_lib
from mtf_mods.bench import timing


# The profiler range of the optimizer's update (step_profile reads it).
OPTIMIZER_SCOPE = "mtf-mods:optimizer"


@dataclasses.dataclass
class PeerStep:
  """A stepper: one training step of the HuggingFace model per `step()`."""
  step: callable
  first_step_seconds: float
  parameters: int
  optimizer: str


def set_threads(threads):
  """Gives PyTorch the same threads as TensorFlow (inter-op: once only)."""
  torch.set_num_threads(threads.intra_op)
  if torch.get_num_interop_threads() != threads.inter_op:
    try:
      torch.set_num_interop_threads(threads.inter_op)
    except RuntimeError:  # PyTorch allows it once, before parallel work
      pass
  torch.set_flush_denormal(True)


def t5_config(config):
  """The transformers.T5Config of a PeerConfig."""
  ffn = "gated-relu" if config.gated else "relu"  # match_kit sets the act
  return transformers.T5Config(
      vocab_size=config.vocab_size, d_model=config.d_model, d_ff=config.d_ff,
      d_kv=config.d_kv, num_heads=config.num_heads,
      num_layers=config.encoder_layers,
      num_decoder_layers=config.decoder_layers,
      relative_attention_num_buckets=config.num_buckets,
      relative_attention_max_distance=config.max_distance,
      dropout_rate=0.0, layer_norm_epsilon=config.norm_epsilon,
      feed_forward_proj=ffn, tie_word_embeddings=True,
      decoder_start_token_id=0, pad_token_id=0)


def _with_bias(linear):
  """A copy of a bias-free nn.Linear with a zero-initialised bias."""
  replacement = torch.nn.Linear(linear.in_features, linear.out_features,
                                bias=True)
  with torch.no_grad():
    replacement.weight.copy_(linear.weight)
    replacement.bias.zero_()
  return replacement


def match_kit(model, config):
  """Gives the HF model the kit's FFN biases, activation and norm."""
  name, kwargs = peer_config_lib.TORCH_ACTIVATIONS[config.activation]
  for module in list(model.modules()):
    ffn = getattr(module, "DenseReluDense", None)
    if ffn is not None:
      ffn.act = getattr(torch.nn, name)(**kwargs)
      if config.ffn_bias:
        for projection in ("wi", "wi_0", "wi_1", "wo"):
          if hasattr(ffn, projection):
            setattr(ffn, projection, _with_bias(getattr(ffn, projection)))
    if config.norm == "layer_norm":
      for child_name, child in list(module.named_children()):
        if type(child).__name__ == "T5LayerNorm":
          setattr(module, child_name, torch.nn.LayerNorm(
              config.d_model, eps=config.norm_epsilon))
  return model


def make_optimizer(parameters, learning_rate):
  if hasattr(torch.optim, "Adafactor"):
    return torch.optim.Adafactor(parameters, lr=learning_rate)
  return transformers.optimization.Adafactor(
      parameters, lr=learning_rate, relative_step=False)


@contextlib.contextmanager
def open_step(config, batch, lengths, threads, learning_rate=0.01, seed=0):
  """Builds the peer's training step and runs it once.

  Args:
    config: a peer_config.PeerConfig.
    batch, lengths: sequences per batch and {"inputs", "targets"} lengths.
    threads: a cpu_threads.Threads.
    learning_rate: the optimizer's constant learning rate.
    seed: seed of the initialisation and of the batch.

  Yields:
    a PeerStep.
  """
  started = time.perf_counter()
  set_threads(threads)
  torch.manual_seed(seed)
  model = match_kit(transformers.T5ForConditionalGeneration(
      t5_config(config)), config)
  model.train()
  optimizer = make_optimizer(model.parameters(), learning_rate)
  rng = np.random.default_rng(seed)
  inputs = torch.from_numpy(rng.integers(
      2, config.vocab_size, size=(batch, lengths["inputs"])))
  targets = torch.from_numpy(rng.integers(
      2, config.vocab_size, size=(batch, lengths["targets"])))

  def step():
    loss = model(input_ids=inputs, labels=targets).loss
    loss.backward()
    with torch.autograd.profiler.record_function(OPTIMIZER_SCOPE):
      optimizer.step()
      optimizer.zero_grad(set_to_none=True)

  yield PeerStep(step, timing.first_step(step, started),
                 sum(p.numel() for p in model.parameters()),
                 "%s.%s" % (type(optimizer).__module__,
                            type(optimizer).__name__))

"""Named model scales: the same architecture at paper, CPU and test sizes.

A scale is a gin file (`gin/scales/<name>.gin`) binding the model sizes
(num_layers, d_model, d_ff, num_heads, d_kv) and the pre-training budget
(sequence lengths, batch, steps, checkpoint interval), plus the task and
vocabulary size it is meant for.
"""
import dataclasses

T5_VOCAB_SIZE = 32000 + 100   # SentencePiece cc_en.32000 plus 100 sentinels
MINI_VOCAB_SIZE = 2000 + 100  # the embedded corpus vocabulary plus sentinels


@dataclasses.dataclass(frozen=True)
class Scale:
  name: str
  gin_file: str
  default_task: str
  vocab_size: int    # used to size the model when no task is given
  description: str


SCALES = (
    Scale("tiny", "scales/tiny.gin", "mini_span_corruption", MINI_VOCAB_SIZE,
          "tests: 2+2 layers, d_model 32"),
    Scale("cpu", "scales/cpu.gin", "mini_span_corruption", MINI_VOCAB_SIZE,
          "CPU study: 6+6 layers, d_model 192, minutes on a laptop"),
    Scale("paper", "scales/paper.gin", "c4_v231_span_corruption",
          T5_VOCAB_SIZE, "the paper: 12+12 layers, d_model 768, TPU pods"),
)


def names():
  return [s.name for s in SCALES]


def get(name):
  """The scale registered as `name`; ValueError listing valid names."""
  for scale in SCALES:
    if scale.name == name:
      return scale
  raise ValueError("unknown scale %r; valid: %s" % (name, ", ".join(names())))

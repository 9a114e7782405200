"""The seqio task shapes the kit's tasks share.

Pre-training corpora: plain-text files (one document per line) -> `TextLineFiles` source yielding
{"text": line} -> SentencePiece tokenization -> span corruption
(`span_corruption.py`) -> "inputs"/"targets" with EOS, as t5's C4 span
corruption task. The source lists its files only when a dataset is requested,
so files that are generated on first use need not exist at registration.

Downstream text-to-text tasks (`register_text_to_text_task`): a task's own
text preprocessors -> tokenization -> "inputs"/"targets" with EOS, one
vocabulary for both, as t5's fine-tuning tasks.
"""
import functools
from typing import Callable, Optional, Sequence

import seqio
import tensorflow as tf

from mtf_mods.tasks import span_corruption

# (split, line) -> bool tensor: whether the line belongs to the split.
LineFilter = Callable[[str, tf.Tensor], tf.Tensor]


class TextLineFiles(seqio.FileDataSource):
  """Non-blank lines of text files as {"text": line}, files listed on use."""

  def __init__(self, list_files: Callable[[str], Sequence[str]],
               splits: Sequence[str], description: str,
               keep_line: Optional[LineFilter] = None):
    """Args:
      list_files: split -> the files of that split (called at dataset time).
      splits: the split names.
      description: names the files in messages, e.g. a glob pattern.
      keep_line: optional filter deciding which lines a split keeps, for
        splits that share files.
    """
    self._list_files = list_files
    self._keep_line = keep_line
    super().__init__(read_file_fn=tf.data.TextLineDataset,
                     split_to_filepattern={s: description for s in splits})

  def list_shards(self, split: str) -> Sequence[str]:
    return list(self._list_files(split))

  def get_dataset(self, split: str = "train", shuffle: bool = True,
                  seed: Optional[int] = None, shard_info=None, *,
                  sequence_length=None, use_cached=False, num_epochs=1):
    lines = super().get_dataset(split, shuffle, seed, shard_info,
                                sequence_length=sequence_length,
                                use_cached=use_cached, num_epochs=num_epochs)
    lines = lines.filter(
        lambda line: tf.strings.length(tf.strings.strip(line)) > 0)
    if self._keep_line is not None:
      lines = lines.filter(functools.partial(self._keep_line, split))
    return lines.map(lambda line: {"text": line},
                     num_parallel_calls=tf.data.AUTOTUNE)


def register_span_corruption_task(
    name: str, source: seqio.DataSource,
    vocabulary: seqio.Vocabulary) -> seqio.Task:
  """Registers (or re-registers, replacing) a span-corruption task.

  Args:
    name: the task name.
    source: yields {"text": document} examples.
    vocabulary: used for both "inputs" and "targets", each ending with EOS.
  """
  if name in seqio.TaskRegistry.names():
    seqio.TaskRegistry.remove(name)
  return seqio.TaskRegistry.add(
      name,
      source=source,
      preprocessors=span_corruption.span_corruption_preprocessors(),
      output_features={
          "inputs": seqio.Feature(vocabulary=vocabulary, add_eos=True,
                                  required=False),
          "targets": seqio.Feature(vocabulary=vocabulary, add_eos=True),
      },
      metric_fns=[])


def register_text_to_text_task(
    name: str, source: seqio.DataSource, text_preprocessors: Sequence[Callable],
    vocabulary: seqio.Vocabulary, metric_fns: Sequence[Callable],
    postprocess_fn: Optional[Callable] = None) -> seqio.Task:
  """Registers (or re-registers, replacing) a text-to-text task.

  Args:
    name: the task name.
    source: the task's examples.
    text_preprocessors: applied in order, they map an example to
      {"inputs": text, "targets": text}.
    vocabulary: used for both "inputs" and "targets", each ending with EOS.
    metric_fns: seqio metric functions.
    postprocess_fn: optional seqio postprocessor of the decoded text.
  """
  if name in seqio.TaskRegistry.names():
    seqio.TaskRegistry.remove(name)
  return seqio.TaskRegistry.add(
      name,
      source=source,
      preprocessors=list(text_preprocessors) + [
          seqio.preprocessors.tokenize,
          seqio.CacheDatasetPlaceholder(),
          seqio.preprocessors.append_eos_after_trim,
      ],
      output_features={
          "inputs": seqio.Feature(vocabulary=vocabulary, add_eos=True),
          "targets": seqio.Feature(vocabulary=vocabulary, add_eos=True)},
      postprocess_fn=postprocess_fn,
      metric_fns=list(metric_fns))

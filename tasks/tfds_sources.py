"""TFDS data sources that never download: datasets must be prepared first.

seqio's `TfdsDataSource` reads through `tfds.load(download=True)`, which
would start downloading (for C4, terabytes) when the data is missing.
`PreparedTfdsSource` reads through the dataset builder only (seqio's
read-only mode) and, when the data is not there, raises `DatasetNotPrepared`
with one line naming the dataset, where TFDS looked, and how to prepare it.

Where TFDS looks: t5's --t5_tfds_data_dir flag (`mtf-mods train` has it), or
`seqio.set_tfds_data_dir_override`, else TFDS's default data directory
($TFDS_DATA_DIR or ~/tensorflow_datasets).
"""
from typing import Mapping, Optional, Sequence, Union

import seqio
import tensorflow as tf


class DatasetNotPrepared(ValueError):
  """A TFDS dataset a task needs is not prepared in the TFDS data directory."""


def _build_command(tfds_name: str) -> str:
  return f"tfds build {tfds_name} --data_dir=DIR"


class PreparedTfdsSource(seqio.TfdsDataSource):
  """A TFDS source that reads prepared data only.

  Args:
    tfds_name: "name/config:version", e.g. "super_glue/boolq:1.0.2".
    splits: canonical split names, or {canonical split: TFDS split or slice};
      given explicitly, since TFDS only knows them once the data is there.
    preparation: how to prepare the dataset, shown in the error; default
      `tfds build <tfds_name> --data_dir=DIR`.
  """

  def __init__(self, tfds_name: str,
               splits: Optional[Union[Sequence[str], Mapping[str, str]]] = None,
               preparation: Optional[str] = None):
    super().__init__(tfds_name=tfds_name, splits=splits, read_only=True)
    self._preparation = preparation or _build_command(tfds_name)

  @property
  def preparation(self) -> str:
    return self._preparation

  def _not_prepared(self, where: str) -> DatasetNotPrepared:
    return DatasetNotPrepared(
        f"TFDS dataset {self.tfds_dataset.name} is not prepared ({where}); "
        f"prepare it with: {self._preparation}; then pass "
        "--t5_tfds_data_dir=DIR")

  def check_prepared(self) -> None:
    """Raises DatasetNotPrepared unless the data can be read."""
    try:
      builder = self.tfds_dataset.builder
    except AssertionError as e:  # e.g. a version the code cannot generate
      data_dir = self.tfds_dataset.data_dir or "the default TFDS data dir"
      raise self._not_prepared(f"not found in {data_dir}") from e
    except FileNotFoundError as e:  # a directory without dataset_info.json
      raise self._not_prepared(" ".join(str(e).split())) from e
    if not tf.io.gfile.exists(builder.data_dir):
      raise self._not_prepared(f"no data at {builder.data_dir}")

  def get_dataset(self, split=None, shuffle=True, seed=None, shard_info=None,
                  *, sequence_length=None, use_cached=False, num_epochs=1):
    self.check_prepared()
    return super().get_dataset(split, shuffle, seed, shard_info,
                               sequence_length=sequence_length,
                               use_cached=use_cached, num_epochs=num_epochs)


def check_prepared(mixture_or_task_name: str) -> None:
  """Raises DatasetNotPrepared if any TFDS data of the task or mixture is
  missing; tasks with other sources pass."""
  task_or_mixture = seqio.get_mixture_or_task(mixture_or_task_name)
  for task in seqio.get_subtasks(task_or_mixture):
    if isinstance(task.source, PreparedTfdsSource):
      task.source.check_prepared()

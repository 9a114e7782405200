"""Bad input: one line, exit 2, nothing lost (issue 16, point 3).

One table, one row per kind of bad input to `mtf-mods train`, `study` and
`report`. Each row runs the command on a copy of a working directory that
holds a trained checkpoint (a tiny model_dir), study records and a report,
and checks that the command exits with code 2, prints exactly one line on
stderr saying what is wrong and what is valid or what to do, and leaves every
file of the working directory byte-identical.

The commands run in this process (`call_cli`): each error is raised before
anything trains. The table of bad input in docs/reliability.md lists these
rows.
"""
import json
import os
import shutil

import pytest
import seqio
import tensorflow_datasets as tfds

from mtf_mods.config import gin_files
from mtf_mods.launch import input_checks
from mtf_mods.study import records
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.tasks import tfds_sources
from mtf_test_utils import call_cli, run_cli

TINY = ["--scale=tiny", "--task=mini_span_corruption"]
MODEL = "--model_dir={work}/model"
C4 = "c4/en:2.3.1"
C4_TASK = "c4_v231_span_corruption"
C4_EXAMPLE = {"text": "The quick brown fox jumps over the lazy dog. " * 8,
              "url": "u", "content-type": "text/plain",
              "content-length": "9", "timestamp": "t"}
NEWER_FORMAT = records.RESULTS_FORMAT + 1
VOCAB_SIZE = 2100  # padded to 2176 (17 x 128), as the mini task's

# Inputs the rows read ({inputs}/<name>), as bytes.
FILES = {
    "syntax.gin": b"d_ff = 64\nthis is = = broken\n",
    "unclosed.gin": b"d_ff = 64\nd_model = (32,\n",
    "configurable.gin": b"d_ff = 64\nmtf_mods.FeedForwrd.hidden_size = 3\n",
    "parameter.gin": b"mtf_mods.FeedForward.hiden_size = 3\n",
    "empty.txt": b"",
    "latin1.txt": "first line\nsecond line, caf\u00e9\n".encode("latin-1"),
    "blank.txt": b"\n   \n\t\n",
}


def row(row_id, args, expected, env=None, setup=None):
  return pytest.param(args, expected, env or {}, setup, id=row_id)


def newer_results_format(work):
  with open(os.path.join(work, "results", records.FORMAT_FILE),
            "w") as f:
    json.dump({"format": NEWER_FORMAT}, f)


STUDY = ["study", "--workdir={work}", "--scale=tiny", "--seeds=1",
         "--pretrain_until=early", "--pretrain_steps=8"]
ROWS = [
    # Unknown names: `mtf-mods train`.
    row("train-unknown-variant", ["train", *TINY, "--variant=no_such", MODEL],
        ["unknown variant 'no_such'; valid: baseline, gelu"]),
    row("train-unknown-scale", ["train", "--scale=huge", MODEL],
        ["unknown scale 'huge'; valid: tiny, cpu, paper"]),
    row("train-unknown-task", ["train", "--scale=tiny", "--task=no_such",
                               MODEL],
        ["unknown task 'no_such'; valid: ", "mini_span_corruption"]),
    row("train-unknown-stage", ["train", *TINY, "--stage=no_such", MODEL],
        ["unknown stage 'no_such'; valid: decode_eval, finetune, "
         "perplexity_eval, pretrain, train_from_scratch"]),
    row("train-unknown-implementation",
        ["train", *TINY, "--implementation=mtf", MODEL],
        ["unknown implementation 'mtf'; valid: kit, release"]),
    # Unknown names: `mtf-mods study`.
    row("study-unknown-variant", [*STUDY, "--variants=baseline,no_such"],
        ["unknown variant 'no_such'; valid: baseline, gelu"]),
    row("study-unknown-scale", ["study", "--workdir={work}", "--scale=huge"],
        ["unknown scale 'huge'; valid: tiny, cpu, paper"]),
    row("study-unknown-application",
        [*STUDY, "--applications=pretrain,no_such"],
        ["unknown application 'no_such'; valid: pretrain, superglue, xsum, "
         "webq, wmt"]),
    row("study-unknown-implementation",
        [*STUDY, "--implementations=kit,mtf"],
        ["unknown implementation 'mtf'; valid: kit, release"]),
    row("study-unknown-data", [*STUDY, "--data=web"],
        ["unknown data 'web'; valid: mini, real"]),
    row("study-unknown-pretrain_until", [*STUDY, "--pretrain_until=middle"],
        ["unknown --pretrain_until 'middle'; valid: final, early"]),
    # Malformed gin: the file and the line, or the binding.
    row("gin-syntax-error-in-file",
        ["train", *TINY, "--gin_file={inputs}/syntax.gin", MODEL],
        ["Couldn't parse statement",
         'In file "{inputs}/syntax.gin", line 2: this is = = broken']),
    row("gin-bracket-not-closed-in-file",
        ["train", *TINY, "--gin_file={inputs}/unclosed.gin", MODEL],
        ["EOF in multi-line statement", "not closed",
         'In file "{inputs}/unclosed.gin", line 3']),
    row("gin-syntax-error-in-binding",
        ["train", *TINY, "--gin_param=d_ff = = 3", MODEL],
        ["gin config error in the binding 'd_ff = = 3': Unable to parse "
         "value"]),
    row("gin-missing-file",
        ["train", *TINY, "--gin_file={inputs}/no_such.gin", MODEL],
        ["gin file '{inputs}/no_such.gin' not found"]),
    # A binding to a configurable or parameter gin does not know: the name
    # and its close matches.
    row("gin-unknown-configurable-in-file",
        ["train", *TINY, "--gin_file={inputs}/configurable.gin", MODEL],
        ["No configurable matching 'mtf_mods.FeedForwrd'",
         'In file "{inputs}/configurable.gin", line 2',
         "close matches for 'mtf_mods.FeedForwrd': mtf_mods.FeedForward"]),
    row("gin-unknown-configurable-in-binding",
        ["train", *TINY, "--gin_param=FeedForwrd.hidden_size = 3", MODEL],
        ["in the binding 'FeedForwrd.hidden_size = 3'",
         "close matches for 'FeedForwrd': FeedForward"]),
    row("gin-unknown-reference",
        ["train", *TINY, "--gin_param=utils.run.optimizer = "
         "@AdafactorOptimiser", MODEL],
        ["No configurable matching reference '@AdafactorOptimiser'",
         "close matches for 'AdafactorOptimiser': AdafactorOptimizer"]),
    row("gin-unknown-parameter-in-file",
        ["train", *TINY, "--gin_file={inputs}/parameter.gin", MODEL],
        ["doesn't have a parameter named 'hiden_size'",
         'In file "{inputs}/parameter.gin", line 1',
         "close matches for 'hiden_size': hidden_size"]),
    row("gin-unknown-parameter-in-binding",
        ["train", *TINY, "--gin_param=utils.run.train_stepz = 3", MODEL],
        ["in the binding 'utils.run.train_stepz = 3'",
         "close matches for 'train_stepz': train_steps"]),
    row("gin-unknown-parameter-no-close-match",
        ["train", *TINY, "--gin_param=mtf_mods.FeedForward.no_such = 3",
         MODEL],
        ["no close match for 'no_such'; the parameters of "
         "mtf_mods.FeedForward: activation, dropout_rate, gated, hidden_size, "
         "use_bias"]),
    # A model_dir that holds another model.
    row("model-dir-of-another-variant",
        ["train", *TINY, "--variant=swiglu", MODEL],
        ["--model_dir {work}/model holds a checkpoint of a different model "
         "than variant swiglu (kit) at scale tiny", "use a new --model_dir"]),
    row("model-dir-of-another-scale",
        ["train", "--scale=cpu", "--task=mini_span_corruption", MODEL],
        ["--model_dir {work}/model holds a checkpoint of a different model "
         "than variant baseline (kit) at scale cpu", "use a new --model_dir"]),
    # Study results written by a newer mtf-mods.
    row("results-of-a-newer-format-study", STUDY,
        ["{work}/results holds study results of format %d" % NEWER_FORMAT,
         "reads format %d" % records.RESULTS_FORMAT,
         "upgrade mtf-mods"], setup=newer_results_format),
    row("results-of-a-newer-format-report", ["report", "--workdir={work}"],
        ["{work}/results holds study results of format %d" % NEWER_FORMAT,
         "upgrade mtf-mods"], setup=newer_results_format),
    # TFDS data and vocabularies.
    row("tfds-dataset-not-prepared",
        ["train", "--scale=tiny", "--task=" + C4_TASK,
         "--t5_tfds_data_dir={inputs}/no_tfds", MODEL],
        ["TFDS dataset c4/en:2.3.1 is not prepared",
         "prepare it with: tfds build c4/en:2.3.1 --data_dir=DIR",
         "then pass --t5_tfds_data_dir=DIR"]),
    row("tfds-dataset-half-prepared",
        ["train", "--scale=tiny", "--task=" + C4_TASK,
         "--t5_tfds_data_dir={inputs}/half_tfds", MODEL],
        ["TFDS dataset c4/en:2.3.1 is not prepared", "dataset_info.json",
         "prepare it with: tfds build c4/en:2.3.1 --data_dir=DIR"]),
    row("vocabulary-path-does-not-exist",
        ["train", "--scale=tiny", "--task=" + C4_TASK,
         "--t5_tfds_data_dir={inputs}/tfds", MODEL],
        ["no english vocabulary model at {inputs}/no_such/spm.model",
         "set MTF_MODS_EN_VOCAB to a SentencePiece model file"],
        env={"MTF_MODS_EN_VOCAB": "{inputs}/no_such/spm.model"}),
    row("vocabulary-remote-path-cannot-be-read",
        ["train", "--scale=tiny", "--task=" + C4_TASK,
         "--t5_tfds_data_dir={inputs}/tfds", MODEL],
        ["cannot read the vocabulary model of task c4_v231_span_corruption",
         "nosuchfs://bucket/spm.model", "set MTF_MODS_EN_VOCAB"],
        env={"MTF_MODS_EN_VOCAB": "nosuchfs://bucket/spm.model"}),
    # Own text files.
    row("text-file-empty",
        ["train", "--scale=tiny", "--text_files={inputs}/empty.txt", MODEL],
        ["text file {inputs}/empty.txt is empty"]),
    row("text-file-not-utf8",
        ["train", "--scale=tiny", "--text_files={inputs}/latin1.txt", MODEL],
        ["text file {inputs}/latin1.txt is not UTF-8: byte 0xe9 at line 2 "
         "(byte offset 27)"]),
    row("text-file-with-no-line-to-train-on",
        ["train", "--scale=tiny", "--text_files={inputs}/blank.txt", MODEL],
        ["text file {inputs}/blank.txt has no line to train on",
         "at least one line with a non-blank character"]),
    row("text-files-pattern-matches-nothing",
        ["train", "--scale=tiny", "--text_files={inputs}/no_such*.txt",
         MODEL],
        ["no file matches the pattern '{inputs}/no_such*.txt'"]),
    # The model's shape against the input and the mesh.
    row("sequence-longer-than-a-layer-supports",
        ["train", *TINY, "--variant=synthesizer_random",
         "--gin_param=utils.run.sequence_length = "
         "{{'inputs': 256, 'targets': 8}}", MODEL],
        ["Synthesizer: sequence length 256 exceeds the 128 positions of its "
         "tables", "use sequences of at most 128 tokens"]),
    row("mesh-model-axis-does-not-divide",
        ["train", *TINY, "--mesh_shape=model:3,batch:1", MODEL],
        ["mesh model:3,batch:1 does not fit the model",
         "mesh axis model (3) does not divide vocab (2176), heads (4), "
         "d_ff (128)", "model sizes that divide every dimension it splits: "
         "1, 2, 4"]),
    row("mesh-batch-axis-does-not-divide",
        ["train", *TINY, "--mesh_shape=model:1,batch:3", MODEL],
        ["mesh axis batch (3) does not divide batch (8)",
         "batch sizes that divide every dimension it splits: 1, 2, 4, 8"]),
]


@pytest.fixture(scope="module")
def template(mini_env, tmp_path_factory):
  """A working directory: a tiny model_dir trained for 2 steps, a study's
  records and its report."""
  work = tmp_path_factory.mktemp("bad_input") / "work"
  result = run_cli("train", *TINY, "--train_steps=2",
                   "--model_dir=%s" % (work / "model"), env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  store = records.ResultStore(str(work))
  for seed, loss in enumerate((3.5, 3.6)):
    store.put(records.Record(
        "baseline", "pretrain", seed, records.OK, scale="tiny",
        data="mini", metrics={"early_loss": loss + 1, "final_loss": loss}))
  report = call_cli("report", "--workdir=%s" % work, env=mini_env)
  assert report.returncode == 0, report.stderr[-3000:]
  assert (work / "report.md").exists()
  return work


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
  """The rows' files; a TFDS data dir with C4 prepared (one example), one
  with a C4 directory but no data."""
  directory = tmp_path_factory.mktemp("inputs")
  for name, data in FILES.items():
    (directory / name).write_bytes(data)
  name, version = C4.split(":")
  tfds.dataset_builders.store_as_tfds_dataset(
      name="c4", version=version, config="en",
      features=tfds.builder(C4).info.features,
      data_dir=str(directory / "tfds"),
      split_datasets={s: [(0, C4_EXAMPLE)] for s in ("train", "validation")})
  (directory / "half_tfds" / name / version).mkdir(parents=True)
  return directory


def snapshot(directory):
  """{relative path: bytes (files) or None (directories)}."""
  found = {}
  for root, dirs, files in os.walk(directory):
    for name in dirs:
      found[os.path.relpath(os.path.join(root, name), directory)] = None
    for name in files:
      path = os.path.join(root, name)
      with open(path, "rb") as f:
        found[os.path.relpath(path, directory)] = f.read()
  return found


def forget_tfds_data_dirs():
  """seqio keeps the TFDS data dir of --t5_tfds_data_dir in the process and
  in each TFDS task once it is read: forgotten, for the next test."""
  seqio.set_tfds_data_dir_override(None)
  for name in seqio.TaskRegistry.names():
    source = seqio.get_mixture_or_task(name).source
    if isinstance(source, tfds_sources.PreparedTfdsSource):
      source.tfds_dataset._data_dir_override = None  # pylint: disable=protected-access


@pytest.mark.parametrize("args,expected,env,setup", ROWS)
def test_bad_input_exits_2_with_one_line_and_loses_nothing(
    args, expected, env, setup, template, inputs, mini_env, tmp_path):
  work = tmp_path / "work"
  shutil.copytree(template, work, copy_function=os.link)
  if setup:
    os.remove(work / "results" / records.FORMAT_FILE)  # a link
    setup(work)
  before = snapshot(work)
  names = {"work": work, "inputs": inputs}
  forget_tfds_data_dirs()
  try:
    result = call_cli(*[a.format(**names) for a in args], env=dict(
        mini_env, **{k: v.format(**names) for k, v in env.items()}))
  finally:
    forget_tfds_data_dirs()
  lines = result.stderr.strip().splitlines()
  assert result.returncode == 2, result.stderr[-3000:]
  assert len(lines) == 1, result.stderr[-3000:]
  assert lines[0].startswith("mtf-mods %s: " % args[0])
  assert "In call to configurable" not in lines[0]  # gin's trail, folded
  for part in expected:
    assert part.format(**names) in lines[0]
  assert snapshot(work) == before


def test_a_mesh_axis_that_divides_every_split_dimension_passes(mini_env):
  """model:2 divides the tiny scale's vocab (2176), heads (4) and d_ff
  (128): not refused (tests/model/test_mesh_run.py trains on such meshes)."""
  files = gin_files.stage_gin_files(
      variants.get("baseline"), scales.get("tiny"), "pretrain",
      "mini_span_corruption", "kit")
  for mesh in ("model:2,batch:1", "model:4,batch:2", "model:1,batch:1"):
    input_checks.check_mesh(files, [
        "MIXTURE_NAME = 'mini_span_corruption'",
        "utils.run.mesh_shape = %r" % mesh], VOCAB_SIZE)
  with pytest.raises(input_checks.MeshMismatch, match=r"model \(3\)"):
    input_checks.check_mesh(files, ["utils.run.mesh_shape = 'model:3'"],
                            VOCAB_SIZE)


def test_a_layout_splitting_a_fused_reduction_is_refused(mini_env):
  """d_model split over the model axis: the fused layer norm reduces it
  (layers.fused); mtf's compositions lay out over it."""
  files = gin_files.stage_gin_files(
      variants.get("baseline"), scales.get("tiny"), "pretrain",
      "mini_span_corruption", "kit")
  split = ["MIXTURE_NAME = 'mini_span_corruption'",
           "utils.run.mesh_shape = 'model:2,batch:1'",
           "utils.run.layout_rules = 'batch:batch,d_model:model'"]
  with pytest.raises(input_checks.MeshMismatch,
                     match="split d_model over mesh axis model, which the "
                           "fused kernels reduce"):
    input_checks.check_mesh(files, split, VOCAB_SIZE)
  input_checks.check_mesh(
      files, split + ["mtf_mods.fused_kernels.enabled = False"], VOCAB_SIZE)


def test_a_layout_splitting_the_lightweight_convolutions_length_is_refused(
    mini_env):
  """The lightweight convolution runs as one depthwise convolution along
  the length (layers.depthwise_convolution), which each device must hold
  whole."""
  files = gin_files.stage_gin_files(
      variants.get("lightweight_convolution"), scales.get("tiny"),
      "pretrain", "mini_span_corruption", "kit")
  with pytest.raises(input_checks.MeshMismatch,
                     match="split length over mesh axis model, which the "
                           "fused kernels reduce"):
    input_checks.check_mesh(files, [
        "MIXTURE_NAME = 'mini_span_corruption'",
        "utils.run.mesh_shape = 'model:2,batch:1'",
        "utils.run.layout_rules = 'batch:batch,length:model'"], VOCAB_SIZE)

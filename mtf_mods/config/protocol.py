"""The paper's protocol as data, for the programs that run it.

Narang et al. 2021 measure every variant by (Sec. 3-5):
  1. pre-training with span corruption (stage "pretrain") and its held-out
     loss at the early step (1/8 of pre-training) and the final step
     (stage "perplexity_eval");
  2. four downstream applications, each the Table 1 column of one score on
     the validation split of the best checkpoint:

  name       Table 1   real task / mixture                    mini task
  superglue  SGLUE     super_glue_v102_proportional_envocab   mini_superglue
  xsum       XSum      xsum_v110                              mini_summarization
  webq       WebQ      web_questions_open_envocab             mini_closed_book_qa
  wmt        WMT EnDe  wmt_t2t_ende_v003_vocab_37000          mini_translation

The first three fine-tune the pre-trained model (stage "finetune", started
with --pretrained_model_dir); WMT trains from scratch (stage
"train_from_scratch"). Each is then scored at every checkpoint (stage
"decode_eval") and `best` picks the best validation checkpoint. A launch is

  mtf-mods train --variant=V --scale=S --stage=<stage> --task=<task>
                 --model_dir=<dir> [--pretrained_model_dir=<pre-trained dir>]

(`launches` lists them). The mini tasks' trivial baselines are
`mtf_mods.tasks.mini.baselines`.
"""
import dataclasses
from typing import Mapping

from mtf_mods.config import checkpoint_selection
from mtf_mods.files import model_dir_reader

PRETRAIN_STAGE = "pretrain"
PERPLEXITY_STAGE = "perplexity_eval"
FINETUNE_STAGE = "finetune"
FROM_SCRATCH_STAGE = "train_from_scratch"
EVAL_STAGE = "decode_eval"
EARLY_FRACTION = 8  # the early loss is at 1/8 of the pre-training steps
# The data a study runs on: the real datasets, or the embedded mini benchmark.
REAL_DATA = "real"
MINI_DATA = "mini"
DATA = (REAL_DATA, MINI_DATA)
PRETRAINING_TASKS = {REAL_DATA: "c4_v231_span_corruption",
                     MINI_DATA: "mini_span_corruption"}

# The mini SuperGLUE average: t5's grouping (one score per task, the mean of
# its metrics) over the mini tasks.
MINI_SUPERGLUE_GROUPS = {
    "BoolQ": ["mini_boolq/accuracy"],
    "CB": ["mini_cb/mean_3class_f1", "mini_cb/accuracy"],
    "COPA": ["mini_copa/accuracy"],
}


def early_step(pretraining_steps: int) -> int:
  """The early-loss step of a pre-training run: 1/8 of it, at least 1."""
  return max(1, pretraining_steps // EARLY_FRACTION)


def _superglue_groups(data):
  """{task: its metrics} of the SuperGLUE average on the data."""
  from mtf_mods.tasks import super_glue  # pylint: disable=g-import-not-at-top
  if data == REAL_DATA:
    return super_glue.metric_groups()
  return MINI_SUPERGLUE_GROUPS


def _superglue_average(scores, data):
  from mtf_mods.tasks import super_glue  # pylint: disable=g-import-not-at-top
  if data == REAL_DATA:
    return super_glue.average_score(scores)
  return super_glue.group_average(scores, MINI_SUPERGLUE_GROUPS)


@dataclasses.dataclass(frozen=True)
class Application:
  """One downstream application of the protocol.

  Attributes:
    name: short name, also the study's stage name for its results.
    table1_column: the column of the paper's Table 1 (mtf_mods/data).
    metric: what the column is, in words.
    tasks: {"real" | "mini": seqio task or mixture}.
    train_stage: "finetune" (from the pre-trained checkpoint) or
      "train_from_scratch".
    metric_name: the metric the column is, for single-task applications
      ("<task>/<metric_name>"); empty for SuperGLUE's average.
    baseline: the mini task's trivial baseline.
  """
  name: str
  table1_column: str
  metric: str
  tasks: Mapping[str, str]
  train_stage: str
  metric_name: str = ""
  baseline: str = ""
  eval_stage: str = EVAL_STAGE

  @property
  def from_pretrained(self) -> bool:
    return self.train_stage == FINETUNE_STAGE

  def task(self, data: str) -> str:
    if data not in self.tasks:
      raise ValueError("unknown data %r; valid: %s" % (data, ", ".join(DATA)))
    return self.tasks[data]

  def score(self, scores: Mapping[str, float], data: str) -> float:
    """The Table 1 column from one checkpoint's {"<task>/<metric>": value};
    KeyError if a metric it needs is missing."""
    if not self.metric_name:
      return _superglue_average(scores, data)
    return scores["%s/%s" % (self.task(data), self.metric_name)]


APPLICATIONS = (
    Application(
        name="superglue", table1_column="SGLUE",
        metric="SuperGLUE average (t5's: mean over tasks of each task's "
        "mean metric)",
        tasks={REAL_DATA: "super_glue_v102_proportional_envocab",
               MINI_DATA: "mini_superglue"},
        train_stage=FINETUNE_STAGE, baseline="majority class"),
    Application(
        name="xsum", table1_column="XSum", metric="ROUGE-2",
        tasks={REAL_DATA: "xsum_v110", MINI_DATA: "mini_summarization"},
        train_stage=FINETUNE_STAGE, metric_name="rouge2",
        baseline="lead sentence"),
    Application(
        name="webq", table1_column="WebQ",
        metric="exact match (the paper's accuracy)",
        tasks={REAL_DATA: "web_questions_open_envocab",
               MINI_DATA: "mini_closed_book_qa"},
        train_stage=FINETUNE_STAGE, metric_name="em",
        baseline="most frequent answer"),
    Application(
        name="wmt", table1_column="WMT EnDe", metric="BLEU (sacrebleu)",
        tasks={REAL_DATA: "wmt_t2t_ende_v003_vocab_37000",
               MINI_DATA: "mini_translation"},
        train_stage=FROM_SCRATCH_STAGE, metric_name="bleu",
        baseline="copy source"),
)


def names() -> list[str]:
  return [a.name for a in APPLICATIONS]


def get(name: str) -> Application:
  """The application called `name`; ValueError listing valid names."""
  for application in APPLICATIONS:
    if application.name == name:
      return application
  raise ValueError("unknown application %r; valid: %s" % (
      name, ", ".join(names())))


def launches(application: Application, data: str, model_dir: str,
             pretrained_model_dir: str = "") -> list[tuple[str, list[str]]]:
  """[(purpose, `mtf-mods train` flags)] to train and score an application;
  add --variant, --scale (and --seed, --tpu, ...) to each."""
  common = ["--task=%s" % application.task(data), "--model_dir=%s" % model_dir]
  train = ["--stage=%s" % application.train_stage] + common
  if application.from_pretrained:
    if not pretrained_model_dir:
      raise ValueError("%s fine-tunes a pre-trained model: give its "
                       "model_dir" % application.name)
    train.append("--pretrained_model_dir=%s" % pretrained_model_dir)
  return [("train", train),
          ("score every checkpoint",
           ["--stage=%s" % application.eval_stage] + common)]


def best(application: Application, data: str,
         model_dir: str) -> checkpoint_selection.Best:
  """The best validation checkpoint of a trained application's model_dir:
  SuperGLUE's per task (checkpoint_selection.best_per_task, as T5), the
  others' by their metric.

  The first checkpoint is where training started (the pre-trained model, or
  random weights), so it does not count.
  """
  after_step = model_dir_reader.first_step(model_dir)
  if not application.metric_name:
    return checkpoint_selection.best_per_task(
        model_dir_reader.validation_scores(model_dir),
        _superglue_groups(data), after_step)
  return checkpoint_selection.best_validation_score(
      model_dir, lambda metrics: application.score(metrics, data),
      after_step=after_step)

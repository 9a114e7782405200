"""`mtf-mods study`: run the paper's protocol over variants and seeds."""
import argparse
import re
import sys

from mtf_mods import cli

HELP = "run the protocol for variants x seeds, then report (or --dry-run)"
PRETRAIN_UNTIL = ("final", "early")
TPU_PLACEHOLDERS = {"tpu": "$TPU_NAME", "tpu_zone": "$TPU_ZONE",
                    "gcp_project": "$GCP_PROJECT"}


def parse(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods study",
      description="Run, for each variant and seed, pre-training (early and "
      "final held-out loss), the downstream fine-tuning stages and "
      "translation from scratch; record one result per cell; skip finished "
      "cells; then write the report.")
  parser.add_argument("--variants", default="baseline",
                      help="comma-separated registered variants")
  parser.add_argument("--implementation", default="kit",
                      help="kit, release, or kit,release: whose models (the "
                      "kit's layers, the authors' release on mesh "
                      "tensorflow's layers); each has its own baseline")
  parser.add_argument("--scale", default="cpu")
  parser.add_argument("--data", default=None,
                      help="mini or real; default real at the paper scale, "
                      "else mini")
  parser.add_argument("--seeds", type=int, default=3,
                      help="pre-training seeds for the early-loss noise floor")
  parser.add_argument("--workdir", default="runs/study")
  parser.add_argument("--pretrain_steps", type=int, default=0,
                      help="override the scale's pre-training steps")
  parser.add_argument("--pretrain_until", default="final",
                      help="final or early; early: every seed stops at "
                      "the early-loss step (1/8 of pre-training; schedules "
                      "still span the whole run) and no downstream stage "
                      "runs")
  parser.add_argument("--downstream_steps", type=int, default=0,
                      help="override the fine-tuning and from-scratch steps")
  parser.add_argument("--stages", default="",
                      help="comma-separated subset of the study's stages")
  parser.add_argument("--gin_param", action="append", default=[],
                      help="a gin binding added to every launch (repeat "
                      "for several)")
  parser.add_argument("--dry-run", dest="dry_run", action="store_true",
                      help="print the launcher commands instead of running")
  for flag in ("tpu", "tpu_zone", "gcp_project"):
    parser.add_argument("--" + flag, default=None)
  parser.add_argument("--tpu_topology", default="v3-8")
  parser.add_argument("--model_parallelism", type=int, default=1)
  return parser.parse_args(argv)


def shell_word(argument):
  """Quotes an argument for a POSIX shell, leaving $VARIABLES expandable."""
  if re.fullmatch(r"[\w@%+=:,./$-]+", argument):
    return argument
  return '"%s"' % re.sub(r'(["\\`])', r"\\\1", argument)


def tpu_flags(args):
  """--tpu flags for the launches: given values, or placeholders in a dry
  run at the paper scale."""
  values = {flag: getattr(args, flag) for flag in TPU_PLACEHOLDERS}
  if args.dry_run and args.scale == "paper" and not values["tpu"]:
    values = dict(TPU_PLACEHOLDERS)
  if not values["tpu"]:
    return ()
  flags = ["--%s=%s" % (flag, value) for flag, value in values.items()
           if value]
  return tuple(flags + ["--tpu_topology=%s" % args.tpu_topology,
                        "--model_parallelism=%d" % args.model_parallelism])


def main(argv):
  sys.exit(run(argv))


def run(argv):
  """Runs the study `argv` asks for; returns the exit code (bad input exits
  with code 2 at once)."""
  args = parse(argv)
  from mtf_mods import protocol  # pylint: disable=g-import-not-at-top
  from mtf_mods import study  # pylint: disable=g-import-not-at-top
  from mtf_mods import variants  # pylint: disable=g-import-not-at-top
  scale = cli.get_or_fail("study", "scale", args.scale)
  chosen = [cli.get_or_fail("study", "variant", name.strip())
            for name in args.variants.split(",") if name.strip()]
  if args.data is None:
    args.data = (protocol.REAL_DATA if scale.name == "paper"
                 else protocol.MINI_DATA)
  if args.data not in protocol.DATA:
    cli.fail("study", "unknown data %r; valid: %s" % (
        args.data, ", ".join(sorted(protocol.DATA))))
  if args.seeds < 1:
    cli.fail("study", "--seeds must be at least 1, got %d" % args.seeds)
  if args.pretrain_until not in PRETRAIN_UNTIL:
    cli.fail("study", "unknown --pretrain_until %r; valid: %s" % (
        args.pretrain_until, ", ".join(PRETRAIN_UNTIL)))
  implementations = [name.strip() for name in args.implementation.split(",")
                     if name.strip()]
  for name in implementations or [""]:
    if name not in study.results_store.IMPLEMENTATIONS:
      cli.fail("study", "unknown implementation %r; valid: %s" % (
          name, ", ".join(study.results_store.IMPLEMENTATIONS)))
  try:  # a results directory of a newer format: before anything runs
    store = study.results_store.ResultStore(args.workdir)
  except ValueError as e:
    cli.fail("study", e)
  if variants.BASELINE not in [v.name for v in chosen]:
    chosen.insert(0, variants.get(variants.BASELINE))
  config = study.StudyConfig(
      variants=chosen, scale=scale, data=args.data, seeds=args.seeds,
      workdir=args.workdir, pretrain_steps=args.pretrain_steps,
      downstream_steps=args.downstream_steps,
      extra_flags=tpu_flags(args) + tuple(
          "--gin_param=%s" % binding for binding in args.gin_param),
      implementations=tuple(implementations),
      early_only=args.pretrain_until == "early")
  stages = [s.strip() for s in args.stages.split(",") if s.strip()]
  try:
    cells = study.build_cells(config, stages)
  except ValueError as e:
    cli.fail("study", e)
  if args.dry_run:
    print_commands(cells, config)
    return 0
  from mtf_mods import workdir_lock  # pylint: disable=g-import-not-at-top
  from mtf_mods.commands import report  # pylint: disable=g-import-not-at-top
  try:
    with workdir_lock.held(args.workdir):
      counts = study.run_cells(cells, config, store)
      print("== study: %(ok)d cells ran, %(skipped)d already finished, "
            "%(failed)d failed" % counts, flush=True)
      report.write(args.workdir)
  except workdir_lock.WorkdirBusy as e:
    cli.fail("study", e)
  return 1 if counts[study.results_store.FAILED] else 0


def print_commands(cells, config):
  """The exact launcher commands of every cell, one shell line each."""
  if any(flag.startswith("--tpu=$") for flag in config.extra_flags):
    print("# Set TPU_NAME, TPU_ZONE and GCP_PROJECT (and a gs:// --workdir "
          "for model_dirs) first.")
  for cell in cells:
    print("# %s" % cell.label)
    for purpose, arguments in cell.launches:
      print("# %s" % purpose)
      print(" ".join(["mtf-mods", "train"] + [shell_word(a)
                                              for a in arguments]))

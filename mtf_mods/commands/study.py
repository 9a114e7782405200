"""`mtf-mods study`: run the paper's protocol over variants and seeds."""
import argparse
import os
import re
import sys

from mtf_mods import cli
from mtf_mods.launch import plugins
from mtf_mods.flags import shared_flags

HELP = "run the protocol for variants x seeds, then report (or --dry_run)"
PRETRAIN_UNTIL = ("final", "early")
TPU_PLACEHOLDERS = {"tpu": "$TPU_NAME", "tpu_zone": "$TPU_ZONE",
                    "gcp_project": "$GCP_PROJECT"}
TPU_HELP = {"tpu": "the Cloud TPU's name, passed to every launch (a dry run "
                   "at the paper scale prints $TPU_NAME without it)",
            "tpu_zone": "the Cloud TPU's zone, passed to every launch",
            "gcp_project": "the Cloud project of the TPU, passed to every "
                           "launch"}
# (old spelling, new) of the renamed flags; docs/cli.md.
RENAMED = (("--stages", "--applications"),
           ("--implementation", "--implementations"))


def parse(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods study",
      description="Run, for each variant and seed, pre-training (early and "
      "final held-out loss), the downstream fine-tuning stages and "
      "translation from scratch; record one result per cell; skip finished "
      "cells; then write the report.")
  shared_flags.add_variants(parser, "baseline", "the baseline always runs")
  parser.add_argument("--implementations", default="kit",
                      help="kit, release, or kit,release: whose models (the "
                      "kit's layers, the authors' release on mesh "
                      "tensorflow's layers); each has its own baseline "
                      "(default: %(default)s)")
  shared_flags.add_scale(parser)
  parser.add_argument("--data", default=None,
                      help="mini or real; default real at the paper scale, "
                      "else mini")
  parser.add_argument("--seeds", type=int, default=3,
                      help="pre-training seeds for the early-loss noise floor")
  parser.add_argument("--workdir", default="runs/study",
                      help="the study's working directory: its results, "
                      "model_dirs and report (default: %(default)s)")
  parser.add_argument("--pretrain_steps", type=int, default=0,
                      help="override the scale's pre-training steps")
  parser.add_argument("--pretrain_until", default="final",
                      help="final or early; early: every seed stops at "
                      "the early-loss step (1/8 of pre-training; schedules "
                      "still span the whole run) and no downstream stage "
                      "runs")
  parser.add_argument("--downstream_steps", type=int, default=0,
                      help="override the fine-tuning and from-scratch steps")
  parser.add_argument("--applications", default="",
                      help="comma-separated subset of the study's parts to "
                      "run: pretrain (every seed's pre-training and its "
                      "losses) and the downstream applications superglue, "
                      "xsum, webq, wmt (default: all of them)")
  parser.add_argument("--gin_param", action="append", default=[],
                      help="a gin binding added to every launch (repeat "
                      "for several)")
  plugins.add_flags(parser)
  shared_flags.add_dry_run(parser, "print the launcher commands instead "
                           "of running")
  for flag, help_text in TPU_HELP.items():
    parser.add_argument("--" + flag, default=None, help=help_text)
  parser.add_argument("--tpu_topology", default="v3-8",
                      help="the TPU slice's topology, with --tpu "
                      "(default: %(default)s)")
  parser.add_argument("--model_parallelism", type=int, default=1,
                      help="devices each model is split over, with --tpu "
                      "(default: %(default)s)")
  cluster = parser.add_argument_group(
      "cluster", "run the cells as Ray tasks (docs/studies.md, \"Studies on "
      "a cluster\"); without --cluster they run in order on this machine")
  cluster.add_argument("--cluster", default=None,
                       help="local (start Ray on this machine) or the "
                       "address of a running Ray cluster (HOST:PORT)")
  cluster.add_argument("--cpus_per_cell", type=int, default=1,
                       help="CPUs a cell's task asks for; its TensorFlow "
                       "uses as many threads")
  cluster.add_argument("--gpus_per_cell", type=float, default=0,
                       help="GPUs a cell's task asks for")
  cluster.add_argument("--resources_per_cell", default="",
                       help="custom Ray resources a cell's task asks for, "
                       "NAME:AMOUNT,... (e.g. a TPU slice its hosts declare "
                       "with ray start --resources)")
  cluster.add_argument("--cell_retries", type=int, default=3,
                       help="times Ray runs a cell again after its launch "
                       "or its worker was killed")
  return shared_flags.parse(parser, argv, "study", RENAMED)


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
  with code 2 at once, before anything in the workdir is touched)."""
  args = parse(argv)
  cli.get_or_fail("study", "scale", args.scale)  # before TensorFlow loads
  refuse_unknown_variants_early(args)
  from mtf_mods.study import configuration  # pylint: disable=g-import-not-at-top
  try:
    loaded = configuration.load_plugins(
        args.module_import, args.gin_location_prefix, args.workdir)
  except ValueError as e:
    cli.fail("study", e)
  from mtf_mods.config import protocol  # pylint: disable=g-import-not-at-top
  from mtf_mods import variants  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import cells as study_cells  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import records  # pylint: disable=g-import-not-at-top
  scale = cli.get_or_fail("study", "scale", args.scale)
  chosen = [variants.get(name)
            for name in cli.variant_names("study", args.variants)]
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
  implementations = [name.strip() for name in args.implementations.split(",")
                     if name.strip()]
  for name in implementations or [""]:
    if name not in records.IMPLEMENTATIONS:
      cli.fail("study", "unknown implementation %r; valid: %s" % (
          name, ", ".join(records.IMPLEMENTATIONS)))
  executor_options = cluster_options(args)
  workdir = args.workdir
  if args.cluster and configuration.storage.is_local(workdir):
    workdir = os.path.abspath(workdir)  # the workers' own working directory
  try:  # a results directory of a newer format: before anything runs
    store = records.ResultStore(workdir)
  except ValueError as e:
    cli.fail("study", e)
  if variants.BASELINE not in [v.name for v in chosen]:
    chosen.insert(0, variants.get(variants.BASELINE))
  config = configuration.StudyConfig(
      variants=chosen, scale=scale, data=args.data, seeds=args.seeds,
      workdir=workdir, pretrain_steps=args.pretrain_steps,
      downstream_steps=args.downstream_steps,
      gin_params=tuple(args.gin_param), launch_flags=tpu_flags(args),
      plugins=loaded,
      implementations=tuple(implementations),
      early_only=args.pretrain_until == "early")
  stages = [s.strip() for s in args.applications.split(",") if s.strip()]
  for name in stages:
    if name not in study_cells.stage_names():
      cli.fail("study", "unknown application %r; valid: %s" % (
          name, ", ".join(study_cells.stage_names())))
  try:
    cells = study_cells.build_cells(config, stages)
    identity = configuration.check(config)
  except ValueError as e:  # also configuration.ConfigurationMismatch
    cli.fail("study", e)
  if args.dry_run:
    print_commands(cells, config, executor_options)
    return 0
  from mtf_mods.study import lock  # pylint: disable=g-import-not-at-top
  from mtf_mods.commands import report  # pylint: disable=g-import-not-at-top
  executor = make_executor(config, configuration.config_id(identity),
                           executor_options)
  try:
    with lock.held(workdir):
      configuration.write(config, store)
      counts = executor.run(cells, store)
      print("== study: %(ok)d cells ran, %(skipped)d already finished, "
            "%(failed)d failed" % counts, flush=True)
      report.write(workdir)
  except lock.WorkdirBusy as e:
    cli.fail("study", e)
  return 1 if counts[records.FAILED] else 0


def refuse_unknown_variants_early(args):
  """Refuses an unknown --variants name in about a second, before
  TensorFlow loads, where no plugin could register it: none is given, and
  the workdir is local with no study.json that could name one."""
  from mtf_mods.study import storage  # pylint: disable=g-import-not-at-top
  if args.module_import or args.gin_location_prefix:
    return
  if not storage.is_local(args.workdir) or os.path.exists(
      os.path.join(args.workdir, storage.CONFIG_FILE)):
    return
  cli.variant_names("study", args.variants)


def cluster_options(args):
  """The executor's options from the cluster flags; exits 2 on bad ones."""
  from mtf_mods.study.executors import ray_cluster  # pylint: disable=g-import-not-at-top
  if args.cluster is not None and not args.cluster.strip():
    cli.fail("study", "--cluster is empty; valid: local, or the address "
             "of a running Ray cluster (HOST:PORT)")
  if args.cpus_per_cell < 1:
    cli.fail("study", "--cpus_per_cell must be at least 1, got %d"
             % args.cpus_per_cell)
  if args.gpus_per_cell < 0 or args.cell_retries < 0:
    cli.fail("study", "--gpus_per_cell and --cell_retries must be 0 or "
             "more, got %g and %d" % (args.gpus_per_cell, args.cell_retries))
  try:
    resources = ray_cluster.parse_resources(args.resources_per_cell)
  except ValueError as e:
    cli.fail("study", e)
  return {"address": args.cluster, "cpus_per_cell": args.cpus_per_cell,
          "gpus_per_cell": args.gpus_per_cell, "resources": resources,
          "retries": args.cell_retries}


def make_executor(config, config_id, options):
  """In order on this machine, or Ray tasks with --cluster."""
  from mtf_mods.study.executors import in_order  # pylint: disable=g-import-not-at-top
  from mtf_mods.study.executors import ray_cluster  # pylint: disable=g-import-not-at-top
  if not options["address"]:
    return in_order.InOrder(config, config_id)
  return ray_cluster.RayCluster(config, config_id, **options)


def print_commands(cells, config, options):
  """The exact launcher commands of every cell, one shell line each; with
  --cluster, each cell's Ray resources and the cells it waits for."""
  from mtf_mods.study import cells as study_cells  # pylint: disable=g-import-not-at-top
  from mtf_mods.study.executors import ray_cluster  # pylint: disable=g-import-not-at-top
  if any(flag.startswith("--tpu=$") for flag in config.launch_flags):
    print("# Set TPU_NAME, TPU_ZONE and GCP_PROJECT (and a gs:// --workdir "
          "for model_dirs) first.")
  if options["address"]:
    print("# Ray cluster %s: each cell one task (%s), at most %d tries; "
          "the cells run at once as resources allow" % (
              options["address"], ray_cluster.describe(
                  ray_cluster.cell_resources(options["cpus_per_cell"],
                                             options["gpus_per_cell"],
                                             options["resources"])),
              options["retries"] + 1))
  for cell in cells:
    print("# %s" % cell.label)
    if options["address"]:
      waits = [study_cells.label_of(*key) for key in cell.dependency_keys()]
      print("# waits for: %s" % (", ".join(waits) or "nothing"))
    for purpose, arguments in cell.launches:
      print("# %s" % purpose)
      print(" ".join(["mtf-mods", "train"] + [shell_word(a)
                                              for a in arguments]))

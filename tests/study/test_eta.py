"""The study's ETA: each cell's estimated cost, and a whole-job ETA from
the first rate line a launch prints, before any cell has finished."""
import io

from mtf_mods.study import records
from mtf_mods.config import scales
from mtf_mods.study import eta as study_eta
from mtf_mods import variants
from mtf_mods.study import budgets
from mtf_mods.study import cells as study_cells
from mtf_mods.study import configuration
from mtf_mods.study.executors import cell_run
from mtf_mods.study.executors import in_order
from mtf_mods.study.executors import ray_cluster


def config(workdir, **budget):
  return configuration.StudyConfig(
      variants=[variants.get(variants.BASELINE), variants.get("swiglu")],
      scale=scales.get("tiny"), data="mini", seeds=2, workdir=workdir,
      **budget)


def test_cell_costs_follow_the_budget(tmp_path):
  cells = study_cells.build_cells(config(str(tmp_path), pretrain_steps=800,
                                   downstream_steps=40))
  by_label = {c.label: c.cost for c in cells}
  interval = budgets.pretraining_budget(scales.get("tiny"), 800).interval
  assert by_label["baseline seed0 pretrain"] == study_eta.Cost(
      launches=2, steps=800, evaluations=800 // interval + 1)
  assert by_label["baseline seed1 pretrain"] == study_eta.Cost(
      launches=2, steps=800 // 8, evaluations=1)
  assert by_label["swiglu seed0 xsum"] == study_eta.Cost(
      launches=2, steps=40, decodes=40 // 20 + 1)


def test_the_first_launchs_progress_gives_a_whole_study_eta(
    tmp_path, monkeypatch):
  settings = config(str(tmp_path), pretrain_steps=800, downstream_steps=40)
  cells = study_cells.build_cells(settings)[:2]
  clock = [1000.0]
  monkeypatch.setattr(in_order.time, "time", lambda: clock[0])
  setup, rate = 30.0, 4.0

  def fake_launch(arguments, label, stream, on_line, env=None):
    del arguments, label, stream
    clock[0] += setup
    on_line("step 1/800  loss 7.0")
    clock[0] += 2.0  # the first steps are slow: not counted
    on_line("step 4/800  loss 6.9  1.50 steps/s  300 tokens/s  ETA 9m")
    clock[0] += 10.0
    on_line("step 44/800  loss 6.5  3.52 steps/s  700 tokens/s  ETA 3m")
  monkeypatch.setattr(cell_run.launches, "run", fake_launch)
  for cell in cells:
    cell.collect = lambda: {"early_loss": 1.0}
  out = io.StringIO()
  store = records.ResultStore(str(tmp_path))
  assert in_order.InOrder(settings).run(cells, store, out)["ok"] == 2
  lines = out.getvalue().splitlines()
  assert lines[0].endswith("(study ETA ?)")
  first_eta = next(line for line in lines if line.startswith("== study ETA"))
  total = cells[0].cost + cells[1].cost
  expected = ((total.launches + study_eta.EVALUATION_SETUPS
               * total.evaluations) * setup + total.steps / rate)
  assert "study ETA %s " % study_eta.format_eta(expected) in first_eta
  # the second cell's ETA is scaled by the first cell's measured time
  second = next(line for line in lines if line.startswith("== cell 2/"))
  measured = 2 * (setup + 12.0)
  estimate = ((2 + study_eta.EVALUATION_SETUPS
               * cells[0].cost.evaluations) * setup
              + cells[0].cost.steps / rate)
  left = ((2 + study_eta.EVALUATION_SETUPS * cells[1].cost.evaluations)
          * setup + cells[1].cost.steps / rate)
  assert second.endswith("(study ETA %s)" % study_eta.format_eta(
      left * measured / estimate))


def test_step_time_is_measured_after_the_first_steps():
  eta = study_eta.StudyEta()
  eta.launch_started(100.0)
  assert not eta.observe_line("mtf-mods train: keeps 3 checkpoints", 105.0)
  assert not eta.observe_line("step 1/40  loss 8.4", 120.0)
  assert eta.setup_seconds == 20.0
  assert not eta.observe_line("step 4/40  loss 8.0  0.5 steps/s", 126.0)
  assert eta.step_seconds is None
  assert eta.observe_line("step 24/40  loss 6.0  1.1 steps/s", 136.0)
  assert eta.step_seconds == 0.5
  assert eta.estimate(study_eta.Cost(launches=1, steps=10)) == 25.0


def test_downstream_costs_without_a_budget_are_the_stages_own(tmp_path):
  """No --downstream_steps: each application's own budget, as the launcher
  counts it (fine-tuning's FINETUNE_STEPS, not its train_steps binding)."""
  from mtf_mods.training import checkpoint_plan  # pylint: disable=g-import-not-at-top
  from mtf_mods.config import gin_files  # pylint: disable=g-import-not-at-top
  from mtf_mods.config import protocol  # pylint: disable=g-import-not-at-top
  for scale in ("tiny", "paper"):
    settings = configuration.StudyConfig(
        variants=[variants.get(variants.BASELINE)],
        scale=scales.get(scale), data="mini", seeds=1,
        workdir=str(tmp_path))
    for cell in study_cells.build_cells(settings):
      if cell.stage == budgets.PRETRAIN:
        continue
      application = protocol.get(cell.stage)
      steps, interval = checkpoint_plan.own_length_and_interval(
          gin_files.stage_gin_files(variants.get(variants.BASELINE),
                                    scales.get(scale),
                                    application.train_stage))
      assert cell.cost == study_eta.Cost(launches=2, steps=steps,
                                         decodes=steps // interval + 1)
      assert steps > 0


def test_a_cluster_cells_own_times_give_the_drivers_eta(monkeypatch):
  """A Ray task measures its first launch's set-up and step times and
  returns them; the driver's ETA is the cells left over those run at once."""
  clock = [0.0]
  monkeypatch.setattr(ray_cluster.time, "time", lambda: clock[0])

  def fake_launch(arguments, label, stream, on_line, env=None):
    del arguments, label, stream, env
    clock[0] += 20.0
    for step in (1, 4, 14):
      on_line("step %d/100  loss 7.0" % step)
      clock[0] += 5.0
  monkeypatch.setattr(cell_run.launches, "run", fake_launch)
  cell = study_cells.Cell(variants.BASELINE, "pretrain", 0,
                          [("pre-train", ["--seed=0"])], collect=dict,
                          cost=study_eta.Cost(launches=1, steps=100))
  outcome = ray_cluster._cell_task(cell, {}, [])
  assert (outcome.setup_seconds, outcome.step_seconds) == (20.0, 0.5)
  eta = study_eta.StudyEta()
  assert study_eta.wall_seconds(eta, [cell.cost], 2) is None
  eta.measured_elsewhere(outcome.setup_seconds, outcome.step_seconds)
  eta.measured_elsewhere(99.0, None)  # the first set-up, the latest step
  assert (eta.setup_seconds, eta.step_seconds) == (20.0, 0.5)
  one = 20.0 + 100 * 0.5
  assert study_eta.wall_seconds(eta, [cell.cost] * 4, 2) == 2 * one
  assert study_eta.wall_seconds(eta, [cell.cost], 2) == one  # one left
  eta.cell_finished(cell.cost, 2 * one)  # the cells ran twice as long
  assert study_eta.wall_seconds(eta, [cell.cost] * 4, 2) == 4 * one
  assert study_eta.wall_seconds(eta, [], 2) == 0.0

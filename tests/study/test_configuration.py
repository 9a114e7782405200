"""A study is its configuration: written by its first run, a later run of
another configuration refused naming each field, a study grown under the
same one, and records of another configuration left out of the report."""
import json

import pytest

from mtf_mods.launch import plugins
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.study import configuration
from mtf_mods.study import header
from mtf_mods.study import records
from mtf_test_utils import call_cli

BASELINE = variants.get(variants.BASELINE)
OTHER = variants.VARIANTS[1]
TINY_EARLY = ["study", "--variants=%s" % variants.BASELINE, "--scale=tiny",
              "--seeds=1", "--pretrain_until=early", "--pretrain_steps=16"]


def config(workdir, **changes):
  settings = dict(variants=[BASELINE], scale=scales.get("tiny"), data="mini",
                  seeds=1, workdir=str(workdir), pretrain_steps=16,
                  early_only=True)
  settings.update(changes)
  return configuration.StudyConfig(**settings)


def test_the_first_run_writes_it_and_a_study_grows_under_it(tmp_path):
  store = records.ResultStore(str(tmp_path))
  first = configuration.write(config(tmp_path), store)
  assert first["identity"]["scale"] == "tiny"
  assert first["identity"]["pretrain_steps"] == 16
  assert first["config_id"] == configuration.config_id(first["identity"])
  assert not first["adopted_unconfigured_records"]
  grown = configuration.write(
      config(tmp_path, variants=[BASELINE, OTHER], seeds=3,
             implementations=(records.KIT, records.RELEASE)), store)
  assert grown["config_id"] == first["config_id"]
  assert grown["variants"] == [variants.BASELINE, OTHER.name]
  assert (grown["seeds"], grown["implementations"]) == (3, ["kit", "release"])
  assert configuration.read(str(tmp_path)) == grown


def test_another_configuration_is_refused_naming_each_field(tmp_path):
  configuration.write(config(tmp_path), records.ResultStore(str(tmp_path)))
  with pytest.raises(configuration.ConfigurationMismatch) as refused:
    configuration.check(config(tmp_path, scale=scales.get("cpu"),
                               gin_params=("dropout_rate = 0.1",)))
  message = str(refused.value)
  assert "\n" not in message
  assert 'scale "cpu" here, "tiny" in the workdir' in message
  assert 'gin_params ["dropout_rate = 0.1"] here, [] in the workdir' in message
  assert "pretrain_steps" not in message  # 16 in both
  with pytest.raises(configuration.ConfigurationMismatch,
                     match='early_only false here, true in the workdir'):
    configuration.check(config(tmp_path, early_only=False))


def test_the_command_refuses_before_anything_runs(tmp_path, mini_env,
                                                 monkeypatch):
  for name, value in mini_env.items():  # the same data as the command's
    monkeypatch.setenv(name, value)
  store = records.ResultStore(str(tmp_path))
  configuration.write(config(tmp_path), store)
  store.put(records.Record(variants.BASELINE, "pretrain", 0, records.OK))
  before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
  result = call_cli(*TINY_EARLY[:3], "--scale=cpu", *TINY_EARLY[4:],
                    "--workdir=%s" % tmp_path, env=mini_env)
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "mtf-mods study: %s holds a study of another configuration: scale "
      "\"cpu\" here, \"tiny\" in the workdir; run it with its own settings "
      "to resume or grow it, or give this study another --workdir"
      % tmp_path]
  assert {p: p.read_bytes() for p in tmp_path.rglob("*")
          if p.is_file()} == before


def test_a_format_1_workdir_resumes_adopting_its_records(tmp_path):
  old = tmp_path / "results" / variants.BASELINE / "pretrain" / "seed0.json"
  old.parent.mkdir(parents=True)
  old.write_text(json.dumps({"variant": variants.BASELINE,
                             "stage": "pretrain", "seed": 0, "status": "ok",
                             "metrics": {"early_loss": 4.0}}))
  store = records.ResultStore(str(tmp_path))
  assert store.format() == 1 and store.is_finished(variants.BASELINE,
                                                   "pretrain", 0)
  written = configuration.write(config(tmp_path), store)
  assert written["adopted_unconfigured_records"]
  kept, left_out = header.select(store.all(), written)
  assert [r.seed for r in kept] == [0] and not left_out
  text = header.markdown(str(tmp_path), written, kept, left_out)
  assert "taken as this configuration's" in text
  assert "configuration unknown" not in text.lower()
  assert "Configuration unknown" in header.markdown(str(tmp_path), None,
                                                    kept, [])


def test_the_report_leaves_out_and_names_records_of_another_configuration(
    tmp_path):
  store = records.ResultStore(str(tmp_path))
  written = configuration.write(config(tmp_path), store)
  own = dict(status=records.OK, metrics={"early_loss": 4.0, "early_step": 2},
             config_id=written["config_id"], commit="abc123",
             machine="host: cpu", finished_at="2026-12-07T01:00:00+00:00")
  store.put(records.Record(variants.BASELINE, "pretrain", 0, **own))
  store.put(records.Record(variants.BASELINE, "pretrain", 1,
                           **dict(own, config_id="0123456789ab",
                                  metrics={"early_loss": 9.0,
                                           "early_step": 2})))
  result = call_cli("report", "--workdir=%s" % tmp_path)
  assert result.returncode == 0, result.stderr
  report = (tmp_path / "report.md").read_text()
  lines = report.splitlines()
  assert lines[0] == "# Study report: %s" % tmp_path
  assert "Configuration `%s`" % written["config_id"] in report
  assert 'scale "tiny"' in report and 'pretrain_steps 16' in report
  assert ("Records shown: 1, of seeds 0 (1); commits abc123 (1); finished "
          "2026-12-07T01:00:00+00:00 to 2026-12-07T01:00:00+00:00; "
          "machines host: cpu (1).") in report
  assert ("Left out: 1 records of another configuration (0123456789ab "
          "(1))") in report
  assert "9.000" not in report  # the other configuration's loss


def test_a_resumed_study_gets_the_plugins_it_recorded(tmp_path, mini_env,
                                                      monkeypatch):
  for name, value in mini_env.items():
    monkeypatch.setenv(name, value)
  recorded = plugins.Plugins(("fault_injection",), ())
  configuration.write(config(tmp_path, plugins=recorded),
                      records.ResultStore(str(tmp_path)))
  assert configuration.recorded_plugins(str(tmp_path)) == (
      ["fault_injection"], [])
  result = call_cli(*TINY_EARLY, "--workdir=%s" % tmp_path, "--dry_run")
  assert result.returncode == 0, result.stderr
  assert ("== plugins of %s/study.json: --module_import=fault_injection"
          % tmp_path) in result.stdout
  launches = [l for l in result.stdout.splitlines()
              if l.startswith("mtf-mods train")]
  assert launches and all("--module_import=fault_injection" in l
                          for l in launches)

"""The README's main job: the demo study's cells and its summary."""
from mtf_mods import demo
from mtf_mods.config import protocol
from mtf_test_utils import call_cli


def test_demo_runs_baseline_a_helpful_and_a_harmful_variant():
  result = call_cli("demo", "--dry_run")
  assert result.returncode == 0, result.stderr[-3000:]
  labels = [l[2:] for l in result.stdout.splitlines()
            if l.startswith("# ") and " seed" in l]
  for variant in ("baseline",) + demo.DEMO_VARIANTS:
    assert "%s seed0 pretrain" % variant in labels
    assert "%s seed1 pretrain" % variant in labels
    for application in protocol.names():
      assert "%s seed0 %s" % (variant, application) in labels
  commands = [l for l in result.stdout.splitlines()
              if l.startswith("mtf-mods train")]
  assert all("--scale=%s" % demo.DEMO_SCALE in c for c in commands)
  assert any("--stage=pretrain" in c and "--train_steps=%d"
             % demo.DEMO_BUDGET["pretrain_steps"] in c for c in commands)
  assert any("--stage=finetune" in c and "--train_steps=%d"
             % demo.DEMO_BUDGET["downstream_steps"] in c for c in commands)


def test_demo_refuses_an_unknown_scale():
  result = call_cli("demo", "--scale=huge")
  assert result.returncode == 2
  assert result.stderr.strip() == (
      "mtf-mods demo: unknown scale 'huge'; valid: tiny, cpu, paper")


def test_the_demo_at_another_scale_has_a_workdir_of_its_own():
  tiny = call_cli("demo", "--dry_run")
  cpu = call_cli("demo", "--dry_run", "--scale=cpu")
  assert cpu.returncode == tiny.returncode == 0, cpu.stderr
  assert "--model_dir=runs/demo/runs/" in tiny.stdout
  assert "--model_dir=runs/demo-cpu/runs/" in cpu.stdout

"""What a launch says at its end and leaves for TensorBoard, from the
event files it wrote."""
from mtf_mods.launch import launch_report
from mtf_mods.files import model_dir_reader
from mtf_test_utils import write_scalar_events


def test_decoding_prints_each_checkpoint_and_each_metrics_best(tmp_path):
  """The first checkpoint (where training started) is not a candidate."""
  for step in (0, 10, 20):
    (tmp_path / ("model.ckpt-%d.index" % step)).write_text("")
  write_scalar_events(str(tmp_path / model_dir_reader.EVAL_DIR), {
      0: {"eval/t/bleu": 9.0, "eval/t/chrf": 1.0},
      10: {"eval/t/bleu": 3.0, "eval/t/chrf": 5.0},
      20: {"eval/t/bleu": 4.0, "eval/t/chrf": 5.0}})
  assert launch_report.decode_lines(str(tmp_path), since=None) == [
      "scores at step 0: t/bleu 9.00, t/chrf 1.00",
      "scores at step 10: t/bleu 3.00, t/chrf 5.00",
      "scores at step 20: t/bleu 4.00, t/chrf 5.00",
      "best t/bleu: 4.00 at step 20",
      "best t/chrf: 5.00 at step 10"]


def test_an_evaluation_records_the_seed_of_the_training_it_evaluates(
    tmp_path, capsys):
  model_dir = str(tmp_path)
  launch_report.finish("baseline", "kit", "tiny", "pretrain", 7, model_dir)
  write_scalar_events(str(tmp_path / "eval_x"),
                      {5: {"neg_log_perplexity": -4.25}})
  launch_report.finish("baseline", "kit", "tiny", "perplexity_eval", None,
                       model_dir, since=0)
  said = capsys.readouterr().err.splitlines()
  assert said[1] == ("mtf-mods train: held-out loss at step 5: 4.2500 "
                     "(eval_x)")
  assert model_dir_reader.session_hparams(str(tmp_path / "eval_x")) == {
      "variant": "baseline", "implementation": "kit", "scale": "tiny",
      "stage": "perplexity_eval", "seed": 7}

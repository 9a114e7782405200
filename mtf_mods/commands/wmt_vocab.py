"""`mtf-mods wmt-vocab`: train the WMT'14 En-De vocabulary (tasks/wmt.py)."""
import argparse

from mtf_mods import cli
from mtf_mods.flags import shared_flags

HELP = ("train the 37k WMT'14 En-De SentencePiece vocabulary on prepared "
        "TFDS data")


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods wmt-vocab",
      description="Train the paper's 37,000-token WMT vocabulary (never "
      "published) as a BPE SentencePiece model on the English and German "
      "training text of the prepared TFDS wmt_t2t_translate/de-en, into the "
      "path the WMT task reads by default; prints that path.")
  parser.add_argument("--vocab_size", type=int, default=37000,
                      help="pieces in the vocabulary (default: %(default)s, "
                      "the paper's)")
  parser.add_argument("--t5_tfds_data_dir", default=None,
                      help="the TFDS data directory holding the prepared "
                      "dataset (default: TFDS's)")
  args = shared_flags.parse(parser, argv, "wmt-vocab")
  import seqio  # pylint: disable=g-import-not-at-top
  from mtf_mods.tasks import wmt  # pylint: disable=g-import-not-at-top
  if args.t5_tfds_data_dir:
    seqio.set_tfds_data_dir_override(args.t5_tfds_data_dir)
  try:
    print(wmt.train_vocabulary(args.vocab_size))
  except ValueError as e:
    cli.fail("wmt-vocab", e)

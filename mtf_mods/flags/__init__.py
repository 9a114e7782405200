"""The command line's flags: one name, one meaning and one help text each.

shared_flags.py puts the flags several commands share on an argparse
parser; old_spellings.py accepts the renamed flags' old spellings with a
note of the new one; train_flags.py defines the absl flags `mtf-mods
train` adds to t5's. Defined without TensorFlow, so that --help and a bad
name answer at once. It may import config/ and variants/.
"""

"""C4 span-corruption pretraining tasks (Narang et al. 2021, Sec. 2).

  c4_v231_span_corruption  TFDS c4/en:2.3.1, the version the paper used
  c4_v301_span_corruption  TFDS c4/en:3.0.1, the version most copies of C4
                           are (e.g. allenai/c4 "en")

Both tokenize with the English vocabulary (`real_vocabularies.english`) and
apply the paper's span corruption (`span_corruption.py`, t5's own
preprocessors: 15% noise, mean span 3). Validation is C4's own held-out
split, on which the paper measures the early and final loss.

tensorflow-datasets 4.9.2 generates c4 at 3.1.0 and 2.x; 3.0.1 reads from
data prepared by another TFDS version (TFDS reads any prepared 3.x data).
C4 is built with Apache Beam from Common Crawl, several terabytes.
"""
from mtf_mods.tasks import pipeline
from mtf_mods.tasks import real_vocabularies
from mtf_mods.tasks import tfds_sources

VERSIONS = {"c4_v231_span_corruption": "2.3.1",
            "c4_v301_span_corruption": "3.0.1"}
_PREPARATION = ("tfds build c4/en:{version} --data_dir=DIR "
                "--beam_pipeline_options=... (Apache Beam over Common Crawl, "
                "several TB; or copy prepared c4/en/{version} data into DIR)")


def register() -> None:
  vocabulary = real_vocabularies.english()
  for name, version in VERSIONS.items():
    source = tfds_sources.PreparedTfdsSource(
        f"c4/en:{version}", splits=("train", "validation"),
        preparation=_PREPARATION.format(version=version))
    pipeline.register_span_corruption_task(name, source, vocabulary)

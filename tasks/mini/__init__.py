"""The embedded offline data: a seeded synthetic world, the pretraining corpus
rendered from it, and the mini benchmark of the four downstream applications.

  world.py               the seeded entities, their attributes and relations
  names.py               made-up names built from syllables
  text.py                English surface helpers (numbers, lists, pronouns)
  documents.py           one English-like document about the world
  corpus.py              the pretraining corpus written from those documents
  pretraining.py         the `mini_span_corruption` task and its vocabulary
  superglue.py           mini BoolQ, CB and COPA
  summaries.py           XSum-style summaries
  questions.py           WebQuestions-style closed-book questions
  translation.py         English into a synthetic language
  benchmark.py           the mini benchmark's seqio tasks and cache
  baselines.py           each application's trivial baseline
"""

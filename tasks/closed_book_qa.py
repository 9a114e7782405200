"""The closed-book question answering preprocessor (Roberts et al. 2020).

The authors' WebQuestions task imported `web_questions_open` from the
unpublished-as-a-package `t5_closed_book_qa`; this is a re-implementation from
its description: the question alone is the input (no supporting passage, so
the answer must come from the model's parameters), the first answer is the
target, and every answer is kept for the metric (t5's `qa` postprocessor
returns them for the targets, and t5's SQuAD exact match counts a prediction
right if it matches any of them).
"""
import functools

import seqio
import tensorflow as tf

WEB_QUESTIONS_PREFIX = "wq question: "


@seqio.map_over_dataset
def closed_book_question(x, prefix):
  """{"question", "answers"} -> {"inputs", "targets", "answers"}.

  Args:
    x: an example with a string "question" and a string vector "answers".
    prefix: put before the question, e.g. "wq question: ".
  """
  return {"inputs": tf.strings.join([prefix, x["question"]]),
          "targets": x["answers"][0],
          "answers": x["answers"]}


web_questions_open = functools.partial(closed_book_question,
                                       prefix=WEB_QUESTIONS_PREFIX)

"""`mtf-mods bench`: measured training speed, side by side with PyTorch T5.

One job per module:
  timing          warm-up, then per-step wall times (median, robust to a
                  busy machine)
  cpu_threads     the thread counts every measurement shares (TF sessions,
                  torch), and the TF session config of the timed runs
  matmul_peak     this machine's limit: a dense fp32 matmul in TensorFlow
  kit_step        the kit's own training step (mtf graph, Adafactor, lowering)
  torch_peer      the HuggingFace PyTorch T5 of the same configuration
  peer_config     which HuggingFace T5 configuration matches a variant
  input_pipeline  tokens/s of the seqio span-corruption pipeline training uses
  scaling         step time against sequence length and batch size
  table           the printed table and its TSV file
  suite           runs the measurements a `bench` invocation asks for
"""

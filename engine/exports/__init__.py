"""Exports of a trained network as code: runnable PyTorch and Keras scripts (ONNX and weight files
are written by engine.project.files)."""

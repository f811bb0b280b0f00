"""The tool windows: backprop walk, landscape, optimizer paths and race, gradient check, perceptron,
loss explorer, activations, convexity, computation graphs, drawing pad, recording."""

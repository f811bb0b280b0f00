"""The teaching tools' computations, for the app's windows and the command line: the backprop trace,
gradient checks, loss landscapes, optimizer surfaces and races, the perceptron, convexity,
computation graphs and activation statistics."""

"""The panels the main window composes: data, network builder, controls, output, curves, histograms."""

"""The views drawn off screen: figures and slides as PNG/SVG, animations as GIF, APNG or MP4, for
the command line's render and record and the window's Record dialog."""

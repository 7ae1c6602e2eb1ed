"""Word detection: DB training targets and loss, probability map to polygons, the predictor."""

"""Word recognition: vocabulary, crops, the CRNN predictor and CTC decoding."""

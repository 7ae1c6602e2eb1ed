"""Word recognition: vocabulary, crops, the CRNN predictor, CTC decoding and splitting at spaces."""

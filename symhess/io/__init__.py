"""Files in and out: JSON exchange of models, data and Hessians (read exactly), PyTorch models,
atomic writes and md/csv/json tables."""

"""Fine-tuning: training sets, the leak check, the promotion gate and the model registry."""

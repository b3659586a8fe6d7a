"""The model endpoint's life: its schedule, who holds it up, what it did and what it cost."""

"""What every registry shares: application base, projection base, API base."""

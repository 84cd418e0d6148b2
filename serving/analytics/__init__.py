"""What the API answers: mart readers, insights, statistics and the champion model's scores."""

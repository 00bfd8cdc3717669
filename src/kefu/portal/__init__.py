"""The customer self-service portal (自助服务): customers sign in with an SMS code and submit,
follow, answer, confirm and rate their own requests."""

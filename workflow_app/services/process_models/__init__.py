"""Deployed process models (BPMN files, versioned by content): ``deployment`` checks and deploys them."""

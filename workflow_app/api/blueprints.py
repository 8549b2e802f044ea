"""Every API blueprint, registered under /api/v1 in this order."""
from .models import blp as models_blp

ALL = [models_blp]

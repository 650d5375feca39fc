"""Importing this module registers every dashboard page with NiceGUI (done once by the mount)."""

from __future__ import annotations

from luna.web import pages_login  # noqa: F401  (each module registers its pages on import)
from luna.web.admin import (  # noqa: F401
    pages_admin_accounts,
    pages_admin_activity,
    pages_admin_corpus,
    pages_admin_datasets,
    pages_admin_finetune,
    pages_admin_flywheel,
    pages_admin_home,
    pages_admin_jobs,
    pages_admin_logs,
    pages_admin_prompts,
    pages_admin_upload,
)
from luna.web.customer import (  # noqa: F401
    pages_customer_account,
    pages_customer_ask,
    pages_customer_energy,
    pages_customer_market,
    pages_customer_overview,
    pages_customer_recommendations,
)

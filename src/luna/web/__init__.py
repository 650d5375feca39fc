"""Luna's dashboards: customers at ``/``, operators at ``/admin``, German throughout.

Python-rendered with NiceGUI (Quasar components and ECharts, assets served from its wheel, so they
work offline) and mounted on the API's FastAPI app by :func:`luna.web.mount.mount_dashboards`.
Pages call services on the process's container, never adapters or SQL.
"""

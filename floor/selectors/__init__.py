"""Floor reads, scoped to one factory and read from the roll-ups (never from raw events per request).

One module per concern; the public names are re-exported here, so `from floor import selectors` and
`selectors.payroll(...)` keep working. Attendance, the denominator of efficiency, is decided in
`floor.selectors.efficiency`.
"""

from floor.selectors.common import allocation_get, date_range
from floor.selectors.dashboard import dashboard
from floor.selectors.efficiency import FactoryDay, LineEfficiency, efficiency_trend, factory_days, line_efficiency
from floor.selectors.materials import material_status
from floor.selectors.payroll import (
    Payroll,
    WorkerDayRow,
    payroll,
    payroll_totals,
    worker_day_rows,
    worker_day_values,
    worker_days,
)
from floor.selectors.payroll_export import payroll_csv, payroll_xlsx
from floor.selectors.progress import (
    AllocationProgress,
    BulletinView,
    OperationProgress,
    allocation_progress,
    bulletin_draft,
    bulletin_view,
    default_bulletin,
    order_operations,
)
from floor.selectors.quality import qualified_rates
from floor.selectors.risk import deadline_risk_list
from floor.selectors.setup import device_key_list, line_list, worker_list

__all__ = [
    "AllocationProgress",
    "BulletinView",
    "FactoryDay",
    "LineEfficiency",
    "OperationProgress",
    "Payroll",
    "WorkerDayRow",
    "allocation_get",
    "allocation_progress",
    "bulletin_draft",
    "bulletin_view",
    "dashboard",
    "date_range",
    "deadline_risk_list",
    "default_bulletin",
    "device_key_list",
    "efficiency_trend",
    "factory_days",
    "line_efficiency",
    "line_list",
    "material_status",
    "order_operations",
    "payroll",
    "payroll_csv",
    "payroll_totals",
    "payroll_xlsx",
    "qualified_rates",
    "worker_day_rows",
    "worker_day_values",
    "worker_days",
    "worker_list",
]

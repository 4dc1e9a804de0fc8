from django.urls import path

from floor.apis import bulletins, capacity, ingest, quality, reports, risk, setup

urlpatterns = [
    path("factories/<int:factory_id>/device-keys/", setup.DeviceKeyListCreateApi.as_view(), name="device-keys"),
    path("factories/<int:factory_id>/device-keys/<int:key_id>/", setup.DeviceKeyRevokeApi.as_view(), name="device-key"),
    path("floor/events/", ingest.FloorEventsApi.as_view(), name="floor-events"),
    path("floor/events/csv/", ingest.FloorEventsCsvApi.as_view(), name="floor-events-csv"),
    path("floor/lines/", setup.LineListApi.as_view(), name="floor-lines"),
    path("floor/workers/", setup.WorkerListApi.as_view(), name="floor-workers"),
    path("floor/piece-rates/", setup.PieceRateApi.as_view(), name="floor-piece-rates"),
    path("floor/shifts/", setup.ShiftApi.as_view(), name="floor-shifts"),
    path(
        "floor/allocations/<int:allocation_id>/bulletin/",
        bulletins.AllocationBulletinApi.as_view(),
        name="floor-bulletin",
    ),
    path(
        "floor/allocations/<int:allocation_id>/progress/",
        reports.AllocationProgressApi.as_view(),
        name="floor-progress",
    ),
    path("floor/worker-output/", reports.WorkerOutputApi.as_view(), name="floor-worker-output"),
    path("floor/payroll/", reports.PayrollApi.as_view(), name="floor-payroll"),
    path("floor/line-efficiency/", reports.LineEfficiencyApi.as_view(), name="floor-line-efficiency"),
    path("factories/<int:factory_id>/live-capacity/", capacity.LiveCapacityApi.as_view(), name="floor-live-capacity"),
    path("floor/deadline-risks/", risk.DeadlineRiskListApi.as_view(), name="floor-deadline-risks"),
    path(
        "floor/deadline-risks/<int:risk_id>/reroute/",
        risk.DeadlineRiskRerouteApi.as_view(),
        name="floor-deadline-risk-reroute",
    ),
    path("floor/allocations/<int:allocation_id>/qc/", quality.QcInspectionApi.as_view(), name="floor-qc"),
    path("floor/allocations/<int:allocation_id>/materials/", bulletins.MaterialsApi.as_view(), name="floor-materials"),
    path("floor/quality/", quality.QualityApi.as_view(), name="floor-quality"),
    path("floor/dashboard/", reports.DashboardApi.as_view(), name="floor-dashboard"),
    path("floor/efficiency-trend/", reports.EfficiencyTrendApi.as_view(), name="floor-efficiency-trend"),
]

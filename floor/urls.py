from django.urls import path

from floor import apis

urlpatterns = [
    path("factories/<int:factory_id>/device-keys/", apis.DeviceKeyListCreateApi.as_view(), name="device-keys"),
    path("factories/<int:factory_id>/device-keys/<int:key_id>/", apis.DeviceKeyRevokeApi.as_view(), name="device-key"),
    path("floor/events/", apis.FloorEventsApi.as_view(), name="floor-events"),
    path("floor/events/csv/", apis.FloorEventsCsvApi.as_view(), name="floor-events-csv"),
    path("floor/lines/", apis.LineListApi.as_view(), name="floor-lines"),
    path("floor/workers/", apis.WorkerListApi.as_view(), name="floor-workers"),
    path("floor/piece-rates/", apis.PieceRateApi.as_view(), name="floor-piece-rates"),
    path("floor/shifts/", apis.ShiftApi.as_view(), name="floor-shifts"),
    path(
        "floor/allocations/<int:allocation_id>/bulletin/", apis.AllocationBulletinApi.as_view(), name="floor-bulletin"
    ),
    path(
        "floor/allocations/<int:allocation_id>/progress/", apis.AllocationProgressApi.as_view(), name="floor-progress"
    ),
    path("floor/worker-output/", apis.WorkerOutputApi.as_view(), name="floor-worker-output"),
    path("floor/payroll/", apis.PayrollApi.as_view(), name="floor-payroll"),
    path("floor/line-efficiency/", apis.LineEfficiencyApi.as_view(), name="floor-line-efficiency"),
]

urlpatterns += [
    path("factories/<int:factory_id>/live-capacity/", apis.LiveCapacityApi.as_view(), name="floor-live-capacity"),
    path("floor/deadline-risks/", apis.DeadlineRiskListApi.as_view(), name="floor-deadline-risks"),
    path(
        "floor/deadline-risks/<int:risk_id>/reroute/",
        apis.DeadlineRiskRerouteApi.as_view(),
        name="floor-deadline-risk-reroute",
    ),
    path("floor/allocations/<int:allocation_id>/qc/", apis.QcInspectionApi.as_view(), name="floor-qc"),
    path("floor/allocations/<int:allocation_id>/materials/", apis.MaterialsApi.as_view(), name="floor-materials"),
    path("floor/quality/", apis.QualityApi.as_view(), name="floor-quality"),
    path("floor/dashboard/", apis.DashboardApi.as_view(), name="floor-dashboard"),
    path("floor/efficiency-trend/", apis.EfficiencyTrendApi.as_view(), name="floor-efficiency-trend"),
]

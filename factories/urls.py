from django.urls import path

from factories import apis

urlpatterns = [
    path("factories/", apis.FactoryListCreateApi.as_view(), name="factory-list"),
    path("factories/<int:factory_id>/", apis.FactoryDetailApi.as_view(), name="factory-detail"),
    path("factories/<int:factory_id>/verify/", apis.FactoryVerifyApi.as_view(), name="factory-verify"),
    path("catalog/", apis.CatalogApi.as_view(), name="catalog"),
]

"""Auditor endpoints of the chain (``/api/v1/chain/``)."""

from django.urls import path

from chain.api import views

app_name = "chain"
urlpatterns = [
    path("blocks/", views.BlockList.as_view(), name="block-list"),
    path("blocks/<int:height>/", views.BlockDetail.as_view(), name="block-detail"),
    path(
        "logs/<str:registry>/entries/<int:seq>/proof/",
        views.InclusionProof.as_view(),
        name="inclusion-proof",
    ),
    path(
        "logs/<str:registry>/records/<str:identifier>/",
        views.RecordEntries.as_view(),
        name="record-entries",
    ),
    path("logs/<str:registry>/consistency/", views.ConsistencyProof.as_view(), name="consistency"),
    path("logs/<str:registry>/checkpoint/", views.LatestCheckpoint.as_view(), name="checkpoint"),
    path(
        "logs/<str:registry>/entries/<int:seq>/receipt/",
        views.Receipt.as_view(),
        name="receipt",
    ),
    path(
        "logs/<str:registry>/entries/<int:seq>/receipt/full/",
        views.FullReceipt.as_view(),
        name="full-receipt",
    ),
    path("evidence/", views.EvidenceList.as_view(), name="evidence-list"),
    path("evidence/<int:pk>/", views.EvidenceDetail.as_view(), name="evidence-detail"),
    path("storage-checks/", views.StorageCheckList.as_view(), name="storage-check-list"),
    path("membership/", views.MembershipList.as_view(), name="membership-list"),
    path("membership/<int:seq>/", views.MembershipDetail.as_view(), name="membership-detail"),
    path("keys/", views.MemberKeys.as_view(), name="keys"),
    path("keys/supernodes.txt", views.SupernodeKeysText.as_view(), name="supernode-keys-text"),
    path("witness/add-checkpoint", views.AddCheckpoint.as_view(), name="add-checkpoint"),
]

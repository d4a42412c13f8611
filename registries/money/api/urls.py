"""URLs of the money registry's API, mounted at ``/api/v1/money/``."""

from django.urls import URLPattern, URLResolver, path

from registries.money.api import me, views
from registries.money.commands import COMMANDS

app_name = "money"
urlpatterns: list[URLPattern | URLResolver] = [
    path("e-services/payments/", me.Pay.as_view(), name="e-service-pay"),
    path("supply/", views.SupplyView.as_view(), name="supply"),
    path("supply/act-certificate/", views.ActCertificateView.as_view(), name="act-certificate"),
    path("wallets/<str:code>/", views.WalletDetailView.as_view(), name="wallet-detail"),
    path(
        "court-orders/<str:number>/wallets/<str:code>/",
        views.CourtOrderWalletView.as_view(),
        name="court-order-wallet",
    ),
    # The banks' and the central bank's commands; opening a wallet joins the list.
    *COMMANDS.urlpatterns(reads={"wallets/": views.WalletListView}),
]

# Mounted at /api/v1/me/ by registries.access.me_urls (the signed-in citizen's own records).
me_urlpatterns: list[URLPattern | URLResolver] = [
    path("wallet/", me.MyWalletView.as_view(), name="me-wallet")
]
